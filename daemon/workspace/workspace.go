// Package workspace serves connectors that live in directories of their
// own: it builds each one (go build for a Go module, or the command of a
// switchboard.json manifest for any other language), runs it as a remote
// provider (daemon/remote), registers it, and watches its directory. On a
// change it rebuilds; a good build swaps the process between calls and
// sends provider/reloaded, a bad one keeps the last good process and sends
// provider/buildFailed with the compiler's diagnostics.
package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon/remote"
	"github.com/switchboardpay/switchboard/protocol"
)

// Manifest is the name of the file that gives the command of a connector
// that is not a Go module: {"command": ["node", "main.js"]}, run in the
// connector's directory.
const Manifest = "switchboard.json"

// DefaultDebounce is how long the directory must be quiet after a change
// before a rebuild starts.
const DefaultDebounce = 100 * time.Millisecond

// maxOutput caps the build output kept and sent.
const maxOutput = 16 << 10

// Options configure a Workspace.
type Options struct {
	// Registry receives the providers; required.
	Registry *connector.Registry
	// Broadcast sends a notification to every connection; nil drops them.
	Broadcast func(method string, params any)
	// Logger receives the workspace's logs; nil discards them.
	Logger *slog.Logger
	// Debounce is DefaultDebounce when zero.
	Debounce time.Duration
	// GoCommand is "go" when empty.
	GoCommand string
	// Remote configures the connector processes.
	Remote remote.Options
}

// Workspace is the set of connector directories a daemon serves.
type Workspace struct {
	opts Options

	mu     sync.Mutex
	conns  map[string]*entry // by absolute directory; guarded by mu
	order  []string          // guarded by mu
	closed bool              // guarded by mu
	wg     sync.WaitGroup
}

// New returns an empty workspace.
func New(opts Options) *Workspace {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.GoCommand == "" {
		opts.GoCommand = "go"
	}
	if opts.Remote.Logger == nil {
		opts.Remote.Logger = opts.Logger
	}
	return &Workspace{opts: opts, conns: map[string]*entry{}}
}

// entry is one connector directory.
type entry struct {
	w      *Workspace
	dir    string
	tmp    string // where builds go
	watch  *fsnotify.Watcher
	change chan struct{}
	stop   chan struct{}

	buildMu sync.Mutex // one build at a time

	mu          sync.Mutex
	state       string                // guarded by mu
	launcher    *remote.Launcher      // guarded by mu
	name        string                // registered provider name; guarded by mu
	lastBuild   *protocol.BuildInfo   // guarded by mu
	diagnostics []protocol.Diagnostic // guarded by mu
	gen         int                   // guarded by mu
	bin         string                // the running binary, removed when replaced; guarded by mu
	reloads     int                   // guarded by mu
}

// Add builds the connector in dir, registers it and watches it. A failed
// first build is not an error: the result says failed with diagnostics,
// and the directory is watched until a build succeeds. Adding a directory
// twice returns its state.
func (w *Workspace) Add(ctx context.Context, dir string) (protocol.WorkspaceConnector, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return protocol.WorkspaceConnector{}, err
	}
	abs = filepath.Clean(abs)
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return protocol.WorkspaceConnector{}, protocol.InvalidParams(protocol.FieldError{Field: "dir", Message: fmt.Sprintf("%s is not a directory", abs)})
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return protocol.WorkspaceConnector{}, errors.New("workspace closed")
	}
	if e := w.conns[abs]; e != nil {
		w.mu.Unlock()
		e.buildMu.Lock() // wait for a build in progress
		e.buildMu.Unlock()
		return e.info(), nil
	}
	tmp, err := os.MkdirTemp("", "switchboard-connector-")
	if err != nil {
		w.mu.Unlock()
		return protocol.WorkspaceConnector{}, err
	}
	e := &entry{w: w, dir: abs, tmp: tmp, state: protocol.ConnectorStateBuilding, change: make(chan struct{}, 1), stop: make(chan struct{}), diagnostics: []protocol.Diagnostic{}}
	w.conns[abs] = e
	w.order = append(w.order, abs)
	e.buildMu.Lock()
	w.mu.Unlock()

	if err := e.startWatching(); err != nil {
		w.opts.Logger.Warn("cannot watch connector directory; no hot reload", "dir", abs, "err", err)
	}
	e.build(ctx)
	e.buildMu.Unlock()
	w.wg.Add(1)
	go e.loop()
	return e.info(), nil
}

// List returns every connector, in the order they were added.
func (w *Workspace) List() []protocol.WorkspaceConnector {
	w.mu.Lock()
	es := make([]*entry, 0, len(w.order))
	for _, d := range w.order {
		es = append(es, w.conns[d])
	}
	w.mu.Unlock()
	out := make([]protocol.WorkspaceConnector, len(es))
	for i, e := range es {
		out[i] = e.info()
	}
	return out
}

// Launcher returns the launcher of the connector in dir, or nil.
func (w *Workspace) Launcher(dir string) *remote.Launcher {
	abs, _ := filepath.Abs(dir)
	w.mu.Lock()
	e := w.conns[filepath.Clean(abs)]
	w.mu.Unlock()
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.launcher
}

// Close stops watching, kills every connector process still running and
// removes the builds. Registered providers stay registered.
func (w *Workspace) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	es := make([]*entry, 0, len(w.conns))
	for _, e := range w.conns {
		es = append(es, e)
	}
	w.mu.Unlock()
	for _, e := range es {
		close(e.stop)
		if e.watch != nil {
			_ = e.watch.Close()
		}
	}
	w.wg.Wait()
	for _, e := range es {
		e.buildMu.Lock()
		e.mu.Lock()
		l := e.launcher
		e.mu.Unlock()
		if l != nil {
			_ = l.Close()
		}
		_ = os.RemoveAll(e.tmp)
		e.buildMu.Unlock()
	}
	return nil
}

func (e *entry) info() protocol.WorkspaceConnector {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := protocol.WorkspaceConnector{Dir: e.dir, State: e.state, Diagnostics: append([]protocol.Diagnostic{}, e.diagnostics...)}
	if e.lastBuild != nil {
		b := *e.lastBuild
		out.LastBuild = &b
	}
	if e.launcher != nil {
		p := e.launcher.Provider()
		caps := p.Capabilities()
		if caps == nil {
			caps = []string{}
		}
		out.Provider = &protocol.Provider{Name: p.Name, Description: p.Info.Description, Capabilities: caps,
			ConfigSchema: p.ConfigSchema(), DefaultPageSize: p.Info.DefaultPageSize}
	}
	return out
}

// startWatching watches dir and its subdirectories (hidden ones, vendor
// and node_modules aside).
func (e *entry) startWatching() error {
	wt, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	err = filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != e.dir && skipDir(d.Name()) {
			return filepath.SkipDir
		}
		return wt.Add(p)
	})
	if err != nil {
		wt.Close()
		return err
	}
	e.watch = wt
	e.w.wg.Add(1)
	go e.events()
	return nil
}

func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor"
}

// ignored tells editor droppings from real changes.
func ignored(name string) bool {
	b := filepath.Base(name)
	return strings.HasPrefix(b, ".") || strings.HasSuffix(b, "~") || strings.HasSuffix(b, ".swp") ||
		strings.HasSuffix(b, ".swx") || strings.HasPrefix(b, "#") || b == "4913"
}

func (e *entry) events() {
	defer e.w.wg.Done()
	for {
		select {
		case ev, ok := <-e.watch.Events:
			if !ok {
				return
			}
			if ignored(ev.Name) || ev.Op == fsnotify.Chmod {
				continue
			}
			if ev.Op&fsnotify.Create != 0 {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() && !skipDir(filepath.Base(ev.Name)) {
					_ = e.watch.Add(ev.Name)
				}
			}
			select {
			case e.change <- struct{}{}:
			default:
			}
		case err, ok := <-e.watch.Errors:
			if !ok {
				return
			}
			e.w.opts.Logger.Warn("watching connector directory", "dir", e.dir, "err", err)
		}
	}
}

// loop debounces changes into rebuilds.
func (e *entry) loop() {
	defer e.w.wg.Done()
	for {
		select {
		case <-e.stop:
			return
		case <-e.change:
		}
		// Wait until the directory has been quiet for the debounce.
		t := time.NewTimer(e.w.opts.Debounce)
	quiet:
		for {
			select {
			case <-e.stop:
				t.Stop()
				return
			case <-e.change:
				t.Reset(e.w.opts.Debounce)
			case <-t.C:
				break quiet
			}
		}
		e.buildMu.Lock()
		select {
		case <-e.stop:
			e.buildMu.Unlock()
			return
		default:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-e.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		e.build(ctx)
		cancel()
		e.buildMu.Unlock()
	}
}

// command returns the connector's command: the manifest's, or a fresh
// go build of the module. output is the build's output on failure.
func (e *entry) command(ctx context.Context) (cmd []string, bin string, output string, err error) {
	if raw, rerr := os.ReadFile(filepath.Join(e.dir, Manifest)); rerr == nil {
		var m struct {
			Command []string `json:"command"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || len(m.Command) == 0 {
			return nil, "", fmt.Sprintf("%s: want {\"command\": [\"program\", \"args\"...]}", Manifest), errors.New("bad manifest")
		}
		return m.Command, "", "", nil
	}
	e.mu.Lock()
	e.gen++
	gen := e.gen
	e.mu.Unlock()
	bin = filepath.Join(e.tmp, fmt.Sprintf("connector-%d", gen))
	c := exec.CommandContext(ctx, e.w.opts.GoCommand, "build", "-o", bin, ".")
	c.Dir = e.dir
	out, err := c.CombinedOutput()
	if err != nil {
		_ = os.Remove(bin)
		// A go that could not run at all (not on PATH) prints nothing:
		// the error is then the only explanation there is.
		if strings.TrimSpace(string(out)) == "" {
			out = []byte(fmt.Sprintf("%s build: %v", e.w.opts.GoCommand, err))
		}
		return nil, "", string(out), err
	}
	return []string{bin}, bin, string(out), nil
}

// build rebuilds and swaps; the caller holds buildMu.
func (e *entry) build(ctx context.Context) {
	start := time.Now()
	e.mu.Lock()
	if e.launcher == nil {
		e.state = protocol.ConnectorStateBuilding
	}
	e.mu.Unlock()
	cmd, bin, output, err := e.command(ctx)
	var prov *connector.Provider
	if err == nil {
		e.mu.Lock()
		l := e.launcher
		e.mu.Unlock()
		if l == nil {
			l, err = remote.NewLauncher(ctx, cmd, e.dir, e.w.opts.Remote)
			if err == nil {
				prov = l.Provider()
				e.mu.Lock()
				e.launcher = l
				e.mu.Unlock()
			}
		} else {
			prov, err = l.Swap(ctx, cmd)
		}
		if err != nil {
			output = strings.TrimSpace(output + "\n" + err.Error())
			if bin != "" {
				_ = os.Remove(bin)
			}
		}
	}
	dur := time.Since(start)
	info := &protocol.BuildInfo{StartedAt: start.UTC(), DurationMs: float64(dur.Microseconds()) / 1000, OK: err == nil, Output: capOutput(output)}
	if err != nil {
		diags := ParseDiagnostics(e.dir, output)
		e.mu.Lock()
		e.lastBuild, e.diagnostics = info, diags
		if e.launcher == nil {
			e.state = protocol.ConnectorStateFailed
		}
		name := e.name
		e.mu.Unlock()
		// The errors themselves, not only their count: a terminal running
		// serve --connector has no other way to see them.
		e.w.opts.Logger.Warn("connector build failed", "dir", e.dir, "diagnostics", len(diags), "errors", buildErrors(diags, info.Output))
		e.broadcast(protocol.NotifyProviderBuildFailed, protocol.ProviderBuildFailedParams{Provider: name, Dir: e.dir, Diagnostics: diags, Output: info.Output})
		return
	}
	e.mu.Lock()
	old, oldBin := e.name, e.bin
	e.name, e.bin = prov.Name, bin
	e.state, e.lastBuild, e.diagnostics = protocol.ConnectorStateReady, info, []protocol.Diagnostic{}
	reload := old != ""
	if reload {
		e.reloads++
	}
	e.mu.Unlock()
	if old != "" && old != prov.Name {
		e.w.opts.Registry.Unregister(old)
	}
	e.w.opts.Registry.Replace(prov)
	if oldBin != "" && oldBin != bin {
		// Running children keep their executable; new ones use bin.
		_ = os.Remove(oldBin)
	}
	e.w.opts.Logger.Info("connector built", "dir", e.dir, "provider", prov.Name, "durationMs", info.DurationMs, "reload", reload)
	if reload {
		e.broadcast(protocol.NotifyProviderReloaded, protocol.ProviderReloadedParams{Provider: prov.Name, Dir: e.dir})
	}
}

func (e *entry) broadcast(method string, params any) {
	if e.w.opts.Broadcast != nil {
		e.w.opts.Broadcast(method, params)
	}
}

// buildErrors is one line for a log: the first diagnostics as the compiler
// wrote them (file:line:col: message), else the start of the output.
func buildErrors(diags []protocol.Diagnostic, output string) string {
	const most = 10
	var parts []string
	for i, d := range diags {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(diags)-most))
			break
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Message))
	}
	if len(parts) == 0 {
		out := strings.Join(strings.Fields(output), " ")
		if len(out) > 500 {
			out = out[:500] + "..."
		}
		return out
	}
	return strings.Join(parts, "; ")
}

func capOutput(s string) string {
	if len(s) > maxOutput {
		return s[:maxOutput] + "\n[truncated]"
	}
	return s
}
