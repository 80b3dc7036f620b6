package remote_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/connectors/demo"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/remote"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

const apiKey = "sk_live_remote_secret_123"

func demoBank(t testing.TB) string {
	_, url := bank(t, demobank.Config{Seed: 7, Accounts: 3, PaymentsPerAccount: 40, ExternalAccounts: 2, APIKey: apiKey})
	return url
}

func createSession(t testing.TB, c *client, provider, url string) protocol.Session {
	t.Helper()
	var s protocol.Session
	c.must(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: provider,
		Config: json.RawMessage(fmt.Sprintf(`{"endpoint":%q,"apiKey":%q}`, url, apiKey)), PageSize: 7}, &s)
	return s
}

func demoProvider() *connector.Provider {
	p, _ := connector.Default().Lookup("demo")
	return p
}

// TestRemoteMatchesInProcess runs a whole sync (every fetch, through the
// remote install tree) of the connector in a process and of the same
// connector in-process, and compares what they fetched.
func TestRemoteMatchesInProcess(t *testing.T) {
	url := demoBank(t)
	d, _ := newDaemon(t, remote.Options{}, demoProvider())
	c := serve(t, d)

	var provs protocol.ProvidersListResult
	c.must(t, protocol.MethodProvidersList, struct{}{}, &provs)
	var tc protocol.Provider
	for _, p := range provs.Providers {
		if p.Name == "testconn" {
			tc = p
		}
	}
	if tc.Name == "" || !strings.Contains(string(tc.ConfigSchema), `"writeOnly":true`) || tc.DefaultPageSize != 25 {
		t.Fatalf("testconn provider: %+v", tc)
	}

	sync := func(provider string) map[string]int {
		s := createSession(t, c, provider, url)
		var res protocol.SyncRunResult
		c.must(t, protocol.MethodSyncRun, protocol.SyncRunParams{SessionID: s.ID}, &res)
		out := map[string]int{}
		for _, task := range res.Tasks {
			if task.Error != "" {
				t.Fatalf("%s: task %s: %s", provider, task.Path, task.Error)
			}
			out[task.Resource] += task.Items
		}
		return out
	}
	remoteCounts, local := sync("testconn"), sync("demo")
	if fmt.Sprint(remoteCounts) != fmt.Sprint(local) {
		t.Fatalf("remote sync fetched %v, in-process %v", remoteCounts, local)
	}
	for _, r := range []string{"accounts", "balances", "externalAccounts", "payments"} {
		if remoteCounts[r] == 0 {
			t.Fatalf("nothing fetched of %s: %v", r, remoteCounts)
		}
	}
	// The items themselves are the same.
	rs, ls := createSession(t, c, "testconn", url), createSession(t, c, "demo", url)
	for _, res := range []string{"accounts", "payments", "externalAccounts"} {
		var rp, lp protocol.Page
		c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: rs.ID, Resource: res, PageSize: 5}, &rp)
		c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: ls.ID, Resource: res, PageSize: 5}, &lp)
		if string(rp.Items) != string(lp.Items) || string(rp.NewState) != string(lp.NewState) || rp.HasMore != lp.HasMore {
			t.Fatalf("%s: remote page %s / %s differs from in-process %s / %s", res, rp.Items, rp.NewState, lp.Items, lp.NewState)
		}
	}
}

func TestRemoteTransferAndPayout(t *testing.T) {
	url := demoBank(t)
	d, _ := newDaemon(t, remote.Options{})
	c := serve(t, d)
	s := createSession(t, c, "testconn", url)
	var accounts protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts", PageSize: 10}, &accounts)
	var accs []protocol.Account
	if err := json.Unmarshal(accounts.Items, &accs); err != nil || len(accs) < 2 {
		t.Fatalf("accounts: %v %s", err, accounts.Items)
	}
	var res protocol.InitiationResult
	c.must(t, protocol.MethodTransferCreate, protocol.InitiationParams{SessionID: s.ID, Initiation: protocol.Initiation{
		Reference: "tr-1", Amount: "1234", Asset: accs[0].DefaultAsset, SourceAccountReference: accs[0].Reference, DestinationAccountReference: accs[1].Reference,
	}}, &res)
	if res.Payment == nil || res.Payment.Amount != "1234" || res.Payment.Type != "TRANSFER" {
		t.Fatalf("transfer: %+v", res)
	}
	// A connector error keeps its HTTP status across the process boundary.
	err := c.call(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "others", Name: "fail"}, nil)
	if rpcCode(err) != protocol.CodeConnectorError || !strings.Contains(string(err.(*connrpc.Error).Data), `"httpStatus":503`) {
		t.Fatalf("fail: %v %s", err, errData(err))
	}
}

func errData(err error) string {
	if re, ok := err.(*connrpc.Error); ok {
		return string(re.Data)
	}
	return ""
}

func TestRemoteLogsAndExchangesRedacted(t *testing.T) {
	url := demoBank(t)
	d, _ := newDaemon(t, remote.Options{})
	c := serve(t, d)
	s := createSession(t, c, "testconn", url)
	var page protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "others", Name: "log"}, &page)
	c.waitNote(t, protocol.NotifyLog, func(p json.RawMessage) bool { return strings.Contains(string(p), "hello from the child") })
	ex := c.waitNote(t, protocol.NotifyHTTPExchange, nil)
	var x protocol.HTTPExchangeParams
	if err := json.Unmarshal(ex, &x); err != nil {
		t.Fatal(err)
	}
	if x.Operation != "fetch/others" || x.Response == nil || x.Response.Status != 200 || !strings.HasSuffix(strings.Split(x.Request.URL, "?")[0], "/v1/accounts") {
		t.Fatalf("exchange: %s", ex)
	}
	if len(page.HTTPExchanges) != 1 || page.HTTPExchanges[0] != x.ID {
		t.Fatalf("page names exchanges %v, want [%s]", page.HTTPExchanges, x.ID)
	}
	if strings.Contains(c.allRaw(), apiKey) {
		t.Fatalf("the API key left the daemon: %s", c.allRaw())
	}
	var list protocol.HTTPListResult
	c.must(t, protocol.MethodHTTPList, protocol.HTTPListParams{SessionID: s.ID}, &list)
	if len(list.Exchanges) == 0 || strings.Contains(fmt.Sprint(list.Exchanges), apiKey) {
		t.Fatalf("http/list: %+v", list.Exchanges)
	}
}

func TestRemoteCancellation(t *testing.T) {
	url := demoBank(t)
	d, _ := newDaemon(t, remote.Options{})
	c := serve(t, d)
	s := createSession(t, c, "testconn", url)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- c.peer.Call(ctx, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "others", Name: "hang"}, nil)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-errc
	// The child saw its context cancelled (it says so on stderr, which
	// becomes a session log).
	c.waitNote(t, protocol.NotifyLog, func(p json.RawMessage) bool { return strings.Contains(string(p), "hang: cancelled") })
	// And it still serves.
	var page protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "others", Name: "ok"}, &page)
}

func pidOf(t *testing.T, c *client, sessionID string) int {
	t.Helper()
	var page protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: sessionID, Resource: "others", Name: "pid", Reset: true}, &page)
	var items []protocol.Other
	if err := json.Unmarshal(page.Items, &items); err != nil || len(items) != 1 {
		t.Fatalf("pid page: %s", page.Items)
	}
	pid, _ := strconv.Atoi(items[0].ID)
	return pid
}

func TestRemoteMisbehavingChild(t *testing.T) {
	url := demoBank(t)
	d, _ := newDaemon(t, remote.Options{CallTimeout: 700 * time.Millisecond})
	c := serve(t, d)
	s := createSession(t, c, "testconn", url)
	for _, tc := range []struct{ name, want string }{
		{"crash", "boom: the connector is crashing on purpose"},
		{"hangHard", "no answer within 700ms"},
		{"garbage", "not a message header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := pidOf(t, c, s.ID)
			err := c.call(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "others", Name: tc.name}, nil)
			if rpcCode(err) != protocol.CodeConnectorError || !strings.Contains(err.Error()+errData(err), tc.want) {
				t.Fatalf("want a connector error with %q, got %v %s", tc.want, err, errData(err))
			}
			waitGone(t, before)
			after := pidOf(t, c, s.ID)
			if after == before || after == 0 {
				t.Fatalf("child not restarted: pid %d then %d", before, after)
			}
		})
	}
}

func TestRemoteBadStarts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ env, want string }{
		{"TESTCONN_EXIT_AT_HANDSHAKE=1", "exiting before the handshake"},
		{"TESTCONN_GARBAGE_AT_START=1", "not a message header"},
	} {
		_, err := remote.NewLauncher(ctx, []string{testconnBin}, "", remote.Options{Env: []string{tc.env}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: want an error with %q, got %v", tc.env, tc.want, err)
		}
	}
	if _, err := remote.NewLauncher(ctx, []string{filepath.Join(t.TempDir(), "missing")}, "", remote.Options{}); err == nil {
		t.Fatal("a missing command started")
	}
	// A child that never answers the handshake.
	_, err := remote.NewLauncher(ctx, []string{"sleep", "60"}, "", remote.Options{HandshakeTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("silent child: %v", err)
	}
}

func TestRemoteConfigErrors(t *testing.T) {
	d, _ := newDaemon(t, remote.Options{})
	c := serve(t, d)
	err := c.call(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "testconn", Config: json.RawMessage(`{"accounts":-1}`)}, nil)
	if rpcCode(err) != protocol.CodeInvalidParams || !strings.Contains(errData(err), "config.accounts") {
		t.Fatalf("bad config: %v %s", err, errData(err))
	}
}

func TestNoOrphansAfterShutdown(t *testing.T) {
	url := demoBank(t)
	l, err := remote.NewLauncher(context.Background(), []string{testconnBin}, "", remote.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	reg := connector.NewRegistry()
	reg.Register(l.Provider())
	d := daemon.New(daemon.Options{Registry: reg, Logger: quiet()})
	c := serve(t, d)
	var pids []int
	for range 3 {
		s := createSession(t, c, "testconn", url)
		pids = append(pids, pidOf(t, c, s.ID))
	}
	if got := l.Pids(); len(got) != 3 {
		t.Fatalf("launcher children %v, want 3", got)
	}
	// A child in the middle of a call when the daemon shuts down.
	go c.call(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: "", Resource: "others", Name: "hangHard"}, nil)
	d.Close()
	for _, pid := range pids {
		waitGone(t, pid)
	}
	if got := l.Pids(); len(got) != 0 {
		t.Fatalf("children left: %v", got)
	}
}

// nodeDaemon serves a daemon whose one provider is the Node.js test
// connector, or skips the test without node.
func nodeDaemon(t *testing.T) *client {
	node, err := lookNode()
	if err != nil {
		t.Skip("node not found")
	}
	script, _ := filepath.Abs("testdata/nodeconn/main.js")
	l, err := remote.NewLauncher(context.Background(), []string{node, script}, "", remote.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	reg := connector.NewRegistry()
	reg.Register(l.Provider())
	return serve(t, daemon.New(daemon.Options{Registry: reg, Logger: quiet()}))
}

func TestNodeConnector(t *testing.T) {
	c := nodeDaemon(t)
	var err error
	var s protocol.Session
	c.must(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "nodebank", Config: json.RawMessage(`{"token":"node-secret-token","count":23}`)}, &s)
	if fmt.Sprint(s.Capabilities) != "[fetch:accounts fetch:payments fetch:orders fetch:conversions create:payout]" || !strings.Contains(string(s.Config), `"token":"***"`) {
		t.Fatalf("session: %+v", s)
	}
	var all protocol.FetchAllResult
	c.must(t, protocol.MethodFetchAll, protocol.FetchAllParams{SessionID: s.ID, Resource: "payments", PageSize: 5}, &all)
	if all.Pages != 5 || all.Items != 23 || all.HasMore {
		t.Fatalf("fetch/all: %+v", all)
	}
	var page protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts"}, &page)
	if !strings.Contains(string(page.Items), `"reference":"acc-1"`) {
		t.Fatalf("accounts: %s", page.Items)
	}
	c.waitNote(t, protocol.NotifyLog, func(p json.RawMessage) bool { return strings.Contains(string(p), "node fetched a page") })
	// A bad config is refused by the schema the script declared.
	err = c.call(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "nodebank", Config: json.RawMessage(`{"count":"x"}`)}, nil)
	if rpcCode(err) != protocol.CodeInvalidParams {
		t.Fatalf("bad config: %v", err)
	}
	if strings.Contains(c.allRaw(), "node-secret-token") {
		t.Fatal("the token left the daemon")
	}
}

func lookNode() (string, error) {
	for _, p := range []string{os.Getenv("NODE"), "node"} {
		if p == "" {
			continue
		}
		if path, err := execLook(p); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no node")
}

var _ = demo.Config{}

// TestIdleChildStops checks that a session's child is stopped once idle,
// and started again, with the session's config, by its next call.
func TestIdleChildStops(t *testing.T) {
	url := demoBank(t)
	d, l := newDaemon(t, remote.Options{IdleTimeout: 200 * time.Millisecond})
	c := serve(t, d)
	s := createSession(t, c, "testconn", url)
	first := pidOf(t, c, s.ID)
	waitGone(t, first)
	if got := l.Pids(); len(got) != 0 {
		t.Fatalf("an idle session still has children %v", got)
	}
	var page protocol.Page
	c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts"}, &page)
	if page.ItemCount == 0 {
		t.Error("the restarted child fetched no accounts")
	}
	again := pidOf(t, c, s.ID)
	if again == 0 || again == first {
		t.Fatalf("child not started again: pid %d then %d", first, again)
	}
	// A long run keeps its child: calls closer together than the timeout.
	for range 5 {
		time.Sleep(100 * time.Millisecond)
		if pid := pidOf(t, c, s.ID); pid != again {
			t.Fatalf("a busy session's child changed from %d to %d", again, pid)
		}
	}
}
