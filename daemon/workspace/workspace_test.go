package workspace_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/workspace"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/internal/scaffold"
	"github.com/switchboardpay/switchboard/protocol"
)

// module is a scaffolded connector module, tidied once; tests copy it.
var module string

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "workspace-test-")
	if err != nil {
		panic(err)
	}
	module = filepath.Join(tmp, "acme")
	if err := makeModule(module); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(tmp)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func makeModule(dir string) error {
	root := scaffold.FindCheckout(".")
	if _, err := scaffold.Write(scaffold.Options{Name: "acme", Dir: dir, Replace: root}); err != nil {
		return err
	}
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %v\n%s", err, out)
	}
	return nil
}

func copyModule(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "acme")
	if out, err := exec.Command("cp", "-r", module, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return dst
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// client is a JSON-RPC client of a daemon over in-process pipes.
type client struct {
	peer *connrpc.Peer

	mu     sync.Mutex
	notifs []note
}

type note struct {
	at     time.Time
	method string
	params json.RawMessage
}

func serve(t testing.TB, d *daemon.Daemon) *client {
	t.Helper()
	cr, cw := io.Pipe()
	dr, dw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.ServeStdio(ctx, cr, dw); dw.Close(); close(done) }()
	c := &client{}
	c.peer = connrpc.NewPeer(dr, cw, nil, func(method string, params json.RawMessage) {
		c.mu.Lock()
		c.notifs = append(c.notifs, note{time.Now(), method, append(json.RawMessage(nil), params...)})
		c.mu.Unlock()
	})
	runDone := make(chan struct{})
	go func() { c.peer.Run(context.Background()); close(runDone) }()
	t.Cleanup(func() { cancel(); cw.Close(); <-done; <-runDone; d.Close() })
	c.must(t, protocol.MethodInitialize, protocol.InitializeParams{}, nil)
	return c
}

func (c *client) must(t testing.TB, method string, params, result any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.peer.Call(ctx, method, params, result); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

// wait waits for the n-th notification of method (1-based) and returns it.
func (c *client) wait(t testing.TB, method string, n int) note {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		k := 0
		for _, x := range c.notifs {
			if x.method == method {
				if k++; k == n {
					c.mu.Unlock()
					return x
				}
			}
		}
		c.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s notification #%d", method, n)
	return note{}
}

func (c *client) all(method string) []note {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []note
	for _, x := range c.notifs {
		if x.method == method {
			out = append(out, x)
		}
	}
	return out
}

func startBank(t testing.TB, cfg demobank.Config) *demobank.Bank {
	b := demobank.New(cfg)
	if _, err := b.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newDaemon(t testing.TB) *daemon.Daemon {
	return daemon.New(daemon.Options{Registry: connector.NewRegistry(), Logger: quiet()})
}

func edit(t testing.TB, path, old, new string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(raw), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

const metaLine = `Metadata: map[string]string{"direction": t.Direction}`

func TestReloadDuringFetchAll(t *testing.T) {
	dir := copyModule(t)
	b := startBank(t, demobank.Config{Seed: 3, Accounts: 2, PaymentsPerAccount: 120})
	d := newDaemon(t)
	c := serve(t, d)
	var added protocol.WorkspaceConnector
	c.must(t, protocol.MethodConnectorsAdd, protocol.ConnectorsAddParams{Dir: dir}, &added)
	if added.State != protocol.ConnectorStateReady || added.Provider == nil || added.Provider.Name != "acme" {
		t.Fatalf("connectors/add: %+v", added)
	}
	var s protocol.Session
	c.must(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "acme",
		Config: json.RawMessage(fmt.Sprintf(`{"apiKey":%q,"baseUrl":%q}`, b.APIKey(), b.URL()))}, &s)

	// The payments of one account: the scaffold's task tree puts payments
	// under accounts, so a fetch/all without fromPayload would page each
	// account's under a key of its own.
	var accounts protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts"}, &accounts)
	var accs []json.RawMessage
	if err := json.Unmarshal(accounts.Items, &accs); err != nil || len(accs) != 2 {
		t.Fatalf("accounts: %v %s", err, accounts.Items)
	}
	from := accs[0]

	b.SetFaults(demobank.Faults{Latency: 120 * time.Millisecond})
	type result struct {
		res protocol.FetchAllResult
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		var r protocol.FetchAllResult
		c.must(t, protocol.MethodFetchAll, protocol.FetchAllParams{SessionID: s.ID, Resource: "payments", FromPayload: from, PageSize: 2}, &r) // 60 pages of 120 ms: the rebuild lands inside, even on a loaded machine
		done <- result{r, time.Now()}
	}()
	c.wait(t, protocol.NotifyFetchPage, 1)
	edit(t, filepath.Join(dir, "connector.go"), metaLine, `Metadata: map[string]string{"direction": t.Direction, "version": "2"}`)
	reloaded := c.wait(t, protocol.NotifyProviderReloaded, 1)
	r := <-done
	b.SetFaults(demobank.Faults{})
	if !reloaded.at.Before(r.at) {
		t.Fatalf("the reload came after the run ended: the test proves nothing (make the run slower)")
	}
	if r.res.Items != 120 || r.res.HasMore {
		t.Fatalf("fetch/all: %+v", r.res)
	}
	for _, p := range c.all(protocol.NotifyFetchPage) {
		if strings.Contains(string(p.params), `"version":"2"`) {
			t.Fatalf("a page of the running fetch/all came from the new process: %.300s", p.params)
		}
	}
	var rp protocol.ProviderReloadedParams
	_ = json.Unmarshal(reloaded.params, &rp)
	if rp.Provider != "acme" || rp.Dir != dir {
		t.Fatalf("provider/reloaded: %s", reloaded.params)
	}
	// The session kept its state: the next page continues after the end.
	var next protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments", FromPayload: from, PageSize: 4}, &next)
	if next.ItemCount != 0 || next.HasMore {
		t.Fatalf("state lost across the reload: %+v", next)
	}
	// And the next run is served by the new code.
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments", FromPayload: from, PageSize: 4, Reset: true}, &next)
	if !strings.Contains(string(next.Items), `"version":"2"`) {
		t.Fatalf("the new process does not serve: %s", next.Items)
	}
}

func TestBuildErrorThenFix(t *testing.T) {
	dir := copyModule(t)
	b := startBank(t, demobank.Config{Seed: 3, Accounts: 2, PaymentsPerAccount: 5})
	// The daemon's log goes to a file, which the test reads afterwards.
	logFile, err := os.Create(filepath.Join(t.TempDir(), "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	d := daemon.New(daemon.Options{Registry: connector.NewRegistry(), Logger: slog.New(slog.NewTextHandler(logFile, nil))})
	c := serve(t, d)
	var added protocol.WorkspaceConnector
	c.must(t, protocol.MethodConnectorsAdd, protocol.ConnectorsAddParams{Dir: dir}, &added)
	var s protocol.Session
	c.must(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "acme",
		Config: json.RawMessage(fmt.Sprintf(`{"apiKey":%q,"baseUrl":%q}`, b.APIKey(), b.URL()))}, &s)

	path := filepath.Join(dir, "connector.go")
	edit(t, path, metaLine, `Metadata: map[string]string{"direction": t.Direction, "broken": 42}`)
	failed := c.wait(t, protocol.NotifyProviderBuildFailed, 1)
	var bf protocol.ProviderBuildFailedParams
	if err := json.Unmarshal(failed.params, &bf); err != nil {
		t.Fatal(err)
	}
	line := lineOf(t, path, `"broken": 42`)
	if bf.Provider != "acme" || len(bf.Diagnostics) == 0 || bf.Diagnostics[0].File != "connector.go" || bf.Diagnostics[0].Line != line || bf.Diagnostics[0].Column == 0 {
		t.Fatalf("provider/buildFailed: %s (want connector.go:%d)", failed.params, line)
	}
	// A terminal running serve --connector sees the error itself, not
	// only a count of diagnostics.
	logs, _ := os.ReadFile(logFile.Name())
	if want := fmt.Sprintf("connector.go:%d:%d: ", line, bf.Diagnostics[0].Column); !strings.Contains(string(logs), want) {
		t.Errorf("the build failure log lacks %q:\n%s", want, logs)
	}
	// The last good process still serves, and the list says what failed.
	var page protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments"}, &page)
	if page.ItemCount != 10 {
		t.Fatalf("last good process: %+v", page)
	}
	var list protocol.ConnectorsListResult
	c.must(t, protocol.MethodConnectorsList, protocol.ConnectorsListParams{}, &list)
	if len(list.Connectors) != 1 || list.Connectors[0].State != protocol.ConnectorStateReady || len(list.Connectors[0].Diagnostics) == 0 || list.Connectors[0].LastBuild.OK {
		t.Fatalf("connectors/list: %+v", list)
	}
	edit(t, path, `"broken": 42`, `"fixed": "yes"`)
	c.wait(t, protocol.NotifyProviderReloaded, 1)
	c.must(t, protocol.MethodConnectorsList, protocol.ConnectorsListParams{}, &list)
	if len(list.Connectors[0].Diagnostics) != 0 || !list.Connectors[0].LastBuild.OK {
		t.Fatalf("after the fix: %+v", list.Connectors[0])
	}
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments", Reset: true}, &page)
	if !strings.Contains(string(page.Items), `"fixed":"yes"`) {
		t.Fatalf("fixed code not serving: %s", page.Items)
	}
}

func lineOf(t testing.TB, path, s string) int {
	raw, _ := os.ReadFile(path)
	for i, l := range strings.Split(string(raw), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in %s", s, path)
	return 0
}

func TestManifestConnector(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	dir := t.TempDir()
	src, _ := os.ReadFile("../remote/testdata/nodeconn/main.js")
	os.WriteFile(filepath.Join(dir, "main.js"), src, 0o644)
	os.WriteFile(filepath.Join(dir, workspace.Manifest), []byte(fmt.Sprintf(`{"command": [%q, "main.js"]}`, node)), 0o644)
	d := newDaemon(t)
	c := serve(t, d)
	var added protocol.WorkspaceConnector
	c.must(t, protocol.MethodConnectorsAdd, protocol.ConnectorsAddParams{Dir: dir}, &added)
	if added.State != protocol.ConnectorStateReady || added.Provider.Name != "nodebank" {
		t.Fatalf("add: %+v", added)
	}
	var s protocol.Session
	c.must(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "nodebank", Config: json.RawMessage(`{"count":3}`)}, &s)
	edit(t, filepath.Join(dir, "main.js"), "`pay-${i}`", "`pay2-${i}`")
	c.wait(t, protocol.NotifyProviderReloaded, 1)
	var page protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments"}, &page)
	if !strings.Contains(string(page.Items), "pay2-0") {
		t.Fatalf("not reloaded: %s", page.Items)
	}
}

func TestFailedFirstBuild(t *testing.T) {
	dir := copyModule(t)
	edit(t, filepath.Join(dir, "main.go"), "serve.Main(Provider)", "serve.Main(Provider, oops)")
	d := newDaemon(t)
	c := serve(t, d)
	var added protocol.WorkspaceConnector
	c.must(t, protocol.MethodConnectorsAdd, protocol.ConnectorsAddParams{Dir: dir}, &added)
	if added.State != protocol.ConnectorStateFailed || added.Provider != nil || len(added.Diagnostics) == 0 || added.Diagnostics[0].File != "main.go" {
		t.Fatalf("add: %+v", added)
	}
	edit(t, filepath.Join(dir, "main.go"), "serve.Main(Provider, oops)", "serve.Main(Provider)")
	deadline := time.Now().Add(time.Minute)
	for {
		var list protocol.ConnectorsListResult
		c.must(t, protocol.MethodConnectorsList, protocol.ConnectorsListParams{}, &list)
		if list.Connectors[0].State == protocol.ConnectorStateReady {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %+v", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var provs protocol.ProvidersListResult
	c.must(t, protocol.MethodProvidersList, struct{}{}, &provs)
	if len(provs.Providers) != 1 || provs.Providers[0].Name != "acme" {
		t.Fatalf("providers: %+v", provs)
	}
}

func TestParseDiagnostics(t *testing.T) {
	out := "# acme\n./connector.go:12:5: undefined: foo\n./main.go:3:2: cannot use x (variable of type int) as string value:\n\tmore detail\n/abs/elsewhere.go:7: boom\n"
	got := workspace.ParseDiagnostics("/work/acme", out)
	want := `[{connector.go 12 5 undefined: foo} {main.go 3 2 cannot use x (variable of type int) as string value:
more detail} {/abs/elsewhere.go 7 0 boom}]`
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v", got)
	}
}
