package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// run executes the CLI in-process with args and returns what it printed.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// mustRun is run that fails the test on an error.
func mustRun(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	out, errOut, err := run(t, args...)
	if err != nil {
		t.Fatalf("switchboard %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out, errOut
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func references(t *testing.T, jsonLines []string) []string {
	t.Helper()
	var refs []string
	for _, l := range jsonLines {
		var p protocol.Payment
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		refs = append(refs, p.Reference)
	}
	return refs
}

func TestFetchPagesJSONContinue(t *testing.T) {
	out, errOut := mustRun(t, "fetch", "demo", "payments", "--pages", "2", "--json")
	twoPages := lines(out)
	if len(twoPages) != 200 {
		t.Fatalf("got %d JSON lines, want 200 (2 pages of the default 100)", len(twoPages))
	}
	if !strings.Contains(errOut, "page 1:") || !strings.Contains(errOut, "page 2:") {
		t.Errorf("stderr lacks the per-page states:\n%s", errOut)
	}
	// The same bank read in one page of 200 must be the two pages joined:
	// page 2 continued exactly where page 1 stopped.
	out, _ = mustRun(t, "fetch", "demo", "payments", "--page-size", "200", "--json")
	onePage := references(t, lines(out))
	got := references(t, twoPages)
	if strings.Join(got, ",") != strings.Join(onePage, ",") {
		t.Errorf("two pages of 100 differ from one page of 200:\n%v\n%v", got[95:105], onePage[95:105])
	}

	// The state printed after page 1 continues there as --state.
	var state string
	for _, l := range lines(errOut) {
		if s, ok := strings.CutPrefix(l, "page 1: 100 items, hasMore true, newState "); ok {
			state = s
		}
	}
	if state == "" {
		t.Fatalf("no state after page 1 in:\n%s", errOut)
	}
	out, _ = mustRun(t, "fetch", "demo", "payments", "--state", state, "--json")
	if second := references(t, lines(out)); strings.Join(second, ",") != strings.Join(got[100:], ",") {
		t.Errorf("--state from page 1 did not give page 2")
	}
}

func TestFetchTable(t *testing.T) {
	out, _ := mustRun(t, "fetch", "demo", "payments", "--page-size", "3", "--pages", "2")
	for _, want := range []string{"page 1 of payments", "page 2 of payments", "REFERENCE", "CREATED AT", "STATUS", "ASSET", "newState: {\"cursor\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _ = mustRun(t, "fetch", "demo", "accounts")
	if !strings.Contains(out, "DEFAULT ASSET") || !strings.Contains(out, "acc_") {
		t.Errorf("accounts table:\n%s", out)
	}
}

func TestFetchAll(t *testing.T) {
	out, _ := mustRun(t, "fetch", "demo", "accounts", "--all")
	if !strings.Contains(out, "accounts: 1 pages, 5 items") {
		t.Errorf("fetch --all accounts:\n%s", out)
	}
	out, _ = mustRun(t, "fetch", "demo", "payments", "--all", "--pages", "2", "--page-size", "10", "--json")
	if n := len(lines(out)); n != 20 {
		t.Errorf("fetch --all --pages 2 --json printed %d items, want 20", n)
	}
}

func TestFetchBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fetch", "demo", "invoices"}, "unknown resource"},
		{[]string{"fetch", "demo", "payments", "--config", "{bad"}, "--config: not valid JSON"},
		{[]string{"fetch", "demo", "payments", "--config", "@" + filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{[]string{"fetch", "nobank", "payments"}, "not found"},
		{[]string{"fetch", "demo", "payments", "--connect", "--state-dir", t.TempDir()}, "no daemon running: start one with \"switchboard serve\", or leave out --connect"},
		{[]string{"fetch", "demo", "payments", "--page-size", "0"}, "--page-size 0 is out of range: want 1 to 100,000"},
		{[]string{"fetch", "demo", "payments", "--page-size", "-3"}, "--page-size -3 is out of range"},
		{[]string{"fetch", "demo", "payments", "--pages", "0"}, "--pages 0 is out of range: want 1 to 1,000,000"},
		{[]string{"sync", "demo", "--max-pages-per-task", "-1"}, "--max-pages-per-task -1 is out of range: want 0 to"},
		{[]string{"check", "demo", "--page-sizes", "1,0"}, "--page-sizes 0 is out of range"},
		{[]string{"check", "demo", "--max-pages", "0"}, "--max-pages 0 is out of range"},
		{[]string{"--log-level", "verbose", "providers"}, `--log-level "verbose": want one of debug, info, warn, error`},
		{[]string{"session", "create", "demo", "--page-size", "0", "--state-dir", t.TempDir()}, "--page-size 0 is out of range"},
		{[]string{"demobank", "--accounts", "0"}, "--accounts 0 is out of range"},
	} {
		_, _, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestProviders(t *testing.T) {
	out, _ := mustRun(t, "providers", "--json")
	var res protocol.ProvidersListResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("providers --json: %v\n%s", err, out)
	}
	var demo *protocol.Provider
	for i := range res.Providers {
		if res.Providers[i].Name == "demo" {
			demo = &res.Providers[i]
		}
	}
	if demo == nil || !strings.Contains(strings.Join(demo.Capabilities, " "), protocol.CapFetchPayments) {
		t.Fatalf("demo with fetch:payments not listed: %+v", res.Providers)
	}
	out, _ = mustRun(t, "providers")
	if !strings.Contains(out, "demo (page size 100)") || !strings.Contains(out, "  fetch: accounts, balances, externalAccounts, payments") {
		t.Errorf("providers list:\n%s", out)
	}
	for _, l := range lines(out) {
		if len(l) > providerWidth {
			t.Errorf("providers line of %d columns, want at most %d: %q", len(l), providerWidth, l)
		}
	}
}

func TestSync(t *testing.T) {
	out, _ := mustRun(t, "sync", "demo", "--config", `{"accounts":2,"paymentsPerAccount":150}`)
	for _, want := range []string{
		"TASK", "FROM", "HAS MORE",
		"accounts/payments", "accounts/balances", "externalAccounts",
		"done  accounts/payments  acc_",       // plain progress, stdout not a terminal
		"8 task runs (0 failed)", "319 items", // 2 accounts, 2 balances, 300 payments, 3 beneficiaries, 8 orders, 4 conversions
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sync output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("terminal escapes in plain output:\n%q", out)
	}
}

func TestSyncMaxPages(t *testing.T) {
	out, _ := mustRun(t, "sync", "demo", "--config", `{"accounts":1,"paymentsPerAccount":50}`, "--page-size", "10", "--max-pages-per-task", "2")
	found := false
	for _, l := range lines(out) {
		if strings.HasPrefix(l, "accounts/payments") {
			f := strings.Fields(l)
			found = true
			if f[2] != "2" || f[3] != "20" || f[4] != "true" {
				t.Errorf("capped payments row %q, want 2 pages, 20 items, hasMore true", l)
			}
		}
	}
	if !found {
		t.Errorf("no payments row:\n%s", out)
	}
}

func TestBench(t *testing.T) {
	out, errOut := mustRun(t, "bench", "--payments", "2000", "--accounts", "4", "--subscribers", "2")
	for _, want := range []string{
		"2,000 payments over 4 accounts",
		"direct connector", "daemon + websocket", "ratio daemon/direct",
		"subscriber 1: received", "subscriber 2: received",
		"data/list, 50 payments:", "data/export:", "cp of it", "store on disk / its export:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
	for _, l := range lines(out) {
		if strings.HasPrefix(l, "subscriber") && !strings.Contains(l, "== total") {
			t.Errorf("not everything received: %s", l)
		}
	}

	out, _ = mustRun(t, "bench", "--payments", "1000", "--accounts", "2", "--page-size", "50", "--rounds", "2", "--json")
	var res benchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	if !res.AllReceived || res.Direct.Payments != 1000 || res.Daemon.Payments != 1000 ||
		res.Subscribers[0].Items != int64(res.Daemon.Items) || res.Daemon.Pages != res.Direct.Pages {
		t.Errorf("bench result %+v", res)
	}
	if sb := res.StoreBench; sb == nil || sb.ExportBytes == 0 || sb.ListMs <= 0 || sb.ListSmallMs <= 0 || sb.CopyMs <= 0 || sb.CopyColdMs <= 0 || sb.SizeRatio <= 0 {
		t.Errorf("bench store measures: %+v", res.StoreBench)
	}
	// CPU times are not checked: a run this small may take less than the
	// kernel's 10 ms tick.
	if res.Rounds != 2 || len(res.RoundRatios) != 2 || res.RoundRatios[0] <= 0 || res.RoundRatios[1] <= 0 {
		t.Errorf("bench --rounds 2: rounds %d, ratios %v", res.Rounds, res.RoundRatios)
	}
}

// syncBuffer is a bytes.Buffer a running command may write while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a long-running command until the returned stop is called.
func start(t *testing.T, args ...string) (stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("switchboard %v did not stop", args)
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDemobank(t *testing.T) {
	stdout, stderr, stop := start(t, "demobank", "--listen", "127.0.0.1:0", "--accounts", "3", "--api-key", "k123")
	waitFor(t, "the URL on stdout", func() bool { return strings.HasSuffix(stdout.String(), "\n") })
	url := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.Contains(url, "\n") {
		t.Fatalf("stdout is not one URL line: %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "k123") || !strings.Contains(stderr.String(), url) {
		t.Errorf("stderr lacks the URL and API key:\n%s", stderr.String())
	}
	req, _ := http.NewRequest("GET", url+"/v1/accounts", nil)
	req.Header.Set("Authorization", "Bearer k123")
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Data []json.RawMessage }
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(list.Data) != 3 {
		t.Errorf("GET /v1/accounts: %d with %d accounts, want 200 with 3", resp.StatusCode, len(list.Data))
	}

	// The demo connector works against it.
	cfg := `{"endpoint":"` + url + `","apiKey":"k123"}`
	out, _ := mustRun(t, "fetch", "demo", "accounts", "--config", cfg, "--json")
	if n := len(lines(out)); n != 3 {
		t.Errorf("fetch against the standalone bank: %d accounts, want 3", n)
	}

	if err := stop(); err != nil {
		t.Fatalf("demobank stopped with %v", err)
	}
	if _, err := c.Get(url + "/v1/accounts"); err == nil {
		t.Errorf("the bank still answers after stop")
	}
}

func TestDemobankRefusesRemote(t *testing.T) {
	_, _, err := run(t, "demobank", "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Errorf("got %v, want a refusal naming --allow-remote", err)
	}
}

func TestConnectToServe(t *testing.T) {
	dir := t.TempDir()
	_, _, stop := start(t, "serve", "--listen", "127.0.0.1:0", "--state-dir", dir)
	waitFor(t, "daemon.json", func() bool { _, err := client.Discover(dir); return err == nil })

	out, _ := mustRun(t, "providers", "--state-dir", dir)
	if !strings.Contains(out, "demo") {
		t.Errorf("providers from the running daemon:\n%s", out)
	}
	out, _ = mustRun(t, "fetch", "demo", "payments", "--connect", "--state-dir", dir, "--page-size", "5", "--json")
	if n := len(lines(out)); n != 5 {
		t.Errorf("fetch --connect printed %d items, want 5", n)
	}
	out, _ = mustRun(t, "sync", "demo", "--connect", "--state-dir", dir, "--config", `{"accounts":1,"paymentsPerAccount":20}`)
	if !strings.Contains(out, "6 task runs (0 failed)") {
		t.Errorf("sync --connect:\n%s", out)
	}

	// The CLI closes the sessions it made.
	info, err := client.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, info.URL, info.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListSessions(ctx)
	c.Close()
	if err != nil || len(list.Sessions) != 0 {
		t.Errorf("sessions left on the daemon: %+v (%v)", list.Sessions, err)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestHelp keeps every command explained for a newcomer.
func TestHelp(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			if sub.Short == "" || sub.Long == "" || sub.Example == "" {
				t.Errorf("%s: Short, Long and Example must all be set", sub.CommandPath())
			}
			// Examples name what the default demo bank has: its accounts
			// are acc_<hex>, its beneficiaries ben_<hex>.
			for _, bad := range []string{"acc_0001", "acc_...", "ext_", "3f1c..."} {
				if strings.Contains(sub.Example+sub.Long, bad) {
					t.Errorf("%s: help mentions %q, which the demo bank does not have", sub.CommandPath(), bad)
				}
			}
			walk(sub)
		}
	}
	walk(newRootCmd())
	out, _ := mustRun(t, "fetch", "--help")
	if !strings.Contains(out, "--page-size") || !strings.Contains(out, "Examples:") {
		t.Errorf("fetch --help:\n%s", out)
	}
}

func TestSyncSummaryGroupsManyRuns(t *testing.T) {
	cfg := `{"accounts":16,"paymentsPerAccount":10}`
	out, _ := mustRun(t, "sync", "demo", "--config", cfg)
	if !strings.Contains(out, "accounts/payments  (16 runs)") || !strings.Contains(out, "36 task runs (0 failed)") {
		t.Errorf("grouped summary:\n%s", out)
	}
	out, _ = mustRun(t, "sync", "demo", "--config", cfg, "--every-run")
	if strings.Contains(out, "runs)") || strings.Count(out, "\naccounts/payments  acc_") != 16 {
		t.Errorf("--every-run summary:\n%s", out)
	}
}

func TestSyncCancel(t *testing.T) {
	bank := demobank.New(demobank.Config{Accounts: 3, PaymentsPerAccount: 1000, Faults: demobank.Faults{Latency: 20 * time.Millisecond}})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()
	cfg := `{"endpoint":"` + url + `","apiKey":"` + bank.APIKey() + `"}`
	stdout, _, stop := start(t, "sync", "demo", "--config", cfg, "--page-size", "10")
	waitFor(t, "the first finished run", func() bool { return strings.Contains(stdout.String(), "done  accounts/balances") })
	time.Sleep(150 * time.Millisecond) // a few 20ms payments pages
	began := time.Now()
	err = stop()
	if err == nil || !strings.Contains(err.Error(), "sync cancelled") {
		t.Fatalf("got %v, want sync cancelled", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("cancelling took %v", d)
	}
	out := stdout.String()
	if !strings.Contains(out, "cancelled; pages completed before the cancel:") || !strings.Contains(out, "accounts/payments") {
		t.Errorf("cancelled output:\n%s", out)
	}
}
