package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/internal/rpc"
)

// HandshakeError is returned by [Dial] when the daemon refuses the
// websocket upgrade with an HTTP status: 401 for a missing or wrong token,
// 403 for a refused Origin.
type HandshakeError struct {
	URL        string
	StatusCode int
	Status     string // as "401 Unauthorized"
	Body       string // the start of the response body, if any
}

// Error names the URL and the status, with a hint for 401 and 403.
func (e *HandshakeError) Error() string {
	msg := fmt.Sprintf("client: dial %s: daemon refused the websocket: HTTP %s", e.URL, e.Status)
	switch e.StatusCode {
	case http.StatusUnauthorized:
		msg += " (missing or wrong token)"
	case http.StatusForbidden:
		msg += " (origin or address not allowed)"
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Dial connects to a daemon's websocket endpoint, such as
// ws://127.0.0.1:7777/rpc, sending "Authorization: Bearer token" (no header
// when token is empty). One JSON-RPC message travels per text frame. ctx
// bounds the connection's opening only. A refused upgrade returns a
// *[HandshakeError] with the HTTP status.
//
// The client is not initialized yet: call [Client.Init] or
// [Client.Initialize] first.
func Dial(ctx context.Context, url, token string, opts ...Option) (*Client, error) {
	header := http.Header{}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	conn, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			he := &HandshakeError{URL: url, StatusCode: resp.StatusCode, Status: resp.Status}
			if resp.Body != nil {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				he.Body = strings.TrimSpace(string(b))
				resp.Body.Close()
			}
			return nil, he
		}
		return nil, fmt.Errorf("client: dial %s: %w", url, err)
	}
	return newClient(rpc.NewWebsocket(conn, maxMessage), buildOptions(opts)), nil
}

// Spawn starts `binary stdio args...` and talks to it over its stdin and
// stdout (LSP framing); its stderr goes to the writer of [WithStderr]
// (os.Stderr by default). ctx bounds the start only: the daemon lives until
// Close, which sends shutdown and exit, waits for it to exit (killing it
// after [WithCloseTimeout]) and reports a non-zero exit; see
// [Client.ExitCode].
//
// The client is not initialized yet: call [Client.Init] or
// [Client.Initialize] first.
func Spawn(ctx context.Context, binary string, args []string, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	cmd := exec.Command(binary, append([]string{"stdio"}, args...)...)
	cmd.Stderr = o.stderr
	// Do not let a grandchild that inherited stderr hold Wait forever.
	cmd.WaitDelay = time.Second

	// Plain OS pipes rather than cmd.StdinPipe/StdoutPipe, so that Wait
	// does not close the stdout we may still be reading.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("client: spawn %s: %w", binary, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("client: spawn %s: %w", binary, err)
	}
	cmd.Stdin = inR
	cmd.Stdout = outW
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW} {
			f.Close()
		}
		return nil, fmt.Errorf("client: spawn %s: %w", binary, err)
	}
	inR.Close()
	outW.Close()

	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	c := newClient(rpc.NewLSP(outR, inW, stdioPipe{r: outR, w: inW}, maxMessage), o)
	c.proc = p
	return c, nil
}

// stdioPipe is a child's stdout (to read) and stdin (to write) as one
// io.ReadWriteCloser.
type stdioPipe struct {
	r *os.File
	w *os.File
}

func (p stdioPipe) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p stdioPipe) Write(b []byte) (int, error) { return p.w.Write(b) }

func (p stdioPipe) Close() error {
	return errors.Join(p.w.Close(), p.r.Close())
}
