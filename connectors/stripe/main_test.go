package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopStripeMock()
	if code == 0 {
		// stripe-go starts no goroutine of its own; every HTTP client of
		// the tests closes its idle connections in a cleanup.
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// ---- stripe-mock ------------------------------------------------------

// stripeMockVersion is what scripts/stripe-mock.sh installs.
const stripeMockVersion = "v0.203.0"

var mock struct {
	once    sync.Once
	url     string
	missing string // why there is no binary
	err     error
	cmd     *exec.Cmd
	exited  chan error // receives cmd.Wait's result
}

// stripeMockBin is $STRIPE_MOCK_BIN, else bin/stripe-mock at the
// repository root (this package is connectors/stripe).
func stripeMockBin() string {
	if p := os.Getenv("STRIPE_MOCK_BIN"); p != "" {
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", "bin", "stripe-mock"))
	if err != nil {
		return filepath.Join("..", "..", "bin", "stripe-mock")
	}
	return p
}

// stripeMockURL returns the base URL of the package's stripe-mock,
// starting it on first use. Without a binary the test is skipped, except
// in CI (CI=true), where that is a failure: the set-up must install it.
func stripeMockURL(t *testing.T) string {
	t.Helper()
	mock.once.Do(startStripeMock)
	if mock.missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: the test set-up must install stripe-mock)", mock.missing)
		}
		t.Skipf("skipping: %s", mock.missing)
	}
	if mock.err != nil {
		t.Fatalf("stripe-mock: %v", mock.err)
	}
	return mock.url
}

// lineWatcher collects stripe-mock's output and reports the HTTP address
// once it prints it.
type lineWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  string
	ready chan struct{}
}

const listeningHTTP = "Listening for HTTP at address: "

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() < 1<<16 {
		w.buf.Write(p)
	}
	if w.addr == "" {
		if i := strings.Index(w.buf.String(), listeningHTTP); i >= 0 {
			rest := w.buf.String()[i+len(listeningHTTP):]
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				w.addr = strings.TrimSpace(rest[:j])
				close(w.ready)
			}
		}
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func startStripeMock() {
	bin := stripeMockBin()
	if _, err := os.Stat(bin); err != nil {
		mock.missing = fmt.Sprintf("stripe-mock %s not found at %s: install it with scripts/stripe-mock.sh install, or set STRIPE_MOCK_BIN", stripeMockVersion, bin)
		return
	}
	// Both listeners on loopback: without -https-addr stripe-mock binds
	// HTTPS on every interface.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out := &lineWatcher{ready: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = mockSysProcAttr()
	if err := cmd.Start(); err != nil {
		mock.err = err
		return
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-out.ready:
		mock.url = "http://" + out.addr
		mock.cmd, mock.exited = cmd, exited
	case err := <-exited:
		mock.err = fmt.Errorf("exited before listening (%v): %s", err, out.String())
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		mock.err = fmt.Errorf("not listening after 90s: %s", out.String())
	}
}

func stopStripeMock() {
	if mock.cmd == nil {
		return
	}
	_ = mock.cmd.Process.Kill()
	<-mock.exited
	mock.cmd = nil
}

// ---- recording transport ----------------------------------------------

// exchange is one request seen by the recorder.
type exchange struct {
	Method        string
	Host          string
	Path          string
	Query         string
	Authorization string
	StripeAccount string
	Idempotency   string
	Body          string
	Status        int
}

// recorder is the test's stand-in for the daemon's capturing transport:
// every request of the connector must go through it.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchange{
		Method:        req.Method,
		Host:          req.URL.Host,
		Path:          req.URL.Path,
		Query:         req.URL.RawQuery,
		Authorization: req.Header.Get("Authorization"),
		StripeAccount: req.Header.Get("Stripe-Account"),
		Idempotency:   req.Header.Get("Idempotency-Key"),
	}
	if req.Body != nil && req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			raw, _ := io.ReadAll(b)
			ex.Body = string(raw)
		}
	}
	resp, err := r.base.RoundTrip(req)
	if resp != nil {
		ex.Status = resp.StatusCode
	}
	r.mu.Lock()
	r.seen = append(r.seen, ex)
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.seen...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.seen = nil
	r.mu.Unlock()
}

// last returns the last exchange whose path is path.
func (r *recorder) last(t *testing.T, method, path string) exchange {
	t.Helper()
	ex := r.exchanges()
	for i := len(ex) - 1; i >= 0; i-- {
		if ex[i].Method == method && ex[i].Path == path {
			return ex[i]
		}
	}
	t.Fatalf("no %s %s among %d requests: %+v", method, path, len(ex), ex)
	return exchange{}
}

// ---- helpers -----------------------------------------------------------

func provider(t testing.TB) *connector.Provider {
	t.Helper()
	p, ok := connector.Default().Lookup(ProviderName)
	if !ok {
		t.Fatal("provider stripe not registered")
	}
	return p
}

// open opens a connector on endpoint through the registry, as the daemon
// does, with an HTTP client whose transport records every request.
func open(t *testing.T, endpoint, apiKey string) (*Connector, *recorder) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	rec := &recorder{base: tr}
	hc := &http.Client{Transport: rec}
	t.Cleanup(tr.CloseIdleConnections)
	raw, err := json.Marshal(Config{APIKey: apiKey, Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	env := connector.Env{HTTPClient: hc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c, err := provider(t).Open(context.Background(), raw, env)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector), rec
}

// accountPayload is the fromPayload the daemon hands a child task: the
// protocol Account of the parent.
func accountPayload(t testing.TB, a connector.Account) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(protocol.Account{Reference: a.Reference, CreatedAt: a.CreatedAt, Name: a.Name,
		DefaultAsset: a.DefaultAsset, Metadata: a.Metadata, Raw: a.Raw})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// wirePayment is a Payment as the protocol writes it: amounts as decimal
// strings, which is what the tests compare.
type wirePayment struct {
	Reference, Type, Status, Asset, Amount, InitialAmount, Scheme string
	Source, Destination                                           string
	CreatedAt                                                     time.Time
	Metadata                                                      map[string]string
}

func wire(p connector.Payment) wirePayment {
	str := func(n *big.Int) string {
		if n == nil {
			return ""
		}
		return n.String()
	}
	return wirePayment{
		Reference: p.Reference, Type: string(p.Type), Status: string(p.Status), Asset: p.Asset,
		Amount: str(p.Amount), InitialAmount: str(p.InitialAmount), Scheme: p.Scheme,
		Source: p.SourceAccountReference, Destination: p.DestinationAccountReference,
		CreatedAt: p.CreatedAt, Metadata: p.Metadata,
	}
}

// connectorError asserts err is a *connector.Error and returns it.
func connectorError(t *testing.T, err error) *connector.Error {
	t.Helper()
	var ce *connector.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *connector.Error", err, err)
	}
	return ce
}

func mustState(t *testing.T, raw json.RawMessage, into any) {
	t.Helper()
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("state %s: %v", raw, err)
	}
}
