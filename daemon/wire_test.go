package daemon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
)

// wire is a raw JSON-RPC peer: it sends exact bytes, so tests can send
// what no well-behaved client library would.
type wire interface {
	send(body []byte) error
	recv() (json.RawMessage, error)
	close() error
}

// message is any incoming JSON-RPC message.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
	// At is when the message was read.
	At time.Time `json:"-"`
}

// peer wraps a wire with request/response matching and a notification log.
type peer struct {
	t    *testing.T
	w    wire
	next int

	mu     sync.Mutex
	notifs []message
	resp   map[string]chan message
	done   chan struct{}
	// answer, if set, gives the body answering a request of the daemon
	// (window/workDoneProgress/create), or "" to leave it unanswered; by
	// default it is answered with a null result.
	answer func(m message) string // guarded by mu
}

func (p *peer) setAnswer(f func(m message) string) {
	p.mu.Lock()
	p.answer = f
	p.mu.Unlock()
}

func newPeer(t *testing.T, w wire) *peer {
	p := &peer{t: t, w: w, resp: map[string]chan message{}, done: make(chan struct{})}
	go p.read()
	t.Cleanup(func() { w.close(); <-p.done })
	return p
}

func (p *peer) read() {
	defer close(p.done)
	for {
		raw, err := p.w.recv()
		if err != nil {
			p.mu.Lock()
			for _, ch := range p.resp {
				close(ch)
			}
			p.resp = map[string]chan message{}
			p.mu.Unlock()
			return
		}
		m := message{At: time.Now()}
		if err := json.Unmarshal(raw, &m); err != nil {
			p.t.Errorf("daemon sent invalid JSON: %q", raw)
			continue
		}
		p.mu.Lock()
		if m.Method != "" {
			p.notifs = append(p.notifs, m)
			answer := p.answer
			p.mu.Unlock()
			if len(m.ID) > 0 && string(m.ID) != "null" {
				// A request from the daemon (window/workDoneProgress/create).
				body := `{"jsonrpc":"2.0","id":` + string(m.ID) + `,"result":null}`
				if answer != nil {
					body = answer(m)
				}
				if body != "" {
					p.w.send([]byte(body))
				}
			}
			continue
		}
		key := string(m.ID)
		ch, ok := p.resp[key]
		if !ok {
			ch = make(chan message, 1)
			p.resp[key] = ch
		}
		p.mu.Unlock()
		ch <- m
	}
}

func (p *peer) expect(id string) chan message {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.resp[id]
	if !ok {
		ch = make(chan message, 1)
		p.resp[id] = ch
	}
	return ch
}

func (p *peer) wait(id string) message {
	p.t.Helper()
	select {
	case m, ok := <-p.expect(id):
		if !ok {
			p.t.Fatalf("connection closed while waiting for response %s", id)
		}
		return m
	case <-time.After(60 * time.Second):
		p.t.Fatalf("no response %s within 60s", id)
	}
	return message{}
}

// sendRaw sends exact bytes and waits for the answer with the given id
// ("null" for errors without id).
func (p *peer) sendRaw(body string, id string) message {
	p.t.Helper()
	ch := p.expect(id)
	if err := p.w.send([]byte(body)); err != nil {
		p.t.Fatalf("send: %v", err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			p.t.Fatalf("connection closed after %q", body)
		}
		p.mu.Lock()
		delete(p.resp, id)
		p.mu.Unlock()
		return m
	case <-time.After(60 * time.Second):
		p.t.Fatalf("no answer to %q within 60s", body)
	}
	return message{}
}

// call sends a request with a fresh id and returns the response.
func (p *peer) call(method string, params any) message {
	p.t.Helper()
	p.next++
	id := strconv.Itoa(p.next)
	var ps json.RawMessage
	switch v := params.(type) {
	case nil:
		ps = nil
	case string:
		ps = json.RawMessage(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			p.t.Fatal(err)
		}
		ps = b
	}
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q`, id, method)
	if ps != nil {
		body += `,"params":` + string(ps)
	}
	return p.sendRaw(body+"}", id)
}

// ok calls and fails the test on an error response, decoding the result.
func (p *peer) ok(method string, params any, result any) {
	p.t.Helper()
	m := p.call(method, params)
	if m.Error != nil {
		p.t.Fatalf("%s: error %d %s %s", method, m.Error.Code, m.Error.Message, m.Error.Data)
	}
	if result != nil {
		if err := json.Unmarshal(m.Result, result); err != nil {
			p.t.Fatalf("%s: decode result %s: %v", method, m.Result, err)
		}
	}
}

func (p *peer) notify(method string, params string) {
	p.t.Helper()
	body := fmt.Sprintf(`{"jsonrpc":"2.0","method":%q`, method)
	if params != "" {
		body += `,"params":` + params
	}
	if err := p.w.send([]byte(body + "}")); err != nil {
		p.t.Fatal(err)
	}
}

func (p *peer) notifications(method string) []message {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []message
	for _, m := range p.notifs {
		if m.Method == method {
			out = append(out, m)
		}
	}
	return out
}

func (p *peer) initialize() {
	p.t.Helper()
	p.ok("initialize", `{"clientInfo":{"name":"test"}}`, nil)
	p.notify("initialized", "{}")
}

// --- LSP framing over pipes -------------------------------------------------

type lspWire struct {
	r  *bufio.Reader
	w  io.Writer
	c  func() error
	mu sync.Mutex
}

func (l *lspWire) send(body []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := fmt.Fprintf(l.w, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return err
}

func (l *lspWire) sendFrame(frame string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := io.WriteString(l.w, frame)
	return err
}

func (l *lspWire) recv() (json.RawMessage, error) {
	n := -1
	for {
		line, err := l.r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("frame without Content-Length")
	}
	b := make([]byte, n)
	_, err := io.ReadFull(l.r, b)
	return b, err
}

func (l *lspWire) close() error { return l.c() }

// inProcessStdio serves the daemon on a pair of pipes, as stdio would be.
func inProcessStdio(t *testing.T, d *daemon.Daemon) (*lspWire, <-chan int) {
	cr, dw := io.Pipe() // daemon writes, client reads
	dr, cw := io.Pipe() // client writes, daemon reads
	code := make(chan int, 1)
	go func() {
		code <- d.ServeStdio(context.Background(), dr, dw)
		dw.Close()
	}()
	w := &lspWire{r: bufio.NewReader(cr), w: cw, c: func() error { cw.Close(); cr.Close(); return nil }}
	return w, code
}

// --- websocket ----------------------------------------------------------------

type wsWire struct {
	c  *websocket.Conn
	mu sync.Mutex
}

func (w *wsWire) send(body []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.c.WriteMessage(websocket.TextMessage, body)
}

func (w *wsWire) recv() (json.RawMessage, error) {
	_, b, err := w.c.ReadMessage()
	return b, err
}

func (w *wsWire) close() error { return w.c.Close() }

const testToken = "test-token"

func startWS(t *testing.T, d *daemon.Daemon) *httptest.Server {
	srv := httptest.NewServer(d.Handler(daemon.Access{Token: testToken}))
	t.Cleanup(srv.Close)
	return srv
}

func dialWS(t *testing.T, srv *httptest.Server) *wsWire {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/rpc"
	c, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + testToken}})
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", u, err, resp)
	}
	return &wsWire{c: c}
}

// --- the real binary ----------------------------------------------------------

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/switchboard once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "switchboard")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/switchboard").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// spawnStdio starts "switchboard stdio" with the test providers enabled.
func spawnStdio(t *testing.T) (*lspWire, *exec.Cmd) {
	t.Helper()
	return spawnStdioIn(t, t.TempDir())
}

// spawnStdioIn starts "switchboard stdio" on stateDir with args added.
func spawnStdioIn(t *testing.T, stateDir string, args ...string) (*lspWire, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"stdio"}, args...)...)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_TEST_PROVIDERS=1", "SWITCHBOARD_STATE_DIR="+stateDir)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return &lspWire{r: bufio.NewReader(out), w: in, c: in.Close}, cmd
}

func newTestDaemon() *daemon.Daemon {
	return daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger()})
}
