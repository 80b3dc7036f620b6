package rpc_test

// The serving benchmarks of docs/benchmarks.md: the two JSON-RPC libraries
// the runtime could stand on, sourcegraph/jsonrpc2 (what daemon/transport
// uses) and golang.org/x/exp/jsonrpc2, each serving over a pair of OS pipes
// (what stdio is), against the same client: internal/rpc's LSP framer,
// writing and reading raw frames, so that all the cost measured beyond the
// pipe is the serving library's.
//
//	go test ./internal/rpc/ -run '^$' -bench Serve -count 5 -cpu 1

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	sg "github.com/sourcegraph/jsonrpc2"
	xexp "golang.org/x/exp/jsonrpc2"

	"github.com/switchboardpay/switchboard/daemon/transport"
	"github.com/switchboardpay/switchboard/internal/rpc"
)

// pipePair is two ends of a duplex byte stream made of two OS pipes.
type pipeEnd struct {
	r *os.File
	w *os.File
}

func (p pipeEnd) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p pipeEnd) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipeEnd) Close() error {
	p.w.Close()
	return p.r.Close()
}

func pipes(b *testing.B) (server, client pipeEnd) {
	ar, aw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	br, bw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	return pipeEnd{r: ar, w: bw}, pipeEnd{r: br, w: aw}
}

// echoResult is what the round-trip method answers.
type echoResult struct {
	SessionID string `json:"sessionId"`
	Page      int    `json:"page"`
	HasMore   bool   `json:"hasMore"`
}

// server is one library serving one end: it answers "echo" and, asked by
// push, sends a page notification.
type server struct {
	push  func(params json.RawMessage) error
	close func()
}

// sourcegraphServer serves with sourcegraph/jsonrpc2 over the daemon's
// own stream (daemon/transport: bad-input answers, id aliases), or over
// the library's own VSCodeObjectCodec stream when plain, to tell the
// library's cost from the daemon's checks.
func sourcegraphServer(b *testing.B, end pipeEnd, raw, plain bool) server {
	stream := transport.NewLSPStream(end, end, end, 0)
	var obj sg.ObjectStream = stream
	if plain {
		obj = sg.NewBufferedStream(end, sg.VSCodeObjectCodec{})
	}
	h := sg.HandlerWithError(func(ctx context.Context, c *sg.Conn, req *sg.Request) (any, error) {
		var p echoResult
		if req.Params != nil {
			if err := json.Unmarshal(*req.Params, &p); err != nil {
				return nil, err
			}
		}
		return echoResult{SessionID: p.SessionID, Page: p.Page + 1, HasMore: true}, nil
	})
	conn := sg.NewConn(context.Background(), obj, h)
	push := func(params json.RawMessage) error {
		return conn.Notify(context.Background(), "fetch/page", params)
	}
	if raw {
		// What the daemon does: the notification is encoded once, by hand,
		// and written as it is.
		push = func(params json.RawMessage) error {
			msg := append(append([]byte(`{"jsonrpc":"2.0","method":"fetch/page","params":`), params...), '}')
			return stream.WriteRaw(msg)
		}
	}
	return server{push: push, close: func() { conn.Close() }}
}

type fixedDialer struct{ rwc io.ReadWriteCloser }

func (d fixedDialer) Dial(context.Context) (io.ReadWriteCloser, error) { return d.rwc, nil }

func xexpServer(b *testing.B, end pipeEnd) server {
	h := xexp.HandlerFunc(func(ctx context.Context, req *xexp.Request) (any, error) {
		var p echoResult
		if len(req.Params) > 0 {
			if err := json.Unmarshal(req.Params, &p); err != nil {
				return nil, err
			}
		}
		return echoResult{SessionID: p.SessionID, Page: p.Page + 1, HasMore: true}, nil
	})
	conn, err := xexp.Dial(context.Background(), fixedDialer{end}, xexp.ConnectionOptions{Handler: h})
	if err != nil {
		b.Fatal(err)
	}
	return server{
		push:  func(params json.RawMessage) error { return conn.Notify(context.Background(), "fetch/page", params) },
		close: func() { conn.Close() },
	}
}

var libraries = []struct {
	name  string
	start func(*testing.B, pipeEnd) server
}{
	{"sourcegraph-daemonstream", func(b *testing.B, e pipeEnd) server { return sourcegraphServer(b, e, false, false) }},
	{"sourcegraph-plain", func(b *testing.B, e pipeEnd) server { return sourcegraphServer(b, e, false, true) }},
	{"xexp", xexpServer},
}

// connect starts a server on one end of a pipe pair and returns it with
// the client's framer on the other; both close when the benchmark ends.
func connect(b *testing.B, start func(*testing.B, pipeEnd) server) (server, rpc.Framer) {
	sEnd, cEnd := pipes(b)
	srv := start(b, sEnd)
	f := rpc.NewLSP(cEnd, cEnd, cEnd, 0)
	b.Cleanup(func() {
		f.Close()
		srv.close()
	})
	return srv, f
}

// BenchmarkServeRoundTrip is one request and its answer, sequentially.
func BenchmarkServeRoundTrip(b *testing.B) {
	for _, lib := range libraries {
		b.Run(lib.name, func(b *testing.B) {
			_, f := connect(b, lib.start)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := `{"jsonrpc":"2.0","id":` + strconv.Itoa(i+1) + `,"method":"echo","params":{"sessionId":"6f1c1a52-6d1e-4f35-9d2c-1b0e5a7c9e11","page":` + strconv.Itoa(i) + `}}`
				if err := f.WriteMessage([]byte(req)); err != nil {
					b.Fatal(err)
				}
				reply, err := f.ReadMessage()
				if err != nil {
					b.Fatal(err)
				}
				if !strings.Contains(string(reply), `"page":`+strconv.Itoa(i+1)) {
					b.Fatalf("reply %d: %s", i, reply)
				}
			}
		})
	}
}

// pageParams is fetch/page params of a 100-payment page, about 37 KB.
func pageParams() json.RawMessage {
	var items strings.Builder
	items.WriteByte('[')
	for i := 0; i < 100; i++ {
		if i > 0 {
			items.WriteByte(',')
		}
		ref := "pay_" + strconv.Itoa(1000000+i)
		items.WriteString(`{"reference":"` + ref + `","createdAt":"2026-01-01T00:00:0` + strconv.Itoa(i%10) + `Z","type":"PAY-IN","amount":"` + strconv.Itoa(1000+i) + `","asset":"EUR/2","scheme":"sepa","status":"SUCCEEDED","sourceAccountReference":"ext_` + strconv.Itoa(i%997) + `","destinationAccountReference":"acc_` + strconv.Itoa(i%100) + `","metadata":{"batch":"0","channel":"api"},"raw":{"id":"` + ref + `","object":"payment","amount":` + strconv.Itoa(1000+i) + `,"currency":"eur","status":"paid"}}`)
	}
	items.WriteByte(']')
	return json.RawMessage(`{"sessionId":"6f1c1a52-6d1e-4f35-9d2c-1b0e5a7c9e11","page":{"sessionId":"6f1c1a52-6d1e-4f35-9d2c-1b0e5a7c9e11","resource":"payments","key":"payments","page":1,"items":` + items.String() + `,"itemCount":100,"newState":{"offset":100},"hasMore":true,"durationMs":0.25}}`)
}

// BenchmarkServePagePush is the server pushing fetch/page notifications
// of 100 payments; the client reads each whole.
func BenchmarkServePagePush(b *testing.B) {
	params := pageParams()
	libs := append(libraries[:len(libraries):len(libraries)], struct {
		name  string
		start func(*testing.B, pipeEnd) server
	}{"sourcegraph-preencoded", func(b *testing.B, e pipeEnd) server { return sourcegraphServer(b, e, true, false) }})
	for _, lib := range libs {
		b.Run(lib.name, func(b *testing.B) {
			srv, f := connect(b, lib.start)
			done := make(chan error, 1)
			go func() {
				for i := 0; i < b.N; i++ {
					if err := srv.push(params); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			b.SetBytes(int64(len(params)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				msg, err := f.ReadMessage()
				if err != nil {
					b.Fatal(err)
				}
				if len(msg) < len(params) {
					b.Fatalf("short notification: %d bytes", len(msg))
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
