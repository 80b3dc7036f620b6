package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/sourcegraph/jsonrpc2"
	jsonrpc2ws "github.com/sourcegraph/jsonrpc2/websocket"
	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/protocol"
)

const (
	envFakeStdio = "SWITCHBOARD_CLIENT_TEST_FAKE_STDIO"
	envFakeHang  = "SWITCHBOARD_CLIENT_TEST_FAKE_HANG"
)

func TestMain(m *testing.M) {
	// The Spawn tests start this test binary as the daemon.
	if os.Getenv(envFakeStdio) == "1" {
		runFakeStdio(os.Getenv(envFakeHang) == "1")
	}
	goleak.VerifyTestMain(m)
}

// pipeClient connects a Client to a fake server over net.Pipe.
func pipeClient(t *testing.T, s *fakeServer, opts ...Option) *Client {
	t.Helper()
	cside, sside := net.Pipe()
	sconn := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(sside, jsonrpc2.VSCodeObjectCodec{}), s, quiet)
	c, err := NewStream(context.Background(), cside, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		sconn.Close()
		s.wg.Wait()
	})
	return c
}

// jsonEqual compares raw JSON by value: the fake (jsonrpc2) encodes its
// notifications its own way.
var jsonEqual = cmp.Transformer("json", func(r json.RawMessage) any {
	var v any
	if err := json.Unmarshal(r, &v); err != nil {
		return string(r)
	}
	return v
})

// quiet keeps the fake's jsonrpc2 connections from logging closed
// connections.
var quiet = jsonrpc2.SetLogger(log.New(io.Discard, "", 0))

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code int64) *protocol.Error {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *protocol.Error with code %d", err, err, code)
	}
	if pe.Code != code {
		t.Fatalf("code = %d (%v), want %d", pe.Code, pe, code)
	}
	return pe
}

// recorder collects notifications from every handler, in order.
type recorder struct {
	mu   sync.Mutex
	raw  []string
	logs []protocol.LogParams
	page []protocol.FetchPageParams
	prog []protocol.ProgressParams
}

func (r *recorder) options() []Option {
	return []Option{
		WithNotificationHandler(func(method string, _ json.RawMessage) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.raw = append(r.raw, method)
		}),
		OnLog(func(p protocol.LogParams) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.logs = append(r.logs, p)
		}),
		OnFetchPage(func(p protocol.FetchPageParams) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.page = append(r.page, p)
		}),
		OnProgress(func(p protocol.ProgressParams) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.prog = append(r.prog, p)
		}),
	}
}

func TestLifecycleAndCalls(t *testing.T) {
	ctx := ctxT(t)
	s := newFakeServer()
	var rec recorder
	c := pipeClient(t, s, rec.options()...)

	// Before initialize: -32002.
	_, err := c.Providers(ctx)
	wantCode(t, err, protocol.CodeNotInitialized)

	res, err := c.Init(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fakeInitResult, res); diff != "" {
		t.Errorf("Init result (-want +got):\n%s", diff)
	}

	provs, err := c.Providers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := provs.Providers[0].Name, "demobank"; got != want {
		t.Errorf("provider = %q, want %q", got, want)
	}
	s.mu.Lock()
	gotInitd := s.gotInitd
	s.mu.Unlock()
	if !gotInitd {
		t.Error("server saw no initialized notification")
	}

	// Coded errors with data.
	_, err = c.GetSession(ctx, "nope")
	pe := wantCode(t, err, protocol.CodeSessionNotFound)
	if diff := cmp.Diff(json.RawMessage(`{"sessionId":"nope"}`), pe.Data); diff != "" {
		t.Errorf("error data (-want +got):\n%s", diff)
	}
	data, ok := ErrorData[protocol.SessionNotFoundData](err)
	if !ok || data.SessionID != "nope" {
		t.Errorf("ErrorData = %+v, %v", data, ok)
	}
	if !errors.Is(err, &protocol.Error{Code: protocol.CodeSessionNotFound}) {
		t.Errorf("errors.Is(%v, session not found) = false", err)
	}
	err = c.Call(ctx, "no/such", nil, nil)
	wantCode(t, err, protocol.CodeMethodNotFound)

	// A typed call with its items and notifications.
	page, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: "s1", Resource: protocol.ResourceAccounts})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fakePage("s1", "accounts"), page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	accounts, err := DecodeItems[protocol.Account](page)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fakeAccounts, accounts); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	if diff := cmp.Diff([]string{protocol.NotifyLog, protocol.NotifyFetchPage}, rec.raw); diff != "" {
		t.Errorf("raw notifications (-want +got):\n%s", diff)
	}
	wantLogs := []protocol.LogParams{{SessionID: "s1", Level: "info", Message: "fetching", Time: fakeCreatedAt}}
	if diff := cmp.Diff(wantLogs, rec.logs); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	wantPages := []protocol.FetchPageParams{{SessionID: "s1", Page: fakePage("s1", "accounts")}}
	if diff := cmp.Diff(wantPages, rec.page, jsonEqual); diff != "" {
		t.Errorf("fetch/page (-want +got):\n%s", diff)
	}
	rec.mu.Unlock()

	// Generic Call with raw params and result.
	var echoed map[string]int
	if err := c.Call(ctx, "test/echo", map[string]int{"a": 1}, &echoed); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"a": 1}, echoed); diff != "" {
		t.Errorf("echo (-want +got):\n%s", diff)
	}

	// Shutdown, then requests are refused; exit closes the connection.
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Providers(ctx)
	wantCode(t, err, protocol.CodeInvalidRequest)
	if err := c.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection still open after exit")
	}
	_, err = c.Providers(ctx)
	if !errors.Is(err, ErrClosed) {
		t.Errorf("call after exit: err = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestNotificationsOrderedAndNonBlocking(t *testing.T) {
	ctx := ctxT(t)
	gate := make(chan struct{})
	var mu sync.Mutex
	var got []string
	c := pipeClient(t, newFakeServer(), OnLog(func(p protocol.LogParams) {
		<-gate // the first notification blocks the handler until the call returned
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p.Message)
	}))
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 300
	var res int
	if err := c.Call(ctx, "test/burst", n, &res); err != nil {
		t.Fatal(err)
	}
	close(gate)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range n {
		want = append(want, strconv.Itoa(i))
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log order (-want +got):\n%s", diff)
	}
}

func TestWorkDoneProgress(t *testing.T) {
	ctx := ctxT(t)
	var rec recorder
	c := pipeClient(t, newFakeServer(), rec.options()...)
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := c.FetchAll(ctx, protocol.FetchAllParams{SessionID: "s1", Resource: protocol.ResourceAccounts})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(protocol.FetchAllResult{Pages: 3, Items: 6, DurationMs: 2}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	pct := 50
	tok := json.RawMessage(`"srv-1"`)
	want := []protocol.ProgressParams{
		{Token: tok, Value: protocol.ProgressValue{Kind: "begin", Title: "fetch/all"}},
		{Token: tok, Value: protocol.ProgressValue{Kind: "report", Percentage: &pct}},
		{Token: tok, Value: protocol.ProgressValue{Kind: "end"}},
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if diff := cmp.Diff(want, rec.prog); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

func TestCancelAnswered(t *testing.T) {
	ctx := ctxT(t)
	s := newFakeServer()
	c := pipeClient(t, s)
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		<-s.slowStarted
		cancel()
	}()
	_, err := c.SyncRun(cctx, protocol.SyncRunParams{SessionID: "s1"})
	wantCode(t, err, protocol.CodeRequestCancelled)
	s.mu.Lock()
	ids := s.cancelIDs
	s.mu.Unlock()
	// initialize was request 1, sync/run request 2.
	if diff := cmp.Diff([]string{"2"}, ids); diff != "" {
		t.Errorf("$/cancelRequest ids (-want +got):\n%s", diff)
	}

	// The connection goes on.
	if _, err := c.Providers(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCancelUnanswered(t *testing.T) {
	ctx := ctxT(t)
	s := newFakeServer()
	s.ignoreCancel = true
	c := pipeClient(t, s, WithCancelGrace(50*time.Millisecond))
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := c.SyncRun(dctx, protocol.SyncRunParams{SessionID: "s1"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	<-s.slowStarted

	// Already cancelled: nothing is sent.
	cctx, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := c.Call(cctx, "test/echo", nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// wsServer serves the fake over websocket on 127.0.0.1, with token
// "secret"; /forbidden always answers 403.
func wsServer(t *testing.T, s *fakeServer) *httptest.Server {
	t.Helper()
	var conns sync.WaitGroup
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
	})
	mux.HandleFunc("/rpc", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		conns.Add(1)
		defer conns.Done()
		conn := jsonrpc2.NewConn(context.Background(), jsonrpc2ws.NewObjectStream(ws), s, quiet)
		<-conn.DisconnectNotify()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		conns.Wait()
		s.wg.Wait()
	})
	return srv
}

func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

func TestWebsocket(t *testing.T) {
	ctx := ctxT(t)
	var rec recorder
	srv := wsServer(t, newFakeServer())

	c, err := Dial(ctx, wsURL(srv, "/rpc"), "secret", rec.options()...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: "s1", Resource: protocol.ResourceAccounts})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fakePage("s1", "accounts"), page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	_, err = c.GetSession(ctx, "nope")
	wantCode(t, err, protocol.CodeSessionNotFound)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	if diff := cmp.Diff([]string{protocol.NotifyLog, protocol.NotifyFetchPage}, rec.raw); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	rec.mu.Unlock()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestDialRefused(t *testing.T) {
	ctx := ctxT(t)
	srv := wsServer(t, newFakeServer())
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/rpc", "wrong", http.StatusUnauthorized},
		{"/rpc", "", http.StatusUnauthorized},
		{"/forbidden", "secret", http.StatusForbidden},
	} {
		_, err := Dial(ctx, wsURL(srv, tc.path), tc.token)
		var he *HandshakeError
		if !errors.As(err, &he) {
			t.Fatalf("Dial %s with %q: err = %v, want *HandshakeError", tc.path, tc.token, err)
		}
		if he.StatusCode != tc.status || !strings.Contains(err.Error(), http.StatusText(tc.status)) {
			t.Errorf("Dial %s with %q: %v, want status %d", tc.path, tc.token, err, tc.status)
		}
	}
	// Nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if _, err := Dial(ctx, "ws://"+addr+"/rpc", "secret"); err == nil {
		t.Error("Dial to a closed port succeeded")
	}
}

func TestDiscoverAndConnect(t *testing.T) {
	ctx := ctxT(t)
	dir := t.TempDir()
	if _, err := Discover(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Discover of an empty dir: err = %v, want fs.ErrNotExist", err)
	}
	srv := wsServer(t, newFakeServer())
	info := DaemonInfo{PID: 42, Version: "1.2.3", URL: wsURL(srv, "/rpc"), Token: "secret", StartedAt: fakeCreatedAt}
	b, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, DaemonInfoFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(info, got); diff != "" {
		t.Errorf("Discover (-want +got):\n%s", diff)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"pid", "version", "url", "token", "startedAt"} {
		if _, ok := m[k]; !ok {
			t.Errorf("daemon.json lacks %q: %s", k, b)
		}
	}

	t.Setenv("SWITCHBOARD_STATE_DIR", dir)
	c, err := Connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Providers(ctx); err != nil {
		t.Errorf("Providers after Connect: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

func TestDefaultStateDir(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct{ sb, xdg, want string }{
		{"/tmp/sb", "/tmp/xdg", "/tmp/sb"},
		{"", "/tmp/xdg", "/tmp/xdg/switchboard"},
		{"", "", filepath.Join(home, ".local/state/switchboard")},
	} {
		t.Setenv("SWITCHBOARD_STATE_DIR", tc.sb)
		t.Setenv("XDG_STATE_HOME", tc.xdg)
		got, err := DefaultStateDir()
		if err != nil || got != tc.want {
			t.Errorf("DefaultStateDir with %q, %q = %q, %v; want %q", tc.sb, tc.xdg, got, err, tc.want)
		}
	}
}

func TestDecodeItems(t *testing.T) {
	pay := []protocol.Payment{{Reference: "p1", CreatedAt: fakeCreatedAt, Type: protocol.PaymentTypePayout, Amount: "12345", Asset: "USD/2", Scheme: "SEPA", Status: "SUCCEEDED", Metadata: map[string]string{}, Raw: json.RawMessage(`{}`)}}
	b, _ := json.Marshal(pay)
	got, err := DecodeItems[protocol.Payment](protocol.Page{Resource: protocol.ResourcePayments, Items: b})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pay, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	none, err := DecodeItems[protocol.Payment](protocol.Page{})
	if err != nil || none != nil {
		t.Errorf("no items: %v, %v", none, err)
	}
	if _, err := DecodeItems[protocol.Balance](protocol.Page{Items: json.RawMessage(`{"not":"an array"}`)}); err == nil {
		t.Error("decoding an object as items succeeded")
	}
}

func spawnFake(t *testing.T, hang bool, opts ...Option) (*Client, *bytes.Buffer) {
	t.Helper()
	t.Setenv(envFakeStdio, "1")
	if hang {
		t.Setenv(envFakeHang, "1")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	c, err := Spawn(ctxT(t), exe, nil, append([]Option{WithStderr(&stderr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, &stderr.buf
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestSpawn(t *testing.T) {
	ctx := ctxT(t)
	var rec recorder
	c, stderr := spawnFake(t, false, rec.options()...)
	if got := c.ExitCode(); got != -1 {
		t.Errorf("ExitCode while running = %d, want -1", got)
	}
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: "s1", Resource: protocol.ResourceAccounts})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fakePage("s1", "accounts"), page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := c.ExitCode(); got != 0 {
		t.Errorf("ExitCode = %d, want 0", got)
	}
	if !strings.Contains(stderr.String(), "fake daemon started") {
		t.Errorf("stderr = %q, want the daemon's stderr", stderr.String())
	}
	rec.mu.Lock()
	if diff := cmp.Diff([]string{protocol.NotifyLog, protocol.NotifyFetchPage}, rec.raw); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	rec.mu.Unlock()
}

func TestSpawnExitWithoutShutdown(t *testing.T) {
	ctx := ctxT(t)
	c, _ := spawnFake(t, false)
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	err := c.Close()
	if err == nil || !strings.Contains(err.Error(), "code 1") {
		t.Errorf("Close = %v, want exit code 1 reported", err)
	}
	if got := c.ExitCode(); got != 1 {
		t.Errorf("ExitCode = %d, want 1", got)
	}
}

func TestSpawnKilledAfterTimeout(t *testing.T) {
	ctx := ctxT(t)
	c, _ := spawnFake(t, true, WithCloseTimeout(200*time.Millisecond))
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	err := c.Close()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Close = %v, want a kill reported", err)
	}
	if got := c.ExitCode(); got != -1 {
		t.Errorf("ExitCode = %d, want -1 (killed by a signal)", got)
	}
}

func TestServerRequestUnknown(t *testing.T) {
	ctx := ctxT(t)
	cside, sside := net.Pipe()
	sconn := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(sside, jsonrpc2.VSCodeObjectCodec{}), jsonrpc2.HandlerWithError(
		func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	defer sconn.Close()
	c, err := NewStream(ctx, cside)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = sconn.Call(ctx, "workspace/configuration", nil, nil)
	var je *jsonrpc2.Error
	if !errors.As(err, &je) || je.Code != protocol.CodeMethodNotFound {
		t.Errorf("unknown server request: err = %v, want method not found", err)
	}
	var res json.RawMessage
	if err := sconn.Call(ctx, protocol.MethodWorkDoneProgressCreate, protocol.WorkDoneProgressCreateParams{Token: json.RawMessage(`1`)}, &res); err != nil || string(res) != "null" {
		t.Errorf("workDoneProgress/create = %s, %v; want null", res, err)
	}
}

// rawPipeClient connects a Client to a raw LSP peer driven by the test.
func rawPipeClient(t *testing.T, opts ...Option) (*Client, *lspPeer) {
	t.Helper()
	cside, sside := net.Pipe()
	peer := newLSPPeer(sside)
	c, err := NewStream(context.Background(), cside, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		peer.close()
	})
	return c, peer
}

func TestRawWire(t *testing.T) {
	ctx := ctxT(t)
	var mu sync.Mutex
	var raw []string
	var pages []protocol.FetchPageParams
	var logs []string
	c, peer := rawPipeClient(t,
		WithNotificationHandler(func(method string, params json.RawMessage) {
			mu.Lock()
			defer mu.Unlock()
			raw = append(raw, method+" "+string(params))
		}),
		OnFetchPage(func(p protocol.FetchPageParams) {
			mu.Lock()
			defer mu.Unlock()
			pages = append(pages, p)
		}),
		WithLogf(func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			logs = append(logs, fmt.Sprintf(format, args...))
		}))

	type answer struct {
		page protocol.Page
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		p, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: "s1", Resource: protocol.ResourcePayments})
		answers <- answer{p, err}
	}()
	req, err := peer.read()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"jsonrpc":"2.0","id":1,"method":"fetch/next","params":{"sessionId":"s1","resource":"payments"}}`; string(req) != want {
		t.Errorf("request = %s, want %s", req, want)
	}
	// The server's request with a string id, a notification with null
	// params, a page (keys in an odd order and case, spaces), an answer to
	// no request, then the answer (id as a string).
	for _, msg := range []string{
		`{"jsonrpc":"2.0","id":"w1","method":"window/workDoneProgress/create","params":{"token":"t"}}`,
		`{"jsonrpc":"2.0","id":"w2","method":"workspace/configuration"}`,
		`{"jsonrpc":"2.0","method":"session/changed","params":null}`,
		`{"params": {"page": {"Items": [ {"x":"\"]"} ], "itemCount": 1, "sessionId": "s1"}, "sessionId": "s1"}, "method": "fetch/page", "jsonrpc": "2.0"}`,
		`{"jsonrpc":"2.0","id":99,"result":{}}`,
		`{"jsonrpc":"2.0","id":"1","result":{"sessionId":"s1","resource":"payments","key":"payments","page":1,"items":[{"x":1}],"itemCount":1,"newState":{"c":"\u00e9"},"hasMore":true,"durationMs":0.5}}`,
	} {
		if err := peer.write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	a := <-answers
	if a.err != nil {
		t.Fatal(a.err)
	}
	want := protocol.Page{SessionID: "s1", Resource: "payments", Key: "payments", Page: 1, Items: json.RawMessage(`[{"x":1}]`),
		ItemCount: 1, NewState: json.RawMessage(`{"c":"\u00e9"}`), HasMore: true, DurationMs: 0.5}
	if diff := cmp.Diff(want, a.page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	replies := map[string]string{}
	for range 2 {
		msg, err := peer.read()
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			ID string `json:"id"`
		}
		json.Unmarshal(msg, &r)
		replies[r.ID] = string(msg)
	}
	wantReplies := map[string]string{
		"w1": `{"jsonrpc":"2.0","id":"w1","result":null}`,
		"w2": `{"jsonrpc":"2.0","id":"w2","error":{"code":-32601,"message":"method \"workspace/configuration\" not supported by the client"}}`,
	}
	if diff := cmp.Diff(wantReplies, replies); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	wantRaw := []string{
		"session/changed ",
		`fetch/page {"page": {"Items": [ {"x":"\"]"} ], "itemCount": 1, "sessionId": "s1"}, "sessionId": "s1"}`,
	}
	if diff := cmp.Diff(wantRaw, raw); diff != "" {
		t.Errorf("raw notifications (-want +got):\n%s", diff)
	}
	wantPages := []protocol.FetchPageParams{{SessionID: "s1", Page: protocol.Page{SessionID: "s1", Items: json.RawMessage(`[ {"x":"\"]"} ]`), ItemCount: 1}}}
	if diff := cmp.Diff(wantPages, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if len(logs) != 1 || !strings.Contains(logs[0], "unknown request 99") {
		t.Errorf("logs = %q, want the answer to request 99", logs)
	}
	mu.Unlock()

	// A malformed message ends the connection; a waiting call fails with
	// ErrClosed.
	go func() {
		err := c.Call(ctx, "test/echo", nil, nil)
		answers <- answer{err: err}
	}()
	if _, err := peer.read(); err != nil {
		t.Fatal(err)
	}
	if err := peer.write([]byte(`{"jsonrpc":"2.0","id":2,"result":{]}`)); err != nil {
		t.Fatal(err)
	}
	if a := <-answers; !errors.Is(a.err, ErrClosed) {
		t.Errorf("call on a broken connection: err = %v, want ErrClosed", a.err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection still open after a malformed message")
	}
	if err := c.Notify(ctx, "x", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Notify after close: err = %v, want ErrClosed", err)
	}
}
