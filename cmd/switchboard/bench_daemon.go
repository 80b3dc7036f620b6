package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/protocol"
)

// childDaemon is `switchboard serve` run as a separate process of this
// binary, so that its memory is its own and can be read from /proc.
type childDaemon struct {
	cmd    *exec.Cmd
	dir    string // temporary state directory
	info   client.DaemonInfo
	stderr *tailBuffer
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// startChildDaemon starts the daemon on a free loopback port with a
// temporary state directory and waits for its daemon.json.
func startChildDaemon(ctx context.Context, store string, extra ...string) (*childDaemon, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "switchboard-bench-")
	if err != nil {
		return nil, err
	}
	d := &childDaemon{dir: dir, stderr: &tailBuffer{max: 8 << 10}, exited: make(chan struct{})}
	storeArg := store
	if store != "memory" {
		storeArg = filepath.Join(dir, "switchboard.db")
	}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--state-dir", dir, "--log-level", "warn", "--store", storeArg}
	args = append(args, extra...)
	if p := os.Getenv("SWITCHBOARD_BENCH_CPUPROFILE"); p != "" {
		args = append(args, "--cpuprofile", p)
	}
	if p := os.Getenv("SWITCHBOARD_BENCH_TRACE"); p != "" {
		args = append(args, "--trace", p)
	}
	d.cmd = exec.Command(exe, args...)
	d.cmd.Stderr = d.stderr
	d.cmd.WaitDelay = time.Second
	dieWithParent(d.cmd)
	if err := d.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting the daemon: %w", err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	if err := d.waitReady(ctx); err != nil {
		return nil, errors.Join(err, d.stop())
	}
	return d, nil
}

// storeBytes is the size of the daemon's store file and its WAL.
func (d *childDaemon) storeBytes() int64 {
	var n int64
	// The store's files, not its ballast (room kept free, not data).
	_ = filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(d.dir, path)
		if strings.HasPrefix(rel, "switchboard.db") && e.Name() != store.BallastName {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// waitReady polls for the daemon.json of this very process: a stale file
// of another daemon must not be taken for it.
func (d *childDaemon) waitReady(ctx context.Context) error {
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if info, err := client.Discover(d.dir); err == nil && info.PID == d.cmd.Process.Pid {
			d.info = info
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.exited:
			return fmt.Errorf("the daemon exited before listening (%v): %s", d.err, d.stderr)
		case <-deadline:
			return fmt.Errorf("the daemon did not write daemon.json within 30s: %s", d.stderr)
		case <-tick.C:
		}
	}
}

// stop ends the daemon with SIGTERM, as Ctrl-C would, kills it if it
// lingers, and removes its state directory.
func (d *childDaemon) stop() error {
	defer os.RemoveAll(d.dir)
	select {
	case <-d.exited:
		return nil
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		return nil
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return fmt.Errorf("the daemon did not stop within 5s of SIGTERM; killed it")
	}
}

// tailBuffer keeps the start of a child's stderr, for error messages,
// without growing with a chatty child.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(bytes.TrimSpace(b.buf.Bytes()))
}

// subscriber is one websocket connection counting the session's pages.
// The counting stays cheap: a handler that lags lets the daemon's bounded
// queue for this connection overflow, and the daemon then drops it.
type subscriber struct {
	c        *client.Client
	pages    atomic.Int64
	items    atomic.Int64
	payments atomic.Int64
	dropped  atomic.Bool
}

// SubscriberResult is what one subscriber received.
type SubscriberResult struct {
	Pages    int64 `json:"pages"`
	Items    int64 `json:"items"`
	Payments int64 `json:"payments"`
	Dropped  bool  `json:"dropped,omitempty"`
}

func dialSubscriber(ctx context.Context, info client.DaemonInfo) (*subscriber, error) {
	s := &subscriber{}
	c, err := client.Dial(ctx, info.URL, info.Token,
		client.OnFetchPage(s.page),
		client.OnSessionChanged(func(p protocol.SessionChangedParams) {
			if p.Reason == protocol.SessionChangedUnsubscribed {
				s.dropped.Store(true)
			}
		}))
	if err != nil {
		return nil, err
	}
	s.c = c
	withItems := true
	if _, err := c.Initialize(ctx, protocol.InitializeParams{
		ClientInfo:   &protocol.ClientInfo{Name: "switchboard-bench"},
		Capabilities: &protocol.ClientCapabilities{PageItems: &withItems},
	}); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	if err := c.Initialized(ctx); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return s, nil
}

// page counts a fetch/page. Items count only when they came along: the
// point is that every item reached the subscriber, not just a number.
func (s *subscriber) page(n protocol.FetchPageParams) {
	s.pages.Add(1)
	if len(n.Page.Items) > 2 || n.Page.ItemCount == 0 {
		s.items.Add(int64(n.Page.ItemCount))
		if n.Page.Resource == protocol.ResourcePayments {
			s.payments.Add(int64(n.Page.ItemCount))
		}
	}
}

func (s *subscriber) result() SubscriberResult {
	return SubscriberResult{Pages: s.pages.Load(), Items: s.items.Load(), Payments: s.payments.Load(), Dropped: s.dropped.Load()}
}

// waitFor waits until the subscriber has counted pages pages, it was
// dropped, or the timeout passed. Other connections get their
// notifications after the creator's request has already been answered.
func (s *subscriber) waitFor(pages int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for s.pages.Load() < pages && !s.dropped.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	fctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = s.c.Flush(fctx)
}

// stalledSubscriber subscribes a websocket to the session and never reads
// from it: the daemon must drop it, not wait for it.
func stalledSubscriber(ctx context.Context, info client.DaemonInfo, sessionID string) (*websocket.Conn, error) {
	c, _, err := websocket.DefaultDialer.DialContext(ctx, info.URL, http.Header{"Authorization": {"Bearer " + info.Token}})
	if err != nil {
		return nil, err
	}
	for _, m := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"session/subscribe","params":{"sessionId":"` + sessionID + `"}}`,
	} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}
