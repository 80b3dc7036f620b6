// Package remote runs connectors as child processes: the daemon side of
// the connector protocol (docs/connector-protocol.md).
//
// Provider starts a connector command once to learn what it is (name,
// config schema, capabilities) and returns a *connector.Provider for the
// registry. Each session that opens it gets its own child process — state
// isolation and cancellation stay per session, and one crash takes down
// one session's calls only — behind a *Connector proxy that implements
// every capability interface and reports the real ones. A crashed child
// fails the call that hit it with its stderr's tail and is restarted, with
// the same config, on the next call. A Launcher can swap the command
// (a rebuilt binary): each session's next call, never one in flight,
// restarts its child on the new one.
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
)

// Defaults of Options.
const (
	DefaultCallTimeout      = 2 * time.Minute
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultIdleTimeout      = time.Minute
)

// Options tune a Launcher. The zero value is usable.
type Options struct {
	// CallTimeout bounds one call to the child; past it the call fails,
	// the child is killed and the next call restarts it.
	CallTimeout time.Duration
	// HandshakeTimeout bounds starting a child, its handshake and open.
	HandshakeTimeout time.Duration
	// IdleTimeout is how long a session's child keeps running after its
	// last call (or its start); then it is stopped, and the session's next
	// call starts it again. Negative keeps children running.
	IdleTimeout time.Duration
	// Logger receives the stderr of children that belong to no session.
	Logger *slog.Logger
	// DaemonName and DaemonVersion are sent in the handshake.
	DaemonName, DaemonVersion string
	// Env is added to the children's environment ("K=V").
	Env []string
}

// Launcher starts the children of one connector command and can swap that
// command for another.
type Launcher struct {
	opts Options
	dir  string

	mu      sync.RWMutex
	command []string             // guarded by mu
	info    connrpc.ProviderInfo // guarded by mu
	gen     uint64               // guarded by mu; bumped by Swap
	live    map[*Connector]bool  // guarded by mu
	prov    *connector.Provider  // guarded by mu
}

// Provider starts command in dir once to handshake and returns its
// provider. Each session opened from it runs its own child.
func Provider(ctx context.Context, command []string, dir string) (*connector.Provider, error) {
	l, err := NewLauncher(ctx, command, dir, Options{})
	if err != nil {
		return nil, err
	}
	return l.Provider(), nil
}

// NewLauncher handshakes with command and returns its launcher.
func NewLauncher(ctx context.Context, command []string, dir string, opts Options) (*Launcher, error) {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.DaemonName == "" {
		opts.DaemonName = "switchboard"
	}
	l := &Launcher{opts: opts, dir: dir, live: map[*Connector]bool{}}
	info, err := l.probe(ctx, command)
	if err != nil {
		return nil, err
	}
	prov, err := l.define(info)
	if err != nil {
		return nil, err
	}
	l.command, l.info, l.prov, l.gen = append([]string(nil), command...), info, prov, 1
	return l, nil
}

// Info returns what the current command declared in its handshake.
func (l *Launcher) Info() connrpc.ProviderInfo {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.info
}

// Provider returns the provider of the current command.
func (l *Launcher) Provider() *connector.Provider {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.prov
}

// Command returns the current command.
func (l *Launcher) Command() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]string(nil), l.command...)
}

// Swap handshakes with command and, when it answers, makes it the command
// of every child started from now on: each open session restarts its child
// on it before its next call. It returns the new provider (a new value when
// the schema or capabilities changed). On error nothing changes.
func (l *Launcher) Swap(ctx context.Context, command []string) (*connector.Provider, error) {
	info, err := l.probe(ctx, command)
	if err != nil {
		return nil, err
	}
	prov, err := l.define(info)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.command, l.info, l.prov = append([]string(nil), command...), info, prov
	l.gen++
	l.mu.Unlock()
	return prov, nil
}

// Close kills the child of every open session.
func (l *Launcher) Close() error {
	l.mu.Lock()
	cs := make([]*Connector, 0, len(l.live))
	for c := range l.live {
		cs = append(cs, c)
	}
	l.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	return nil
}

// Pids returns the process ids of the running children, for tests.
func (l *Launcher) Pids() []int {
	l.mu.RLock()
	cs := make([]*Connector, 0, len(l.live))
	for c := range l.live {
		cs = append(cs, c)
	}
	l.mu.RUnlock()
	var out []int
	for _, c := range cs {
		if p := c.Pid(); p != 0 {
			out = append(out, p)
		}
	}
	return out
}

func (l *Launcher) current() ([]string, uint64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.command, l.gen
}

func (l *Launcher) define(info connrpc.ProviderInfo) (*connector.Provider, error) {
	return connector.DefineRaw(info.Name, connector.Info{Description: info.Description, DefaultPageSize: info.DefaultPageSize},
		info.ConfigSchema, info.Capabilities, l.open)
}

// probe starts command, handshakes and stops it.
func (l *Launcher) probe(ctx context.Context, command []string) (connrpc.ProviderInfo, error) {
	ch, err := startChild(command, l.dir, l.opts.Env, stderrLogger(l.opts.Logger, strings.Join(command, " ")), nil, nil)
	if err != nil {
		return connrpc.ProviderInfo{}, err
	}
	defer ch.stop(200 * time.Millisecond)
	info, err := l.handshake(ctx, ch)
	if err != nil {
		return info, err
	}
	if info.Name == "" {
		return info, errors.New("connector handshake: the provider has no name")
	}
	return info, nil
}

func (l *Launcher) handshake(ctx context.Context, ch *child) (connrpc.ProviderInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.HandshakeTimeout)
	defer cancel()
	var res connrpc.HandshakeResult
	err := ch.peer.Call(ctx, connrpc.MethodHandshake, connrpc.HandshakeParams{
		ProtocolVersion: connrpc.ProtocolVersion,
		Daemon:          connrpc.DaemonInfo{Name: l.opts.DaemonName, Version: l.opts.DaemonVersion, HTTP: true},
	}, &res)
	if err != nil {
		var re *connrpc.Error
		switch {
		case errors.As(err, &re):
			return res.Provider, fmt.Errorf("connector handshake refused: %s", re.Message)
		case errors.Is(err, connrpc.ErrClosed):
			return res.Provider, fmt.Errorf("connector handshake: %s", ch.death())
		case ctx.Err() != nil:
			return res.Provider, fmt.Errorf("connector handshake: no answer within %s", l.opts.HandshakeTimeout)
		}
		return res.Provider, fmt.Errorf("connector handshake: %w", err)
	}
	if res.ProtocolVersion != connrpc.ProtocolVersion {
		return res.Provider, fmt.Errorf("connector speaks protocol version %q, the daemon speaks %q", res.ProtocolVersion, connrpc.ProtocolVersion)
	}
	return res.Provider, nil
}

// open is the provider's open: it starts the session's child at once, so
// that a bad config is reported by session/create; the child stops when
// idle (idle.go).
func (l *Launcher) open(ctx context.Context, raw json.RawMessage, env connector.Env) (connector.Connector, error) {
	c := &Connector{l: l, config: append(json.RawMessage(nil), raw...), env: env, rec: recorderOf(env)}
	c.provider = l.Info().Name
	if err := c.restart(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.live[c] = true
	l.mu.Unlock()
	// A restored session nobody uses stops its child after the timeout.
	c.used()
	return c, nil
}
