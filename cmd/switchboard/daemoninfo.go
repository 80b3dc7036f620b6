package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/store"
)

// errNoDaemon is matched by every error that says the daemon of
// "switchboard serve" is not there (errors.Is).
var errNoDaemon = errors.New("no daemon running")

// noDaemonError says why there is no daemon to talk to.
type noDaemonError struct{ msg string }

func (e *noDaemonError) Error() string        { return e.msg }
func (e *noDaemonError) Is(target error) bool { return target == errNoDaemon }

// servedDaemon is what daemon.json in a state directory says, checked
// against the process table.
type servedDaemon struct {
	info  daemon.Info
	path  string // of daemon.json
	alive bool   // its pid is a running process
}

// stateDirOrDefault is the --state-dir, else the default one.
func (g *globalOptions) stateDirOrDefault() string {
	if g.stateDir != "" {
		return g.stateDir
	}
	return daemon.DefaultStateDir()
}

// findDaemon reads daemon.json of the state directory; with none the
// error wraps fs.ErrNotExist.
func findDaemon(g *globalOptions) (servedDaemon, error) {
	return readDaemonInfo(filepath.Join(g.stateDirOrDefault(), daemon.InfoFile))
}

// readDaemonInfo reads one daemon.json.
func readDaemonInfo(path string) (servedDaemon, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return servedDaemon{path: path}, err
	}
	var info daemon.Info
	if err := json.Unmarshal(b, &info); err != nil || info.URL == "" {
		return servedDaemon{path: path}, fmt.Errorf("%s is damaged (%v): remove it and start the daemon again", path, err)
	}
	return servedDaemon{info: info, path: path, alive: pidAlive(info.PID)}, nil
}

// liveDaemon returns the daemon daemon.json names, or an error saying
// plainly that none runs: no daemon.json at all, or one left by a daemon
// that was killed (kill -9 leaves it behind). hint, if set, is added to
// the message ("or read a store file with --store FILE").
func liveDaemon(g *globalOptions, hint string) (servedDaemon, error) {
	if hint != "" {
		hint = ", " + hint
	}
	d, err := findDaemon(g)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return d, &noDaemonError{fmt.Sprintf(`no daemon running: start one with "switchboard serve"%s`, hint)}
	case err != nil:
		return d, err
	case !d.alive:
		return d, &noDaemonError{fmt.Sprintf(`the daemon (pid %d) is not running: it was killed or crashed, leaving %s behind; start one with "switchboard serve"%s`, d.info.PID, d.path, hint)}
	}
	return d, nil
}

// checkStoreFree fails at once, instead of after the store's 15 s wait,
// when the daemon of this state directory is alive and holds what this
// command is about to open: for serve the state directory itself (its
// daemon.json), else the same store file.
//
// A store file is looked up in the daemon.json of the state directory and
// in the one beside it (a store in another state directory, the default
// place of both).
func checkStoreFree(g *globalOptions, storeFile string, serving bool) error {
	// A pid can be reused after a crash: the daemon counts as there only
	// when its port still accepts connections too.
	own := func(d servedDaemon, err error) bool {
		return err == nil && d.alive && d.info.PID != os.Getpid() && listening(d.info.URL)
	}
	d, err := findDaemon(g)
	if serving {
		if own(d, err) {
			return fmt.Errorf("a daemon (pid %d) is already serving this state directory at %s (see %s): stop it first, or give this one another --state-dir", d.info.PID, d.info.URL, d.path)
		}
		return nil
	}
	if storeFile == "" || storeFile == "memory" {
		return nil
	}
	for _, c := range []func() (servedDaemon, error){
		func() (servedDaemon, error) { return d, err },
		func() (servedDaemon, error) {
			return readDaemonInfo(filepath.Join(filepath.Dir(storeFile), daemon.InfoFile))
		},
	} {
		if d, err := c(); own(d, err) && sameFile(storeFile, d.info.Store) {
			return fmt.Errorf("the running daemon (pid %d, %s) has the store %s open: leave out --store to ask that daemon (with --state-dir %s), or stop it first", d.info.PID, d.info.URL, storeFile, filepath.Dir(d.path))
		}
	}
	return nil
}

// listening reports whether the host:port of a ws:// URL accepts a TCP
// connection within a second.
func listening(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return false
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// sameFile reports whether a and b name one file.
func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	ab, _ := filepath.Abs(b)
	return aa == ab
}

// openDaemon opens a daemon over its store, saying on w what it waits for
// when the store is held by another process (which then gets up to 15 s
// to let go) instead of staying silent, and, if it is still held, what to
// do about it: a daemon (serving) and a command reading the store
// (--store) have different ways out.
func openDaemon(ctx context.Context, w io.Writer, o daemon.Options, serving bool) (*daemon.Daemon, error) {
	done, noted := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(noted)
		select {
		case <-time.After(time.Second):
			fmt.Fprintf(w, "switchboard: opening the store %s is taking a while: if another switchboard process has it open, this one waits up to 15 s for it to exit\n", o.StorePath)
		case <-done:
		}
	}()
	d, err := daemon.Open(ctx, o)
	close(done)
	<-noted
	if errors.Is(err, store.ErrInUse) {
		if serving {
			return nil, fmt.Errorf("the store %s is open in another switchboard process (an editor's \"switchboard stdio\", or a daemon of another state directory): stop it, or give this daemon another --store or --state-dir: %w", o.StorePath, store.ErrInUse)
		}
		return nil, fmt.Errorf("the store %s is open in another switchboard process: if that is a running daemon, leave out --store to ask it (with its --state-dir); else stop it first: %w", o.StorePath, store.ErrInUse)
	}
	return d, err
}
