package remote_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/remote"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

var testconnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "remote-test-")
	if err != nil {
		panic(err)
	}
	testconnBin = filepath.Join(dir, "testconn")
	out, err := exec.Command("go", "build", "-o", testconnBin, "./testdata/testconn").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building testconn: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// bank starts a demo bank for one test.
func bank(t testing.TB, cfg demobank.Config) (*demobank.Bank, string) {
	t.Helper()
	b := demobank.New(cfg)
	url, err := b.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, url
}

// client is a JSON-RPC client of a daemon served over in-process pipes.
type client struct {
	peer *connrpc.Peer

	mu     sync.Mutex
	notifs []note
	raw    []string
	seen   chan struct{}
}

type note struct {
	Method string
	Params json.RawMessage
}

// serve starts d on pipes and returns an initialized client; cleanup stops
// the connection and closes the daemon.
func serve(t testing.TB, d *daemon.Daemon) *client {
	t.Helper()
	cr, cw := io.Pipe() // client -> daemon
	dr, dw := io.Pipe() // daemon -> client
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		d.ServeStdio(ctx, cr, dw)
		dw.Close()
		close(done)
	}()
	c := &client{seen: make(chan struct{}, 1)}
	c.peer = connrpc.NewPeer(dr, cw, nil, func(method string, params json.RawMessage) {
		c.mu.Lock()
		c.notifs = append(c.notifs, note{method, append(json.RawMessage(nil), params...)})
		c.raw = append(c.raw, string(params))
		c.mu.Unlock()
		select {
		case c.seen <- struct{}{}:
		default:
		}
	})
	runDone := make(chan struct{})
	go func() { c.peer.Run(context.Background()); close(runDone) }()
	t.Cleanup(func() {
		cancel()
		cw.Close()
		<-done
		<-runDone
		d.Close()
	})
	var init protocol.InitializeResult
	if err := c.peer.Call(context.Background(), protocol.MethodInitialize, protocol.InitializeParams{}, &init); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *client) call(t testing.TB, method string, params, result any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.peer.Call(ctx, method, params, result)
}

func (c *client) must(t testing.TB, method string, params, result any) {
	t.Helper()
	if err := c.call(t, method, params, result); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

// waitNote waits for a notification that matches.
func (c *client) waitNote(t testing.TB, method string, match func(json.RawMessage) bool) json.RawMessage {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		for _, n := range c.notifs {
			if n.Method == method && (match == nil || match(n.Params)) {
				c.mu.Unlock()
				return n.Params
			}
		}
		c.mu.Unlock()
		select {
		case <-c.seen:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s notification came", method)
		}
	}
}

func (c *client) allRaw() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.raw, "\n")
}

func rpcCode(err error) int {
	var re *connrpc.Error
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// newDaemon registers the test connector process (and optionally more
// providers) in a fresh registry.
func newDaemon(t testing.TB, opts remote.Options, extra ...*connector.Provider) (*daemon.Daemon, *remote.Launcher) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	l, err := remote.NewLauncher(context.Background(), []string{testconnBin}, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	reg := connector.NewRegistry()
	reg.Register(l.Provider())
	for _, p := range extra {
		reg.Register(p)
	}
	d := daemon.New(daemon.Options{Registry: reg, Logger: quiet()})
	t.Cleanup(func() { l.Close() })
	return d, l
}

// gone reports whether no process has pid any more.
func gone(pid int) bool {
	err := syscall.Kill(pid, 0)
	if errors.Is(err, syscall.ESRCH) {
		return true
	}
	// A zombie of ours would still answer; check its state.
	b, rerr := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if rerr != nil {
		return true
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] == "Z"
}

func waitGone(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func execLook(name string) (string, error) { return exec.LookPath(name) }
