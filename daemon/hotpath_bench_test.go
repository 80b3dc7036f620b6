package daemon_test

// The hot path of issue 3, measured in one run: pages of 100 payments
// (about 360 bytes of JSON each, as in the architecture sketch) pushed to
// one client that decodes every page down to its payments.
//
//	go test -run '^$' -bench PagePush -benchmem -benchtime=2s ./daemon/
//
//	json-marshal             build the page + json.Marshal of the notification
//	json-floor               build + marshal + unmarshal: the JSON floor
//	bare-jsonrpc2-pipe       sourcegraph/jsonrpc2 Conn.Notify over an
//	                         LSP-framed net.Pipe to a jsonrpc2 client
//	bare-jsonrpc2-websocket  the same over a loopback websocket (gorilla)
//	daemon-pipe              a daemon session's fetch/all over daemon.ServeStdio
//	                         on a net.Pipe: every page a fetch/page notification
//	daemon-websocket         the same over daemon.Handler on 127.0.0.1
//	*-nodecode               the four transported rows again with a client
//	                         that counts frames without parsing them: the
//	                         sender's cost alone
//
// One op is one page delivered and decoded; payments/s is what the client
// received. The receiving client is the same in every transported case (a
// sourcegraph/jsonrpc2 Conn whose handler decodes the params into
// protocol.FetchPageParams and the items into []protocol.Payment), so the
// rows differ only in who sends. The daemon's pages come from an in-memory
// connector that builds the same payments the baselines build, so every
// row pays for building its pages.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/jsonrpc2"
	jsonrpc2ws "github.com/sourcegraph/jsonrpc2/websocket"

	"github.com/switchboardpay/switchboard/connector"
	sdkwire "github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/protocol"
)

// pushPageSize is the number of payments of every pushed page.
const pushPageSize = 100

// benchCallTimeout bounds every call and wait of the benchmarks, so that a
// daemon that stops answering fails the benchmark instead of hanging it.
const benchCallTimeout = 2 * time.Minute

// pushProviderName is the in-memory provider of the daemon cases.
const pushProviderName = "pagepush"

func BenchmarkPagePush(b *testing.B) {
	b.Run("json-marshal", benchPushMarshal)
	b.Run("json-floor", benchPushFloor)
	b.Run("bare-jsonrpc2-pipe", func(b *testing.B) { benchPushBare(b, openBarePipe) })
	b.Run("bare-jsonrpc2-websocket", func(b *testing.B) { benchPushBare(b, openBareWebsocket) })
	b.Run("daemon-pipe", func(b *testing.B) { benchPushDaemon(b, openDaemonPipe) })
	b.Run("daemon-websocket", func(b *testing.B) { benchPushDaemon(b, openDaemonWebsocket) })
	benchPagePushSendRows(b)
}

// --- the payments --------------------------------------------------------------

var pushEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// pushPayment is payment i as a connector returns it: 360-odd bytes once
// in wire JSON.
func pushPayment(i int) connector.Payment {
	n := strconv.Itoa(i)
	ref := "pay_" + strings.Repeat("0", max(0, 10-len(n))) + n
	amount := 1000 + i%100_000
	return connector.Payment{
		Reference:                   ref,
		CreatedAt:                   pushEpoch.Add(time.Duration(i) * 1013 * time.Millisecond),
		Type:                        connector.PaymentTypePayIn,
		Amount:                      big.NewInt(int64(amount)),
		Asset:                       "EUR/2",
		Scheme:                      "sepa",
		Status:                      connector.PaymentStatusSucceeded,
		SourceAccountReference:      "ext_" + strconv.Itoa(i%997),
		DestinationAccountReference: "acc_" + strconv.Itoa(i%100),
		Metadata:                    map[string]string{"batch": strconv.Itoa(i / 1000), "channel": "api"},
		Raw:                         json.RawMessage(`{"id":"` + ref + `","object":"payment","amount":` + strconv.Itoa(amount) + `,"currency":"eur","status":"paid"}`),
	}
}

// pushPage is a wire page whose items are still Go values, as a library
// user hands them to Notify.
type pushPage struct {
	SessionID  string             `json:"sessionId"`
	Resource   string             `json:"resource"`
	Key        string             `json:"key"`
	Page       int                `json:"page"`
	Items      []protocol.Payment `json:"items"`
	ItemCount  int                `json:"itemCount"`
	NewState   json.RawMessage    `json:"newState"`
	HasMore    bool               `json:"hasMore"`
	DurationMs float64            `json:"durationMs"`
}

type pushParams struct {
	SessionID string   `json:"sessionId"`
	Page      pushPage `json:"page"`
}

type pushNotification struct {
	JSONRPC string     `json:"jsonrpc"`
	Method  string     `json:"method"`
	Params  pushParams `json:"params"`
}

const pushSessionID = "6f1c1a52-6d1e-4f35-9d2c-1b0e5a7c9e11"

// buildPushPage builds page n (0-based) the way the daemon does for a
// connector page: SDK payments converted to wire payments.
func buildPushPage(n int) pushParams {
	items := make([]protocol.Payment, pushPageSize)
	for i := range items {
		items[i] = sdkwire.PaymentToWire(pushPayment(n*pushPageSize + i))
	}
	return pushParams{SessionID: pushSessionID, Page: pushPage{
		SessionID: pushSessionID, Resource: protocol.ResourcePayments, Key: protocol.ResourcePayments, Page: n + 1,
		Items: items, ItemCount: len(items), NewState: json.RawMessage(`{"offset":` + strconv.Itoa((n+1)*pushPageSize) + `}`),
		HasMore: true, DurationMs: 0.25,
	}}
}

// decodePushPage decodes fetch/page params down to the payments, as a
// client that shows them must; it returns the number of payments.
func decodePushPage(params []byte) (int, error) {
	var p protocol.FetchPageParams
	if err := json.Unmarshal(params, &p); err != nil {
		return 0, err
	}
	var items []protocol.Payment
	if err := json.Unmarshal(p.Page.Items, &items); err != nil {
		return 0, err
	}
	if len(items) != p.Page.ItemCount {
		return 0, errors.New("itemCount does not match the items")
	}
	return len(items), nil
}

// pushPaymentBytes is the mean size of one payment in wire JSON.
func pushPaymentBytes(b *testing.B) float64 {
	raw, err := json.Marshal(buildPushPage(0).Page.Items)
	if err != nil {
		b.Fatal(err)
	}
	return float64(len(raw)-2) / pushPageSize // less the brackets
}

func reportPush(b *testing.B, payments int) {
	b.ReportMetric(pushPaymentBytes(b), "B/payment")
	reportPayments(b, payments)
}

// --- JSON alone ----------------------------------------------------------------

func benchPushMarshal(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := json.Marshal(pushNotification{JSONRPC: "2.0", Method: protocol.NotifyFetchPage, Params: buildPushPage(n)}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportPush(b, n*pushPageSize)
}

func benchPushFloor(b *testing.B) {
	b.ReportAllocs()
	n, payments := 0, 0
	for b.Loop() {
		raw, err := json.Marshal(pushNotification{JSONRPC: "2.0", Method: protocol.NotifyFetchPage, Params: buildPushPage(n)})
		if err != nil {
			b.Fatal(err)
		}
		var m struct {
			JSONRPC string          `json:"jsonrpc"`
			Method  string          `json:"method"`
			Params  json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			b.Fatal(err)
		}
		got, err := decodePushPage(m.Params)
		if err != nil {
			b.Fatal(err)
		}
		payments += got
		n++
	}
	reportPush(b, payments)
}

// --- the receiving client ------------------------------------------------------

// pushReceiver is the decoding client: a jsonrpc2 handler that decodes
// every fetch/page and counts its payments.
type pushReceiver struct {
	payments atomic.Int64
	pages    atomic.Int64
	dropped  atomic.Bool
	failed   atomic.Value // error

	mu     sync.Mutex
	target int64
	done   chan struct{}
}

func newPushReceiver() *pushReceiver { return &pushReceiver{} }

// expect arms the receiver: the returned channel is closed once pages
// pages have arrived in all.
func (r *pushReceiver) expect(pages int64) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = pages
	r.done = make(chan struct{})
	if r.pages.Load() >= pages {
		close(r.done)
	}
	return r.done
}

func (r *pushReceiver) Handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	switch req.Method {
	case protocol.NotifyFetchPage:
	case protocol.NotifySessionChanged:
		r.dropped.Store(true)
		return
	default:
		return
	}
	if req.Params == nil {
		r.failed.Store(errors.New("fetch/page without params"))
		return
	}
	n, err := decodePushPage(*req.Params)
	if err != nil {
		r.failed.Store(err)
		return
	}
	r.payments.Add(int64(n))
	pages := r.pages.Add(1)
	r.mu.Lock()
	if r.done != nil && pages == r.target {
		close(r.done)
	}
	r.mu.Unlock()
}

// wait waits for the pages expected, or fails the benchmark.
func (r *pushReceiver) wait(b *testing.B, done <-chan struct{}, gone <-chan struct{}) {
	b.Helper()
	select {
	case <-done:
	case <-gone:
		b.Fatalf("connection closed after %d pages", r.pages.Load())
	case <-time.After(benchCallTimeout):
		b.Fatalf("only %d pages arrived", r.pages.Load())
	}
	if err, _ := r.failed.Load().(error); err != nil {
		b.Fatalf("client could not decode a page: %v", err)
	}
}

type nopHandler struct{}

func (nopHandler) Handle(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) {}

// --- the bare library ----------------------------------------------------------

// barePair is a sending and a receiving jsonrpc2 connection.
type barePair struct {
	send, recv *jsonrpc2.Conn
	close      func()
}

// benchPushBare sends b.N fetch/page notifications with Conn.Notify.
func benchPushBare(b *testing.B, open func(b *testing.B, recv *pushReceiver) barePair) {
	recv := newPushReceiver()
	p := open(b, recv)
	defer p.close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	done := recv.expect(int64(b.N))
	for n := 0; n < b.N; n++ {
		if err := p.send.Notify(ctx, protocol.NotifyFetchPage, buildPushPage(n)); err != nil {
			b.Fatal(err)
		}
	}
	recv.wait(b, done, p.recv.DisconnectNotify())
	b.StopTimer()
	reportPush(b, int(recv.payments.Load()))
}

func openBarePipe(b *testing.B, recv *pushReceiver) barePair {
	a, c := net.Pipe()
	ctx := context.Background()
	send := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(a, jsonrpc2.VSCodeObjectCodec{}), nopHandler{})
	rc := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(c, jsonrpc2.VSCodeObjectCodec{}), recv)
	return barePair{send: send, recv: rc, close: func() {
		rc.Close()
		send.Close()
		<-rc.DisconnectNotify()
		<-send.DisconnectNotify()
	}}
}

func openBareWebsocket(b *testing.B, recv *pushReceiver) barePair {
	// The daemon's upgrader buffers, so that only the sender differs from
	// daemon-websocket.
	up := websocket.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	conns := make(chan *websocket.Conn, 1)
	srv, wait := serveTracked(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		conns <- c
	}))
	wc, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
	if err != nil {
		srv.Close()
		b.Fatal(err)
	}
	ctx := context.Background()
	send := jsonrpc2.NewConn(ctx, jsonrpc2ws.NewObjectStream(<-conns), nopHandler{})
	rc := jsonrpc2.NewConn(ctx, jsonrpc2ws.NewObjectStream(wc), recv)
	return barePair{send: send, recv: rc, close: func() {
		rc.Close()
		<-rc.DisconnectNotify()
		send.Close()
		<-send.DisconnectNotify()
		srv.Close()
		wait()
	}}
}

// --- the daemon ----------------------------------------------------------------

// pushConfig configures the in-memory provider.
type pushConfig struct {
	// Payments is the number of payments served (default: more than any
	// benchmark asks for).
	Payments int `json:"payments,omitempty"`
}

// pushConnector serves pushPayment(0), pushPayment(1), ... from memory.
type pushConnector struct{ total int }

var _ connector.PaymentsFetcher = (*pushConnector)(nil)

func (c *pushConnector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	var st struct {
		Offset int `json:"offset"`
	}
	if len(req.State) > 0 && string(req.State) != "null" {
		if err := json.Unmarshal(req.State, &st); err != nil {
			return connector.Page[connector.Payment]{}, connector.ErrInvalidState
		}
	}
	end := min(st.Offset+req.PageSize, c.total)
	items := make([]connector.Payment, 0, max(end-st.Offset, 0))
	for i := st.Offset; i < end; i++ {
		items = append(items, pushPayment(i))
	}
	return connector.Page[connector.Payment]{
		Items: items, NewState: json.RawMessage(`{"offset":` + strconv.Itoa(end) + `}`), HasMore: end < c.total,
	}, nil
}

func pushRegistry() *connector.Registry {
	r := connector.NewRegistry()
	r.Register(connector.Define(pushProviderName, connector.Info{Description: "in-memory payments for BenchmarkPagePush", DefaultPageSize: pushPageSize},
		(*pushConnector)(nil), func(ctx context.Context, cfg pushConfig, env connector.Env) (connector.Connector, error) {
			if cfg.Payments == 0 {
				cfg.Payments = 1 << 40
			}
			return &pushConnector{total: cfg.Payments}, nil
		}))
	return r
}

// daemonConn is a receiving jsonrpc2 connection to a daemon.
type daemonConn struct {
	conn  *jsonrpc2.Conn
	close func()
}

// benchPushDaemon has a daemon session page b.N pages with one fetch/all
// to the subscribed receiver, which created the session.
func benchPushDaemon(b *testing.B, open func(b *testing.B, d *daemon.Daemon, recv *pushReceiver) daemonConn) {
	d := daemon.New(daemon.Options{Registry: pushRegistry(), Logger: quietLogger()})
	defer d.Close()
	recv := newPushReceiver()
	dc := open(b, d, recv)
	defer dc.close()
	ctx, cancel := context.WithTimeout(context.Background(), benchCallTimeout)
	defer cancel()
	if err := dc.conn.Call(ctx, protocol.MethodInitialize, protocol.InitializeParams{}, nil); err != nil {
		b.Fatal(err)
	}
	var s protocol.Session
	if err := dc.conn.Call(ctx, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: pushProviderName}, &s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	done := recv.expect(int64(b.N))
	var res protocol.FetchAllResult
	err := dc.conn.Call(ctx, protocol.MethodFetchAll, protocol.FetchAllParams{
		SessionID: s.ID, Resource: protocol.ResourcePayments, PageSize: pushPageSize, MaxPages: b.N,
	}, &res)
	if err != nil {
		b.Fatal(err)
	}
	recv.wait(b, done, dc.conn.DisconnectNotify())
	b.StopTimer()
	if res.Pages != b.N || recv.dropped.Load() {
		b.Fatalf("fetch/all: %d pages (want %d), receiver dropped: %v", res.Pages, b.N, recv.dropped.Load())
	}
	reportPush(b, int(recv.payments.Load()))
}

func openDaemonPipe(b *testing.B, d *daemon.Daemon, recv *pushReceiver) daemonConn {
	srvEnd, cliEnd := net.Pipe()
	served := make(chan int, 1)
	go func() { served <- d.ServeStdio(context.Background(), srvEnd, srvEnd) }()
	conn := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(cliEnd, jsonrpc2.VSCodeObjectCodec{}), recv)
	return daemonConn{conn: conn, close: func() {
		conn.Close()
		<-conn.DisconnectNotify()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			b.Error("daemon did not end its connection")
		}
	}}
}

func openDaemonWebsocket(b *testing.B, d *daemon.Daemon, recv *pushReceiver) daemonConn {
	srv, wait := serveTracked(d.Handler(daemon.Access{Token: testToken}))
	wc, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/rpc",
		http.Header{"Authorization": {"Bearer " + testToken}})
	if err != nil {
		srv.Close()
		b.Fatal(err)
	}
	conn := jsonrpc2.NewConn(context.Background(), jsonrpc2ws.NewObjectStream(wc), recv)
	return daemonConn{conn: conn, close: func() {
		conn.Close()
		<-conn.DisconnectNotify()
		srv.Close()
		wait()
	}}
}

// --- the sending side alone ----------------------------------------------------
//
// The *-nodecode rows replace the decoding client by one that reads whole
// frames and counts the fetch/page ones without parsing them, so they
// measure what the sender (bare jsonrpc2 or the daemon) costs per page.

// rawPeer reads whole frames: fetch/page notifications are counted,
// anything else is taken as the answer of the one call in flight.
type rawPeer struct {
	read  func() ([]byte, error)
	write func(body []byte) error

	pages  atomic.Int64
	answer chan []byte
	gone   chan struct{}

	mu     sync.Mutex
	target int64
	done   chan struct{}
	nextID int
}

var fetchPageMethod = []byte(`"method":"fetch/page"`)

func newRawPeer(read func() ([]byte, error), write func([]byte) error) *rawPeer {
	p := &rawPeer{read: read, write: write, answer: make(chan []byte, 1), gone: make(chan struct{})}
	go p.loop()
	return p
}

func (p *rawPeer) loop() {
	defer close(p.gone)
	for {
		body, err := p.read()
		if err != nil {
			return
		}
		head := body[:min(len(body), 64)]
		if strings.Contains(string(head), string(fetchPageMethod)) {
			n := p.pages.Add(1)
			p.mu.Lock()
			if p.done != nil && n == p.target {
				close(p.done)
			}
			p.mu.Unlock()
			continue
		}
		if strings.Contains(string(head), `"method"`) {
			continue // other notifications
		}
		p.answer <- body
	}
}

func (p *rawPeer) expect(pages int64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = pages
	p.done = make(chan struct{})
	if p.pages.Load() >= pages {
		close(p.done)
	}
	return p.done
}

// call sends a request and decodes its result into result.
func (p *rawPeer) call(method string, params, result any) error {
	p.nextID++
	raw, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": p.nextID, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := p.write(raw); err != nil {
		return err
	}
	select {
	case body := <-p.answer:
		var m struct {
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		if m.Error != nil {
			return errors.New(method + ": " + m.Error.Message)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(m.Result, result)
	case <-p.gone:
		return errors.New(method + ": connection closed")
	case <-time.After(benchCallTimeout):
		return errors.New(method + ": no answer within " + benchCallTimeout.String())
	}
}

func (p *rawPeer) wait(b *testing.B, done <-chan struct{}) {
	b.Helper()
	select {
	case <-done:
	case <-p.gone:
		b.Fatalf("connection closed after %d pages", p.pages.Load())
	case <-time.After(benchCallTimeout):
		b.Fatalf("only %d pages arrived", p.pages.Load())
	}
}

// lspFrames reads and writes LSP-framed bodies on c.
func lspFrames(c net.Conn) (read func() ([]byte, error), write func([]byte) error) {
	br := bufio.NewReaderSize(c, 64<<10)
	read = func() ([]byte, error) {
		length := -1
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return nil, err
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				if length, err = strconv.Atoi(v); err != nil {
					return nil, err
				}
			}
		}
		if length < 0 {
			return nil, errors.New("frame without Content-Length")
		}
		body := make([]byte, length)
		_, err := io.ReadFull(br, body)
		return body, err
	}
	write = func(body []byte) error {
		_, err := c.Write(append([]byte("Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"), body...))
		return err
	}
	return read, write
}

func wsFrames(c *websocket.Conn) (read func() ([]byte, error), write func([]byte) error) {
	read = func() ([]byte, error) {
		_, body, err := c.ReadMessage()
		return body, err
	}
	write = func(body []byte) error { return c.WriteMessage(websocket.TextMessage, body) }
	return read, write
}

func benchPagePushSendRows(b *testing.B) {
	b.Run("bare-jsonrpc2-pipe-nodecode", func(b *testing.B) {
		a, c := net.Pipe()
		send := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(a, jsonrpc2.VSCodeObjectCodec{}), nopHandler{})
		p := newRawPeer(lspFrames(c))
		defer func() { c.Close(); send.Close(); <-send.DisconnectNotify(); <-p.gone }()
		benchPushBareSend(b, send, p)
	})
	b.Run("bare-jsonrpc2-websocket-nodecode", func(b *testing.B) {
		up := websocket.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
		conns := make(chan *websocket.Conn, 1)
		srv, wait := serveTracked(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, err := up.Upgrade(w, r, nil); err == nil {
				conns <- c
			}
		}))
		wc, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
		if err != nil {
			srv.Close()
			b.Fatal(err)
		}
		send := jsonrpc2.NewConn(context.Background(), jsonrpc2ws.NewObjectStream(<-conns), nopHandler{})
		p := newRawPeer(wsFrames(wc))
		defer func() {
			wc.Close()
			<-p.gone
			send.Close()
			<-send.DisconnectNotify()
			srv.Close()
			wait()
		}()
		benchPushBareSend(b, send, p)
	})
	b.Run("daemon-pipe-nodecode", func(b *testing.B) {
		d := daemon.New(daemon.Options{Registry: pushRegistry(), Logger: quietLogger()})
		defer d.Close()
		srvEnd, cliEnd := net.Pipe()
		served := make(chan int, 1)
		go func() { served <- d.ServeStdio(context.Background(), srvEnd, srvEnd) }()
		p := newRawPeer(lspFrames(cliEnd))
		defer func() { cliEnd.Close(); <-p.gone; <-served }()
		benchPushDaemonSend(b, p)
	})
	b.Run("daemon-websocket-nodecode", func(b *testing.B) {
		d := daemon.New(daemon.Options{Registry: pushRegistry(), Logger: quietLogger()})
		defer d.Close()
		srv, wait := serveTracked(d.Handler(daemon.Access{Token: testToken}))
		wc, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/rpc",
			http.Header{"Authorization": {"Bearer " + testToken}})
		if err != nil {
			srv.Close()
			b.Fatal(err)
		}
		p := newRawPeer(wsFrames(wc))
		defer func() { wc.Close(); <-p.gone; srv.Close(); wait() }()
		benchPushDaemonSend(b, p)
	})
}

func benchPushBareSend(b *testing.B, send *jsonrpc2.Conn, p *rawPeer) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	done := p.expect(int64(b.N))
	for n := 0; n < b.N; n++ {
		if err := send.Notify(ctx, protocol.NotifyFetchPage, buildPushPage(n)); err != nil {
			b.Fatal(err)
		}
	}
	p.wait(b, done)
	b.StopTimer()
	reportPush(b, int(p.pages.Load())*pushPageSize)
}

func benchPushDaemonSend(b *testing.B, p *rawPeer) {
	if err := p.call(protocol.MethodInitialize, protocol.InitializeParams{}, nil); err != nil {
		b.Fatal(err)
	}
	var s protocol.Session
	if err := p.call(protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: pushProviderName}, &s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	done := p.expect(int64(b.N))
	var res protocol.FetchAllResult
	if err := p.call(protocol.MethodFetchAll, protocol.FetchAllParams{
		SessionID: s.ID, Resource: protocol.ResourcePayments, PageSize: pushPageSize, MaxPages: b.N,
	}, &res); err != nil {
		b.Fatal(err)
	}
	p.wait(b, done)
	b.StopTimer()
	if res.Pages != b.N {
		b.Fatalf("fetch/all: %d pages, want %d", res.Pages, b.N)
	}
	reportPush(b, int(p.pages.Load())*pushPageSize)
}
