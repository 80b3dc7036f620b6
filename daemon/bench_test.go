package daemon_test

// Benchmarks of issue 2: fetch/next of one 100-payment page from the demo
// connector, called directly and through the daemon on each transport.
//
//	go test -run '^$' -bench FetchNext -benchmem -benchtime=2s ./daemon/
//
// Every sub-benchmark fetches exactly one full 100-payment page per op,
// carrying the state over from the previous op; when the bank runs out
// (hasMore false) the next op starts over (reset), so no op ever fetches a
// short page. The demo bank is the in-process one the demo connector starts
// on loopback, sized like issue 3's default sync (100 accounts of 10,000
// payments), so a reset happens once every 10,000 ops.
//
// The results are in docs/benchmarks.md.

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/connectors/demo"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/protocol"
)

// fetchNextPage is the page size of every BenchmarkFetchNext op.
const fetchNextPage = 100

// benchDemoConfig sizes the demo connector's in-process bank: 1,000,000
// payments, 10,000 pages of 100.
var benchDemoConfig = demo.Config{Accounts: 100, PaymentsPerAccount: 10_000}

func benchDemoConfigJSON() json.RawMessage {
	b, err := json.Marshal(benchDemoConfig)
	if err != nil {
		panic(err)
	}
	return b
}

func BenchmarkFetchNext(b *testing.B) {
	b.Run("direct", benchFetchNextDirect)
	b.Run("engine", benchFetchNextEngine)
	b.Run("inprocess", func(b *testing.B) { benchFetchNextClient(b, openInProcessClient(b), true) })
	b.Run("inprocess-unsubscribed", func(b *testing.B) { benchFetchNextClient(b, openInProcessClient(b), false) })
	b.Run("inprocess-rawclient", benchFetchNextRaw)
	bin := lazyBinary(b)
	b.Run("stdio", func(b *testing.B) { benchFetchNextClient(b, openStdioClient(b, bin(b)), true) })
	b.Run("websocket", func(b *testing.B) { benchFetchNextClient(b, openWebsocketClient(b), true) })
}

// reportPayments reports payments/s over the timed part of the benchmark.
func reportPayments(b *testing.B, payments int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(payments)/s, "payments/s")
	}
}

// openDemo opens the demo connector with its own in-process bank, the way
// a session does (a private HTTP transport, a quiet logger).
func openDemo(b *testing.B) connector.PaymentsFetcher {
	b.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	env := connector.Env{HTTPClient: &http.Client{Transport: tr}, Logger: quietLogger()}
	c, err := demo.Open(context.Background(), benchDemoConfig, env)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if cl, ok := c.(io.Closer); ok {
			cl.Close()
		}
		tr.CloseIdleConnections()
	})
	return c.(connector.PaymentsFetcher)
}

// benchFetchNextDirect calls the connector's FetchPayments: the
// connector's own time, HTTP to the bank included, with nothing of the
// daemon.
func benchFetchNextDirect(b *testing.B) {
	c := openDemo(b)
	ctx := context.Background()
	var state json.RawMessage
	payments := 0
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.FetchPayments(ctx, connector.FetchRequest{State: state, PageSize: fetchNextPage})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Items) != fetchNextPage {
			b.Fatalf("page of %d payments, want %d", len(p.Items), fetchNextPage)
		}
		payments += len(p.Items)
		state = p.NewState
		if !p.HasMore {
			state = nil
		}
	}
	reportPayments(b, payments)
}

// benchFetchNextEngine adds what the daemon must do with any page: call
// the connector through driver.Fetch (panics contained), convert the items
// to wire items and encode them once.
func benchFetchNextEngine(b *testing.B) {
	c := driver.Open(openDemo(b), driver.Opts{Provider: "demo"})
	ctx := context.Background()
	var state json.RawMessage
	payments := 0
	b.ReportAllocs()
	for b.Loop() {
		r, err := driver.Fetch(ctx, c, protocol.ResourcePayments, connector.FetchRequest{State: state, PageSize: fetchNextPage})
		if err != nil {
			b.Fatal(err)
		}
		if r.Count != fetchNextPage {
			b.Fatalf("page of %d payments, want %d", r.Count, fetchNextPage)
		}
		payments += r.Count
		state = r.NewState
		if !r.HasMore {
			state = nil
		}
	}
	reportPayments(b, payments)
}

// benchFetchNextClient creates a demo session on c and fetches one page
// per op with fetch/next, the daemon carrying the state. With subscribed
// false the connection unsubscribes from the session it created, so the
// page comes back once (as the result) instead of twice (also as a
// fetch/page notification).
func benchFetchNextClient(b *testing.B, c *client.Client, subscribed bool) {
	// Bounded, so that a daemon that stops answering fails the benchmark
	// instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := c.Init(ctx); err != nil {
		b.Fatal(err)
	}
	s, err := c.CreateSession(ctx, protocol.SessionCreateParams{Provider: "demo", Config: benchDemoConfigJSON()})
	if err != nil {
		b.Fatal(err)
	}
	if !subscribed {
		if err := c.Unsubscribe(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
	}
	reset := false
	payments := 0
	b.ReportAllocs()
	for b.Loop() {
		pg, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: s.ID, Resource: protocol.ResourcePayments, PageSize: fetchNextPage, Reset: reset})
		if err != nil {
			b.Fatal(err)
		}
		if pg.ItemCount != fetchNextPage {
			b.Fatalf("page of %d payments, want %d", pg.ItemCount, fetchNextPage)
		}
		payments += pg.ItemCount
		reset = !pg.HasMore
	}
	reportPayments(b, payments)
	if err := c.CloseSession(ctx, s.ID); err != nil {
		b.Error(err)
	}
}

// openInProcessClient serves a daemon over an in-memory LSP-framed pipe
// (daemon.ServeStdio on one end, the Go client on the other).
func openInProcessClient(b *testing.B) *client.Client {
	b.Helper()
	d := daemon.New(daemon.Options{Logger: quietLogger()})
	srvEnd, cliEnd := net.Pipe()
	served := make(chan int, 1)
	go func() { served <- d.ServeStdio(context.Background(), srvEnd, srvEnd) }()
	c, err := client.NewStream(context.Background(), cliEnd)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			b.Error("daemon did not end its connection")
		}
		d.Close()
	})
	return c
}

// openWebsocketClient serves a daemon's Handler on 127.0.0.1 and dials it
// with the Go client.
func openWebsocketClient(b *testing.B) *client.Client {
	b.Helper()
	d := daemon.New(daemon.Options{Logger: quietLogger()})
	srv, wait := serveTracked(d.Handler(daemon.Access{Token: testToken}))
	c, err := client.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/rpc", testToken)
	if err != nil {
		srv.Close()
		d.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close()
		srv.Close()
		wait()
		d.Close()
	})
	return c
}

// serveTracked serves h on 127.0.0.1 and returns a function that waits for
// every handler to return, hijacked (websocket) ones included, which
// httptest.Server.Close does not.
func serveTracked(h http.Handler) (*httptest.Server, func()) {
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		h.ServeHTTP(w, r)
	}))
	return srv, wg.Wait
}

// openStdioClient spawns the real binary, `switchboard stdio`, with the Go
// client. The binary is built once per BenchmarkFetchNext run; the
// benchmark is skipped when it does not build.
func openStdioClient(b *testing.B, bin string) *client.Client {
	b.Helper()
	b.Setenv("SWITCHBOARD_STATE_DIR", b.TempDir())
	c, err := client.Spawn(context.Background(), bin, nil, client.WithStderr(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := c.Close(); err != nil {
			b.Errorf("close spawned daemon: %v", err)
		}
	})
	return c
}

// lazyBinary returns a function that builds cmd/switchboard on its first
// call, into a temporary directory that lives as long as b, and skips the
// calling benchmark when it does not build. $SWITCHBOARD_BENCH_BINARY, when
// set, names a binary to use instead.
func lazyBinary(b *testing.B) func(*testing.B) string {
	dir := b.TempDir()
	var (
		once sync.Once
		path string
		err  error
		out  []byte
	)
	return func(b *testing.B) string {
		once.Do(func() {
			if path = os.Getenv("SWITCHBOARD_BENCH_BINARY"); path != "" {
				return
			}
			path = filepath.Join(dir, "switchboard")
			out, err = exec.Command("go", "build", "-o", path, "../cmd/switchboard").CombinedOutput()
		})
		if err != nil {
			b.Skipf("switchboard binary does not build: %v\n%s", err, out)
		}
		return path
	}
}

// benchFetchNextRaw is inprocess with a lean client instead of the Go
// client: requests written as bytes, each answer decoded once into
// protocol.Page, the fetch/page notification counted but not parsed. The
// difference to inprocess is what the client side (sourcegraph/jsonrpc2
// and the Go client) costs.
func benchFetchNextRaw(b *testing.B) {
	d := daemon.New(daemon.Options{Logger: quietLogger()})
	defer d.Close()
	srvEnd, cliEnd := net.Pipe()
	served := make(chan int, 1)
	go func() { served <- d.ServeStdio(context.Background(), srvEnd, srvEnd) }()
	p := newRawPeer(lspFrames(cliEnd))
	defer func() { cliEnd.Close(); <-p.gone; <-served }()
	if err := p.call(protocol.MethodInitialize, protocol.InitializeParams{}, nil); err != nil {
		b.Fatal(err)
	}
	var s protocol.Session
	if err := p.call(protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "demo", Config: benchDemoConfigJSON()}, &s); err != nil {
		b.Fatal(err)
	}
	reset := false
	payments := 0
	b.ReportAllocs()
	for b.Loop() {
		var pg protocol.Page
		if err := p.call(protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: protocol.ResourcePayments, PageSize: fetchNextPage, Reset: reset}, &pg); err != nil {
			b.Fatal(err)
		}
		if pg.ItemCount != fetchNextPage {
			b.Fatalf("page of %d payments, want %d", pg.ItemCount, fetchNextPage)
		}
		payments += pg.ItemCount
		reset = !pg.HasMore
	}
	reportPayments(b, payments)
}
