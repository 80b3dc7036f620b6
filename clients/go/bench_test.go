package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/protocol"
)

// The benchmarks of this file measure the client alone: a raw fake server
// writes pre-encoded frames (pages of benchPageSize payments of about 370
// bytes each, as the daemon's connectors produce them), so that all the
// decoding cost is the client's.
//
//	go test -run '^$' -bench . -benchmem ./clients/go/

const benchPageSize = 100

var benchEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// benchPayment is payment i in wire form, shaped like the daemon's
// BenchmarkPagePush payments.
func benchPayment(i int) protocol.Payment {
	n := strconv.Itoa(i)
	ref := "pay_" + strings.Repeat("0", max(0, 10-len(n))) + n
	amount := 1000 + i%100_000
	return protocol.Payment{
		Reference:                   ref,
		CreatedAt:                   benchEpoch.Add(time.Duration(i) * 1013 * time.Millisecond),
		Type:                        protocol.PaymentTypePayIn,
		Amount:                      strconv.Itoa(amount),
		Asset:                       "EUR/2",
		Scheme:                      "sepa",
		Status:                      "SUCCEEDED",
		SourceAccountReference:      "ext_" + strconv.Itoa(i%997),
		DestinationAccountReference: "acc_" + strconv.Itoa(i%100),
		Metadata:                    map[string]string{"batch": strconv.Itoa(i / 1000), "channel": "api"},
		Raw:                         json.RawMessage(`{"id":"` + ref + `","object":"payment","amount":` + strconv.Itoa(amount) + `,"currency":"eur","status":"paid"}`),
	}
}

const benchSessionID = "6f1c1a52-6d1e-4f35-9d2c-1b0e5a7c9e11"

// benchPage is a full page of payments.
func benchPage(b *testing.B) protocol.Page {
	items := make([]protocol.Payment, benchPageSize)
	for i := range items {
		items[i] = benchPayment(i)
	}
	raw, err := json.Marshal(items)
	if err != nil {
		b.Fatal(err)
	}
	return protocol.Page{
		SessionID: benchSessionID, Resource: protocol.ResourcePayments, Key: protocol.ResourcePayments, Page: 1,
		Items: raw, ItemCount: len(items), NewState: json.RawMessage(`{"offset":100}`), HasMore: true, DurationMs: 0.25,
	}
}

// benchNotification is the JSON of a fetch/page notification of a full
// page.
func benchNotification(b *testing.B) []byte {
	msg, err := json.Marshal(struct {
		JSONRPC string                   `json:"jsonrpc"`
		Method  string                   `json:"method"`
		Params  protocol.FetchPageParams `json:"params"`
	}{"2.0", protocol.NotifyFetchPage, protocol.FetchPageParams{SessionID: benchSessionID, Page: benchPage(b)}})
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

func lspFrame(msg []byte) []byte {
	return append([]byte("Content-Length: "+strconv.Itoa(len(msg))+"\r\n\r\n"), msg...)
}

func reportPaymentRate(b *testing.B, payments int, msgBytes int) {
	b.ReportMetric(float64(payments)/b.Elapsed().Seconds(), "payments/s")
	b.ReportMetric(float64(msgBytes), "B/msg")
}

// rawPeer is the fake server's end of a connection: whole messages in and
// out.
type rawPeer interface {
	read() ([]byte, error)
	write(msg []byte) error
	close() error
}

// lspPeer speaks LSP framing over a net.Conn.
type lspPeer struct {
	conn net.Conn
	r    *bufio.Reader
	mu   sync.Mutex
}

func newLSPPeer(conn net.Conn) *lspPeer {
	return &lspPeer{conn: conn, r: bufio.NewReader(conn)}
}

func (p *lspPeer) read() ([]byte, error) {
	n := -1
	for {
		line, err := p.r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, err = strconv.Atoi(v)
			if err != nil {
				return nil, err
			}
		}
	}
	if n < 0 {
		return nil, errors.New("no Content-Length")
	}
	msg := make([]byte, n)
	_, err := io.ReadFull(p.r, msg)
	return msg, err
}

func (p *lspPeer) write(msg []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.conn.Write(lspFrame(msg))
	return err
}

func (p *lspPeer) close() error { return p.conn.Close() }

// wsPeer speaks one message per text frame.
type wsPeer struct {
	conn *websocket.Conn
	mu   sync.Mutex
}

func (p *wsPeer) read() ([]byte, error) {
	_, msg, err := p.conn.ReadMessage()
	return msg, err
}

func (p *wsPeer) write(msg []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn.WriteMessage(websocket.TextMessage, msg)
}

func (p *wsPeer) close() error { return p.conn.Close() }

// benchConn connects a Client to a raw fake server run by serve, over the
// transport named ("pipe": LSP framing over net.Pipe; "websocket": a
// loopback websocket). serve owns the peer until it returns.
func benchConn(b *testing.B, transport string, serve func(rawPeer), opts ...Option) *Client {
	b.Helper()
	var wg sync.WaitGroup
	var c *Client
	var cleanup func()
	switch transport {
	case "pipe":
		cside, sside := net.Pipe()
		peer := newLSPPeer(sside)
		wg.Add(1)
		go func() {
			defer wg.Done()
			serve(peer)
		}()
		var err error
		c, err = NewStream(context.Background(), cside, opts...)
		if err != nil {
			b.Fatal(err)
		}
		cleanup = func() { peer.close() }
	case "websocket":
		up := websocket.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			wg.Add(1)
			defer wg.Done()
			peer := &wsPeer{conn: ws}
			serve(peer)
			peer.close()
		}))
		var err error
		c, err = Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/rpc", "", opts...)
		if err != nil {
			srv.Close()
			b.Fatal(err)
		}
		cleanup = srv.Close
	default:
		b.Fatalf("unknown transport %q", transport)
	}
	b.Cleanup(func() {
		c.Close()
		cleanup()
		wg.Wait()
	})
	return c
}

// BenchmarkNotifications: one op = one fetch/page notification of 100
// payments written by the fake and delivered to an OnFetchPage handler.
// "params" rows stop at protocol.FetchPageParams (the items stay raw);
// "items" rows also decode the items into []protocol.Payment with
// DecodeItems, as a client that shows them must. "json-floor" rows decode
// the same message with encoding/json alone, without a connection.
func BenchmarkNotifications(b *testing.B) {
	msg := benchNotification(b)
	b.Run("json-floor-params", func(b *testing.B) { benchNotifyFloor(b, msg, false) })
	b.Run("json-floor-items", func(b *testing.B) { benchNotifyFloor(b, msg, true) })
	for _, transport := range []string{"pipe", "websocket"} {
		b.Run(transport+"-params", func(b *testing.B) { benchNotify(b, transport, msg, false) })
		b.Run(transport+"-items", func(b *testing.B) { benchNotify(b, transport, msg, true) })
	}
}

func benchNotifyFloor(b *testing.B, msg []byte, items bool) {
	b.ReportAllocs()
	payments := 0
	for b.Loop() {
		var m struct {
			Params protocol.FetchPageParams `json:"params"`
		}
		if err := json.Unmarshal(msg, &m); err != nil {
			b.Fatal(err)
		}
		n := m.Params.Page.ItemCount
		if items {
			ps, err := DecodeItems[protocol.Payment](m.Params.Page)
			if err != nil {
				b.Fatal(err)
			}
			n = len(ps)
		}
		payments += n
	}
	reportPaymentRate(b, payments, len(msg))
}

func benchNotify(b *testing.B, transport string, msg []byte, items bool) {
	var (
		received atomic.Int64
		payments atomic.Int64
		failed   atomic.Value
		want     atomic.Int64
		done     = make(chan struct{}, 1)
		start    = make(chan int, 1)
	)
	h := func(p protocol.FetchPageParams) {
		n := p.Page.ItemCount
		if items {
			ps, err := DecodeItems[protocol.Payment](p.Page)
			if err != nil {
				failed.Store(err)
			}
			n = len(ps)
		}
		if p.Page.SessionID != benchSessionID || n != benchPageSize {
			failed.Store(fmt.Errorf("page of %d payments in session %q", n, p.Page.SessionID))
		}
		payments.Add(int64(n))
		if received.Add(1) == want.Load() {
			done <- struct{}{}
		}
	}
	c := benchConn(b, transport, func(p rawPeer) {
		// Drain whatever the client sends (nothing, normally).
		go func() {
			for {
				if _, err := p.read(); err != nil {
					return
				}
			}
		}()
		for n := range start {
			for range n {
				if err := p.write(msg); err != nil {
					return
				}
			}
		}
	}, OnFetchPage(h))
	_ = c
	b.ReportAllocs()
	b.ResetTimer()
	want.Store(int64(b.N))
	start <- b.N
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("received %d of %d notifications", received.Load(), b.N)
	}
	b.StopTimer()
	close(start)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	reportPaymentRate(b, int(payments.Load()), len(msg))
}

// BenchmarkFetchNext: one op = one fetch/next call answered by the fake
// with a pre-encoded page of 100 payments. "+notification" rows also get
// the page as a fetch/page notification before the answer (the daemon's
// creating connection is subscribed), delivered to an OnFetchPage handler
// that counts it; "items" rows decode the result's items with DecodeItems.
func BenchmarkFetchNext(b *testing.B) {
	page := benchPage(b)
	result, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	note := benchNotification(b)
	for _, transport := range []string{"pipe", "websocket"} {
		b.Run(transport, func(b *testing.B) { benchFetchNext(b, transport, result, nil, false) })
		b.Run(transport+"-items", func(b *testing.B) { benchFetchNext(b, transport, result, nil, true) })
		b.Run(transport+"+notification", func(b *testing.B) { benchFetchNext(b, transport, result, note, false) })
	}
}

func benchFetchNext(b *testing.B, transport string, result, note []byte, items bool) {
	var notes atomic.Int64
	c := benchConn(b, transport, func(p rawPeer) {
		for {
			msg, err := p.read()
			if err != nil {
				return
			}
			var req struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if err := json.Unmarshal(msg, &req); err != nil || req.ID == nil {
				continue
			}
			if note != nil {
				if p.write(note) != nil {
					return
				}
			}
			var resp []byte
			if req.Method == protocol.MethodFetchNext {
				resp = append([]byte(`{"jsonrpc":"2.0","id":`), req.ID...)
				resp = append(append(append(resp, `,"result":`...), result...), '}')
			} else {
				resp = append(append([]byte(`{"jsonrpc":"2.0","id":`), req.ID...), `,"result":null}`...)
			}
			if p.write(resp) != nil {
				return
			}
		}
	}, OnFetchPage(func(protocol.FetchPageParams) { notes.Add(1) }))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	payments := 0
	b.ReportAllocs()
	for b.Loop() {
		pg, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: benchSessionID, Resource: protocol.ResourcePayments, PageSize: benchPageSize})
		if err != nil {
			b.Fatal(err)
		}
		n := pg.ItemCount
		if items {
			ps, err := DecodeItems[protocol.Payment](pg)
			if err != nil {
				b.Fatal(err)
			}
			n = len(ps)
		}
		if n != benchPageSize {
			b.Fatalf("page of %d payments, want %d", n, benchPageSize)
		}
		payments += n
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if note != nil && notes.Load() == 0 {
		b.Fatal("no fetch/page notification delivered")
	}
	reportPaymentRate(b, payments, len(result))
}

// BenchmarkDecodePage decodes a 100-payment page as a fetch/page
// notification and as a fetch/next result, the way the client did with its
// hand-written scanner (old, oldscan_test.go) and the way it does now with
// segmentio/encoding in one pass (new). The ratio old/new is the speedup;
// both run in the same process, on the same bytes.
func BenchmarkDecodePage(b *testing.B) {
	note := benchNotification(b)
	page := benchPage(b)
	pageJSON, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	result := append(append([]byte(`{"jsonrpc":"2.0","id":7,"result":`), pageJSON...), '}')
	b.Run("notification/old", func(b *testing.B) {
		b.SetBytes(int64(len(note)))
		for i := 0; i < b.N; i++ {
			m, err := oldParseMessage(note)
			if err != nil {
				b.Fatal(err)
			}
			var p protocol.FetchPageParams
			if err := oldDecodeInto(m.params, &p); err != nil || p.Page.ItemCount != benchPageSize {
				b.Fatal(err)
			}
		}
	})
	b.Run("notification/new", func(b *testing.B) {
		b.SetBytes(int64(len(note)))
		for i := 0; i < b.N; i++ {
			p, ok := decodePageNotification(note)
			if !ok || p.Page.ItemCount != benchPageSize {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("result/old", func(b *testing.B) {
		b.SetBytes(int64(len(result)))
		for i := 0; i < b.N; i++ {
			m, err := oldParseMessage(result)
			if err != nil {
				b.Fatal(err)
			}
			var p protocol.Page
			if err := oldDecodeInto(m.result, &p); err != nil || p.ItemCount != benchPageSize {
				b.Fatal(err)
			}
		}
	})
	b.Run("result/new", func(b *testing.B) {
		b.SetBytes(int64(len(result)))
		for i := 0; i < b.N; i++ {
			_, p, ok := decodePageResponse(result)
			if !ok || p.ItemCount != benchPageSize {
				b.Fatal("not decoded")
			}
		}
	})
}
