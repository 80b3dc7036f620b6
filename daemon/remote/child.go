package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardpay/switchboard/connector/connrpc"
)

// stderrTail is how much of a child's stderr is kept for error messages.
const stderrTail = 4 << 10

// child is one running connector process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	peer   *connrpc.Peer
	stderr *tail
	exited chan struct{} // closed once the process is reaped
	runErr chan struct{} // closed once the peer's read loop ended

	refs     atomic.Int32 // runs pinned to this child
	killOnce sync.Once
	mu       sync.Mutex
	waitErr  error // guarded by mu; set before exited is closed
}

// startChild starts command in dir and runs its peer. logLine receives
// each line the child writes to stderr.
func startChild(command []string, dir string, env []string, logLine func(string), notify func(p *connrpc.Peer, method string, params json.RawMessage),
	handle func(p *connrpc.Peer, ctx context.Context, method string, params json.RawMessage) (any, error)) (*child, error) {
	if len(command) == 0 {
		return nil, errors.New("remote: empty command")
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	setGroup(cmd)
	cmd.WaitDelay = time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, stderr: &tail{max: stderrTail, line: logLine}, exited: make(chan struct{}), runErr: make(chan struct{})}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting connector %q: %w", strings.Join(command, " "), err)
	}
	var nh connrpc.NotifyHandler
	if notify != nil {
		// c.peer is set before the read loop starts, and read only by it.
		nh = func(method string, params json.RawMessage) { notify(c.peer, method, params) }
	}
	var rh connrpc.Handler
	if handle != nil {
		rh = func(ctx context.Context, _ json.RawMessage, method string, params json.RawMessage) (any, error) {
			return handle(c.peer, ctx, method, params)
		}
	}
	c.peer = connrpc.NewPeer(stdout, stdin, rh, nh)
	go func() {
		err := c.peer.Run(context.Background())
		close(c.runErr)
		if !errors.Is(err, io.EOF) {
			// Garbage on stdout: the process cannot be trusted to speak the
			// protocol again.
			c.kill()
		}
	}()
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		c.waitErr = err
		c.mu.Unlock()
		close(c.exited)
	}()
	return c, nil
}

// alive reports whether the child can still serve calls.
func (c *child) alive() bool {
	select {
	case <-c.runErr:
		return false
	case <-c.exited:
		return false
	default:
		return true
	}
}

// kill ends the process group and waits (briefly) for it to be reaped.
func (c *child) kill() {
	c.killOnce.Do(func() {
		_ = c.stdin.Close()
		killGroup(c.cmd)
	})
	select {
	case <-c.exited:
	case <-time.After(3 * time.Second):
	}
}

// stop closes stdin (a served connector exits on its own then), and kills
// the group if it has not exited within grace.
func (c *child) stop(grace time.Duration) {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(grace):
	}
	c.kill()
}

// death describes why the child stopped serving, with its stderr's tail;
// it waits a little for the process to be reaped so the exit status is
// known.
func (c *child) death() string {
	select {
	case <-c.exited:
	case <-time.After(time.Second):
	}
	var b strings.Builder
	select {
	case <-c.exited:
		c.mu.Lock()
		err := c.waitErr
		c.mu.Unlock()
		if err == nil {
			b.WriteString("connector process exited")
		} else {
			fmt.Fprintf(&b, "connector process exited (%v)", err)
		}
	default:
		b.WriteString("connector process stopped answering")
	}
	if err := c.peer.Err(); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(&b, "; protocol error: %v", err)
	}
	if t := strings.TrimSpace(c.stderr.String()); t != "" {
		b.WriteString("; stderr:\n")
		b.WriteString(t)
	}
	return b.String()
}

// Pid returns the process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// tail keeps the last max bytes written and passes complete lines on.
type tail struct {
	max  int
	line func(string)

	mu      sync.Mutex
	buf     []byte
	partial []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	var lines []string
	if t.line != nil {
		t.partial = append(t.partial, p...)
		for {
			i := bytes.IndexByte(t.partial, '\n')
			if i < 0 {
				break
			}
			lines = append(lines, string(t.partial[:i]))
			t.partial = t.partial[i+1:]
		}
		if len(t.partial) > t.max {
			lines = append(lines, string(t.partial))
			t.partial = nil
		}
	}
	t.mu.Unlock()
	for _, l := range lines {
		t.line(l)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func stderrLogger(l *slog.Logger, provider string) func(string) {
	return func(s string) {
		if strings.TrimSpace(s) != "" {
			l.Info(s, "stream", "stderr", "connector", provider)
		}
	}
}
