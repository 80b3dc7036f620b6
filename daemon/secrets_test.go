package daemon_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/internal/testconnector"
)

// canary is the API key of the echoing PSP's sessions. Its '/', '+' and
// '=' make its URL-encoded and base64 forms differ from it.
const canary = "sk_canary_7Hq/x+9Lr2v=M4"

// canaryForms are what a grep for the key looks for.
var canaryForms = []string{canary, url.QueryEscape(canary), base64.StdEncoding.EncodeToString([]byte(canary)), strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(canary)), "=")}

// echoPSP is a loopback payment provider that quotes the API key back in
// everything: in the items it lists (raw, URL-encoded and base64), and in
// the error bodies of payments, transfers, payouts and bank accounts.
func echoPSP(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/accounts":
			enc := base64.StdEncoding.EncodeToString([]byte(key))
			fmt.Fprintf(w, `[{"id":"acc_1","name":"holder of %[1]s","note":"key=%[2]s","b64":"%[3]s","tags":["%[1]s"]},{"id":"acc_2","name":"clean"}]`,
				jsonText(key), url.QueryEscape(key), enc)
		case "/open":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"this key is revoked: %s"}`, jsonText(key))
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid api key provided: %s (urlencoded %s)"}`, jsonText(key), url.QueryEscape(key))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func jsonText(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }

type echoConfig struct {
	Endpoint string `json:"endpoint"`
	APIKey   string `json:"apiKey" secret:"true"`
	FailOpen bool   `json:"failOpen,omitempty"`
}

type echoConnector struct {
	cfg echoConfig
	env connector.Env
}

var (
	_ connector.AccountsFetcher    = (*echoConnector)(nil)
	_ connector.PaymentsFetcher    = (*echoConnector)(nil)
	_ connector.TransferCreator    = (*echoConnector)(nil)
	_ connector.PayoutCreator      = (*echoConnector)(nil)
	_ connector.BankAccountCreator = (*echoConnector)(nil)
	_ connector.Installer          = (*echoConnector)(nil)
)

func echoProvider() *connector.Provider {
	return connector.Define("echo", connector.Info{Description: "a PSP that quotes the API key back", DefaultPageSize: 10}, (*echoConnector)(nil),
		func(ctx context.Context, cfg echoConfig, env connector.Env) (connector.Connector, error) {
			env.Logger = env.Logger.With("bound", "key "+cfg.APIKey)
			c := &echoConnector{cfg: cfg, env: env}
			if cfg.FailOpen {
				if _, err := c.get(ctx, "/open"); err != nil {
					return nil, err
				}
			}
			return c, nil
		})
}

// get calls the PSP; a refusal comes back as the connector error a real
// connector would make of it, the body quoted, and is logged as well.
func (c *echoConnector) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.cfg.Endpoint+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	res, err := c.env.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		c.env.Logger.Error("PSP refused "+path+": "+string(body), "key", c.cfg.APIKey, "body", string(body),
			"keys", []string{c.cfg.APIKey}, "request", map[string]any{"auth": "Bearer " + c.cfg.APIKey})
		return nil, connector.HTTPError(res.StatusCode, string(body))
	}
	return body, nil
}

func (c *echoConnector) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	body, err := c.get(ctx, "/accounts")
	if err != nil {
		return connector.Page[connector.Account]{}, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return connector.Page[connector.Account]{}, err
	}
	var out connector.Page[connector.Account]
	for _, raw := range raws {
		var a struct{ ID, Name, Note string }
		_ = json.Unmarshal(raw, &a)
		out.Items = append(out.Items, connector.Account{Reference: a.ID, Name: a.Name, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Metadata: map[string]string{"note": a.Note}, Raw: raw})
	}
	out.NewState = json.RawMessage(`{"done":true}`)
	return out, nil
}

func (c *echoConnector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	_, err := c.get(ctx, "/payments")
	return connector.Page[connector.Payment]{}, err
}

func (c *echoConnector) CreateTransfer(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	_, err := c.get(ctx, "/transfers")
	return connector.InitiationResult{}, err
}

func (c *echoConnector) CreatePayout(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	_, err := c.get(ctx, "/payouts")
	return connector.InitiationResult{}, fmt.Errorf("payout refused for key %s: %w", c.cfg.APIKey, err)
}

func (c *echoConnector) CreateBankAccount(ctx context.Context, ba connector.BankAccount) (connector.Account, error) {
	_, err := c.get(ctx, "/bank-accounts")
	return connector.Account{}, err
}

func (c *echoConnector) Install(ctx context.Context) ([]connector.Task, error) {
	return []connector.Task{{Resource: "accounts", Periodically: true}, {Resource: "payments", Periodically: true}}, nil
}

// teeWire records every byte the daemon sends on a connection.
type teeWire struct {
	wire
	got syncWriter
}

func (w *teeWire) recv() (json.RawMessage, error) {
	b, err := w.wire.recv()
	w.got.Write(append(b, '\n'))
	return b, err
}

func (w *teeWire) bytes() []byte { return w.got.bytes() }

// syncWriter is a buffer the daemon writes while the test reads it.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.b.Bytes()...)
}

// findCanary reports where in b the forms of the canary are (the first
// few places).
func findCanary(b []byte) string {
	var out []string
	for _, f := range canaryForms {
		for off := 0; len(out) < 6; {
			i := bytes.Index(b[off:], []byte(f))
			if i < 0 {
				break
			}
			i += off
			lo, hi := max(i-160, 0), min(i+len(f)+60, len(b))
			out = append(out, fmt.Sprintf("%q at ...%s...", f, b[lo:hi]))
			off = i + len(f)
		}
	}
	return strings.Join(out, "\n")
}

// TestNoSecretLeaves drives every method over both transports against a
// PSP that echoes its API key in errors and items, and greps every byte
// the daemon sent, logged, exported and stored for the key. The store's
// SQLite file is the one place the key may be: it holds the session's
// config, in plain text, mode 0600 (see the README's Security section).
func TestNoSecretLeaves(t *testing.T) {
	psp := echoPSP(t)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncWriter{}
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(echoProvider()), Store: st,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	srv := startWS(t, d)

	stdio, _ := inProcessStdio(t, d)
	transports := []struct {
		name string
		w    *teeWire
	}{
		{"stdio", &teeWire{wire: stdio}},
		{"websocket", &teeWire{wire: dialWS(t, srv)}},
	}
	config := fmt.Sprintf(`{"endpoint":%q,"apiKey":%q}`, psp.URL, canary)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			p := newPeer(t, tr.w)
			p.ok("initialize", `{"clientInfo":{"name":"canary"},"capabilities":{"workDoneProgress":true}}`, nil)
			p.notify("initialized", "{}")
			p.ok("providers/list", nil, nil)

			// A connector that fails to open quotes the key.
			m := p.call("session/create", fmt.Sprintf(`{"provider":"echo","config":{"endpoint":%q,"apiKey":%q,"failOpen":true}}`, psp.URL, canary))
			if m.Error == nil {
				t.Fatal("session/create of a refused key succeeded")
			}
			var sess struct {
				ID string `json:"id"`
			}
			p.ok("session/create", `{"provider":"echo","name":"canary","config":`+config+`}`, &sess)
			id := sess.ID
			sid := fmt.Sprintf(`{"sessionId":%q`, id)
			p.ok("session/subscribe", sid+`}`, nil)
			p.ok("session/list", nil, nil)
			p.ok("session/get", sid+`}`, nil)
			p.ok("session/install", sid+`}`, nil)
			p.ok("fetch/next", sid+`,"resource":"accounts"}`, nil)
			for _, call := range []struct{ method, params string }{
				{"fetch/next", sid + `,"resource":"payments"}`},
				{"fetch/all", sid + `,"resource":"payments","workDoneToken":"t1"}`},
				{"transfer/create", sid + `,"initiation":{"reference":"t1","amount":"100","asset":"EUR/2","destinationAccountReference":"acc_1"}}`},
				{"payout/create", sid + `,"initiation":{"reference":"p1","amount":"100","asset":"EUR/2","destinationAccountReference":"acc_1"}}`},
				{"bankAccount/create", sid + `,"bankAccount":{"name":"b"}}`},
				{"transfer/poll", sid + `,"pollingId":"x"}`},
				{"payout/reverse", sid + `,"reversal":{"reference":"r","paymentReference":"p","amount":"1","asset":"EUR/2"}}`},
			} {
				if m := p.call(call.method, call.params); m.Error == nil {
					t.Errorf("%s succeeded against a PSP that refuses everything", call.method)
				}
			}
			p.ok("fetch/all", sid+`,"resource":"accounts","workDoneToken":"t2"}`, nil)
			p.ok("sync/run", sid+`,"workDoneToken":"t3"}`, nil)
			p.ok("connector/check", sid+`,"maxPages":2}`, nil)
			p.ok("state/get", sid+`}`, nil)
			p.ok("state/set", sid+`,"resource":"accounts","state":{"done":false}}`, nil)
			p.ok("data/list", sid+`,"resource":"accounts"}`, nil)
			export := filepath.Join(dir, tr.name+".jsonl")
			p.ok("data/export", fmt.Sprintf(`%s,"path":%q}`, sid, export), nil)
			// An import of lines carrying the key stores them redacted.
			dirty := filepath.Join(dir, tr.name+"-dirty.jsonl")
			if err := os.WriteFile(dirty, []byte(`{"resource":"accounts","item":{"reference":"acc_9","createdAt":"2026-01-01T00:00:00Z","name":"`+jsonText(canary)+`","metadata":{},"raw":null}}`+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			p.ok("data/import", fmt.Sprintf(`%s,"path":%q}`, sid, dirty), nil)
			p.ok("data/export", fmt.Sprintf(`%s,"path":%q,"overwrite":true}`, sid, export), nil)
			p.ok("http/list", sid+`}`, nil)
			p.ok("log/list", sid+`}`, nil)
			p.ok("calls/list", sid+`}`, nil)
			p.ok("session/reset", sid+`,"resource":"payments"}`, nil)
			p.ok("session/unsubscribe", sid+`}`, nil)

			// The warning names the redacted item and field.
			var ll struct {
				Logs []struct{ Message string } `json:"logs"`
			}
			p.ok("log/list", sid+`,"level":"warn"}`, &ll)
			found := false
			for _, l := range ll.Logs {
				found = found || (strings.Contains(l.Message, "item acc_1") && strings.Contains(l.Message, "name"))
			}
			if !found {
				t.Errorf("no warning naming the redacted item and field in %+v", ll.Logs)
			}
			// Keep the session open: its secret is what the grep looks for
			// (a closed session's secret is no longer known).
			if where := findCanary(tr.w.bytes()); where != "" {
				t.Errorf("the daemon sent the key over %s: %s", tr.name, where)
			}
			for _, f := range []string{export} {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if where := findCanary(b); where != "" {
					t.Errorf("the export %s holds the key: %s", f, where)
				}
			}
			if !bytes.Contains(tr.w.bytes(), []byte("***")) {
				t.Error("nothing was redacted: the test PSP did not echo the key")
			}
		})
	}
	if where := findCanary(logs.bytes()); where != "" {
		t.Errorf("the daemon's log holds the key: %s", where)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// At rest: the store (configs with their secrets, and the items), a
	// directory and every file in it, is the user's alone.
	storeDir := filepath.Join(dir, "switchboard.db")
	err = filepath.Walk(storeDir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others may read it", path, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || strings.HasSuffix(path, "-dirty.jsonl") {
			return err
		}
		if strings.HasPrefix(path, storeDir+string(filepath.Separator)) {
			return nil // sessions' configs: the key, by design
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if where := findCanary(b); where != "" {
			t.Errorf("%s holds the key: %s", path, where)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
