package daemon_test

import (
	"encoding/json"
	"github.com/gorilla/websocket"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

func TestMain(m *testing.M) {
	code := m.Run()
	closeFuzzPeer()
	// Goroutines the misbehaving test connector leaves on purpose.
	close(testconnector.Release)
	time.Sleep(50 * time.Millisecond)
	if binPath != "" {
		os.RemoveAll(strings.TrimSuffix(binPath, "/switchboard"))
	}
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// transports opens a fresh initialized-or-not peer on every transport the
// daemon serves: in-process stdio pipes, a real websocket on 127.0.0.1, and
// the real binary over its stdin/stdout.
func transports() []struct {
	name string
	open func(t *testing.T) *peer
} {
	return []struct {
		name string
		open func(t *testing.T) *peer
	}{
		{"stdio", func(t *testing.T) *peer {
			d := newTestDaemon()
			t.Cleanup(func() { d.Close() })
			w, _ := inProcessStdio(t, d)
			return newPeer(t, w)
		}},
		{"websocket", func(t *testing.T) *peer {
			d := newTestDaemon()
			t.Cleanup(func() { d.Close() })
			srv := startWS(t, d)
			return newPeer(t, dialWS(t, srv))
		}},
		{"binary", func(t *testing.T) *peer {
			w, _ := spawnStdio(t)
			return newPeer(t, w)
		}},
	}
}

func errCode(t *testing.T, m message) int {
	t.Helper()
	if m.Error == nil {
		t.Fatalf("want an error, got result %s", m.Result)
	}
	return m.Error.Code
}

func createTest(t *testing.T, p *peer, config string) protocol.Session {
	t.Helper()
	var s protocol.Session
	p.ok("session/create", `{"provider":"test","config":`+config+`}`, &s)
	return s
}

func TestErrorsLeaveConnectionServing(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			if got := errCode(t, p.call("providers/list", nil)); got != protocol.CodeNotInitialized {
				t.Fatalf("before initialize: code %d, want %d", got, protocol.CodeNotInitialized)
			}
			p.initialize()
			sess := createTest(t, p, `{"payments":10}`)
			errSess := createTest(t, p, `{"behave":"error","status":429}`)
			panicSess := createTest(t, p, `{"behave":"panic"}`)
			badState := createTest(t, p, `{"behave":"badstate"}`)

			cases := []struct {
				name    string
				body    string
				id      string
				code    int
				dataHas string // a substring of the error data
			}{
				{"malformed JSON", `{"jsonrpc":"2.0","id":1,"method":`, "null", protocol.CodeParseError, ""},
				{"batch", `[{"jsonrpc":"2.0","id":2,"method":"providers/list"}]`, "null", protocol.CodeInvalidRequest, ""},
				{"not an object", `42`, "null", protocol.CodeInvalidRequest, ""},
				// {"jsonrpc":"2.0","id":3} is a response with a null result
				// (x/exp/jsonrpc2 sends those), to no request: ignored.
				{"neither request nor response", `{"jsonrpc":"2.0","params":{}}`, "null", protocol.CodeInvalidRequest, ""},
				{"no jsonrpc member", `{"id":3,"method":"providers/list"}`, "3", protocol.CodeInvalidRequest, ""},
				{"bad id type", `{"jsonrpc":"2.0","id":{"x":1},"method":"providers/list"}`, "null", protocol.CodeInvalidRequest, ""},
				{"unknown method", `{"jsonrpc":"2.0","id":4,"method":"nope/nope"}`, "4", protocol.CodeMethodNotFound, ""},
				{"params not an object", `{"jsonrpc":"2.0","id":5,"method":"fetch/next","params":[1,2]}`, "5", protocol.CodeInvalidParams, ""},
				{"wrong param type", `{"jsonrpc":"2.0","id":6,"method":"fetch/next","params":{"sessionId":"` + sess.ID + `","resource":"payments","pageSize":"ten"}}`, "6", protocol.CodeInvalidParams, `"field":"pageSize"`},
				{"missing sessionId", `{"jsonrpc":"2.0","id":7,"method":"fetch/next","params":{"resource":"payments"}}`, "7", protocol.CodeInvalidParams, `"field":"sessionId"`},
				{"unknown resource", `{"jsonrpc":"2.0","id":8,"method":"fetch/next","params":{"sessionId":"` + sess.ID + `","resource":"cats"}}`, "8", protocol.CodeInvalidParams, `"field":"resource"`},
				{"unknown session", `{"jsonrpc":"2.0","id":9,"method":"fetch/next","params":{"sessionId":"00000000-0000-0000-0000-000000000000","resource":"payments"}}`, "9", protocol.CodeSessionNotFound, `"sessionId":"00000000-0000-0000-0000-000000000000"`},
				{"unknown provider", `{"jsonrpc":"2.0","id":10,"method":"session/create","params":{"provider":"nope"}}`, "10", protocol.CodeProviderNotFound, `"known":[`},
				{"bad config", `{"jsonrpc":"2.0","id":11,"method":"session/create","params":{"provider":"test","config":{"payments":"many","zzz":1}}}`, "11", protocol.CodeInvalidParams, `"field":"config.payments"`},
				{"capability unsupported", `{"jsonrpc":"2.0","id":12,"method":"fetch/next","params":{"sessionId":"` + sess.ID + `","resource":"externalAccounts"}}`, "12", protocol.CodeCapabilityUnsupported, `"capability":"fetch:externalAccounts"`},
				{"transfer unsupported", `{"jsonrpc":"2.0","id":13,"method":"transfer/create","params":{"sessionId":"` + sess.ID + `","initiation":{"reference":"t1","amount":"100","asset":"EUR/2","destinationAccountReference":"acc_1"}}}`, "13", protocol.CodeCapabilityUnsupported, `"capability":"create:transfer"`},
				{"connector error", `{"jsonrpc":"2.0","id":14,"method":"fetch/next","params":{"sessionId":"` + errSess.ID + `","resource":"payments"}}`, "14", protocol.CodeConnectorError, `"httpStatus":429`},
				{"connector panic", `{"jsonrpc":"2.0","id":15,"method":"fetch/next","params":{"sessionId":"` + panicSess.ID + `","resource":"payments"}}`, "15", protocol.CodeConnectorPanicked, `"operation":"fetch/payments"`},
				{"invalid state from connector", `{"jsonrpc":"2.0","id":16,"method":"fetch/next","params":{"sessionId":"` + badState.ID + `","resource":"payments"}}`, "16", protocol.CodeConnectorError, `not valid JSON`},
				{"string id", `{"jsonrpc":"2.0","id":"abc","method":"nope"}`, `"abc"`, protocol.CodeMethodNotFound, ""},
			}
			for _, tc := range cases {
				m := p.sendRaw(tc.body, tc.id)
				if got := errCode(t, m); got != tc.code {
					t.Errorf("%s: code %d (%s), want %d", tc.name, got, m.Error.Message, tc.code)
				}
				if tc.dataHas != "" && !strings.Contains(string(m.Error.Data), tc.dataHas) {
					t.Errorf("%s: data %s lacks %s", tc.name, m.Error.Data, tc.dataHas)
				}
				// The connection still serves.
				var res protocol.ProvidersListResult
				p.ok("providers/list", nil, &res)
			}
			// The session that panicked is still usable for other calls.
			var st protocol.StateGetResult
			p.ok("state/get", map[string]string{"sessionId": panicSess.ID}, &st)
		})
	}
}

func TestFetchNextCarriesState(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.initialize()
			s := createTest(t, p, `{"payments":250,"secret":"hunter2"}`)
			if string(s.Config) != `{"payments":250,"secret":"***"}` {
				t.Errorf("config echoed as %s", s.Config)
			}
			fetch := func(extra string) protocol.Page {
				t.Helper()
				var pg protocol.Page
				p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":100`+extra+`}`, &pg)
				return pg
			}
			refs := func(pg protocol.Page) []string {
				var items []protocol.Payment
				if err := json.Unmarshal(pg.Items, &items); err != nil {
					t.Fatal(err)
				}
				out := make([]string, len(items))
				for i, it := range items {
					out[i] = it.Reference
				}
				return out
			}
			type got struct {
				Page, Count int
				First       string
				State       string
				HasMore     bool
			}
			summary := func(pg protocol.Page) got {
				r := refs(pg)
				first := ""
				if len(r) > 0 {
					first = r[0]
				}
				return got{pg.Page, pg.ItemCount, first, string(pg.NewState), pg.HasMore}
			}
			want := []got{
				{1, 100, "pay_0", `{"offset":100}`, true},
				{2, 100, "pay_100", `{"offset":200}`, true},
				{3, 50, "pay_200", `{"offset":250}`, false},
			}
			for i, w := range want {
				if diff := cmp.Diff(w, summary(fetch(""))); diff != "" {
					t.Errorf("page %d (-want +got):\n%s", i+1, diff)
				}
			}
			var st protocol.StateGetResult
			p.ok("state/get", `{"sessionId":"`+s.ID+`"}`, &st)
			if len(st.States) != 1 || st.States[0].Key != "payments" || st.States[0].Pages != 3 || st.States[0].Items != 250 || st.States[0].HasMore {
				t.Errorf("state/get = %+v", st.States)
			}
			// state/set moves the cursor; the next page starts there.
			p.ok("state/set", `{"sessionId":"`+s.ID+`","resource":"payments","state":{"offset":240}}`, nil)
			if diff := cmp.Diff(got{4, 10, "pay_240", `{"offset":250}`, false}, summary(fetch(""))); diff != "" {
				t.Errorf("after state/set (-want +got):\n%s", diff)
			}
			// A one-off state does not need state/set.
			if diff := cmp.Diff(got{5, 100, "pay_10", `{"offset":110}`, true}, summary(fetch(`,"state":{"offset":10}`))); diff != "" {
				t.Errorf("state override (-want +got):\n%s", diff)
			}
			// reset starts over and restarts the page count.
			if diff := cmp.Diff(got{1, 100, "pay_0", `{"offset":100}`, true}, summary(fetch(`,"reset":true`))); diff != "" {
				t.Errorf("reset (-want +got):\n%s", diff)
			}
			// A child resource keys its state by parent.
			var bal protocol.Page
			p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"balances","fromPayload":{"reference":"acc_0"}}`, &bal)
			if bal.Key != "balances@acc_0" || bal.ItemCount != 1 {
				t.Errorf("balances page: key %q items %d", bal.Key, bal.ItemCount)
			}
			p.ok("session/reset", `{"sessionId":"`+s.ID+`","resource":"payments"}`, nil)
			p.ok("state/get", `{"sessionId":"`+s.ID+`"}`, &st)
			if len(st.States) != 1 || st.States[0].Key != "balances@acc_0" {
				t.Errorf("after reset of payments: %+v", st.States)
			}
		})
	}
}

func TestSessionsAcrossConnections(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	srv := startWS(t, d)
	a := newPeer(t, dialWS(t, srv))
	b := newPeer(t, dialWS(t, srv))
	a.initialize()
	b.ok("initialize", `{"capabilities":{"pageItems":false}}`, nil)

	s := createTest(t, a, `{"payments":30}`)
	var list protocol.SessionListResult
	b.ok("session/list", nil, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != s.ID {
		t.Fatalf("b sees %+v", list.Sessions)
	}
	b.ok("session/subscribe", `{"sessionId":"`+s.ID+`"}`, nil)
	var pg protocol.Page
	b.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":10}`, &pg)
	a.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":10}`, &pg)
	if pg.Page != 2 || pg.ItemCount != 10 {
		t.Fatalf("a continued at page %d", pg.Page)
	}
	// Both connections see both pages; b without items.
	waitFor(t, func() bool { return len(a.notifications("fetch/page")) == 2 && len(b.notifications("fetch/page")) == 2 })
	for _, n := range b.notifications("fetch/page") {
		var fp protocol.FetchPageParams
		json.Unmarshal(n.Params, &fp)
		if fp.Page.Items != nil || fp.Page.ItemCount != 10 {
			t.Errorf("pageItems:false client got items=%s count=%d", fp.Page.Items, fp.Page.ItemCount)
		}
	}
	// a gets every page with its items, its own fetch/next's included.
	for _, n := range a.notifications("fetch/page") {
		var fp protocol.FetchPageParams
		json.Unmarshal(n.Params, &fp)
		if len(fp.Page.Items) == 0 {
			t.Errorf("a got page %d without items", fp.Page.Page)
		}
	}
	b.ok("session/unsubscribe", `{"sessionId":"`+s.ID+`"}`, nil)
	a.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":10}`, &pg)
	waitFor(t, func() bool { return len(a.notifications("fetch/page")) == 3 })
	if n := len(b.notifications("fetch/page")); n != 2 {
		t.Errorf("b got %d pages after unsubscribe", n)
	}

	var detail protocol.SessionDetail
	b.ok("session/get", `{"sessionId":"`+s.ID+`"}`, &detail)
	if len(detail.States) != 1 || detail.States[0].Pages != 3 {
		t.Errorf("session/get states = %+v", detail.States)
	}
	b.ok("session/close", `{"sessionId":"`+s.ID+`"}`, nil)
	if got := errCode(t, a.call("session/get", `{"sessionId":"`+s.ID+`"}`)); got != protocol.CodeSessionNotFound {
		t.Errorf("closed session: code %d", got)
	}
}

func TestBusyKey(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	srv := startWS(t, d)
	p := newPeer(t, dialWS(t, srv))
	p.initialize()
	s := createTest(t, p, `{"behave":"hang"}`)
	// A hanging fetch holds the key ...
	if err := p.w.send([]byte(`{"jsonrpc":"2.0","id":"hang","method":"fetch/next","params":{"sessionId":"` + s.ID + `","resource":"payments"}}`)); err != nil {
		t.Fatal(err)
	}
	// state/set on a held key answers busy at once, without hanging.
	waitFor(t, func() bool {
		m := p.call("state/set", `{"sessionId":"`+s.ID+`","resource":"payments","state":null}`)
		return m.Error != nil && m.Error.Code == protocol.CodeSessionBusy
	})
	m := p.call("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments"}`)
	if got := errCode(t, m); got != protocol.CodeSessionBusy {
		t.Fatalf("second fetch on a held key: code %d", got)
	}
	if !strings.Contains(string(m.Error.Data), `"operation":"fetch/next"`) {
		t.Errorf("busy data %s", m.Error.Data)
	}
	// ... another key is free ...
	p.ok("state/set", `{"sessionId":"`+s.ID+`","resource":"accounts","state":null}`, nil)
	// ... and $/cancelRequest ends the hang with -32800.
	p.notify("$/cancelRequest", `{"id":"hang"}`)
	if got := errCode(t, p.wait(`"hang"`)); got != protocol.CodeRequestCancelled {
		t.Errorf("cancelled fetch: code %d", got)
	}
	// The key is free again.
	p.ok("state/set", `{"sessionId":"`+s.ID+`","resource":"payments","state":null}`, nil)
}

func TestLifecycleExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		shutdown bool
		want     int
	}{{"exit after shutdown", true, 0}, {"exit without shutdown", false, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDaemon()
			defer d.Close()
			w, code := inProcessStdio(t, d)
			p := newPeer(t, w)
			p.initialize()
			if tc.shutdown {
				p.ok("shutdown", nil, nil)
				if got := errCode(t, p.call("providers/list", nil)); got != protocol.CodeInvalidRequest {
					t.Errorf("after shutdown: code %d", got)
				}
			}
			p.notify("exit", "")
			select {
			case got := <-code:
				if got != tc.want {
					t.Errorf("exit code %d, want %d", got, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("daemon did not exit")
			}
		})
	}
}

// TestBinaryExitCode checks the exit status stdio --help promises: 0 once
// shutdown was answered, whether exit follows or stdin just closes; 1 on
// exit or on stdin closing before shutdown.
func TestBinaryExitCode(t *testing.T) {
	for _, tc := range []struct {
		name           string
		shutdown, exit bool
		want           int
	}{
		{"shutdown then exit", true, true, 0},
		{"shutdown then stdin closes", true, false, 0},
		{"exit without shutdown", false, true, 1},
		{"stdin closes without shutdown", false, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, cmd := spawnStdio(t)
			p := newPeer(t, w)
			p.initialize()
			if tc.shutdown {
				p.ok("shutdown", nil, nil)
			}
			if tc.exit {
				p.notify("exit", "")
			} else {
				w.close()
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
				if got := cmd.ProcessState.ExitCode(); got != tc.want {
					t.Errorf("exit status %d, want %d", got, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("binary did not exit")
			}
		})
	}
}

func TestInitializeResult(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	w, _ := inProcessStdio(t, d)
	p := newPeer(t, w)
	var res protocol.InitializeResult
	p.ok("initialize", `{"clientInfo":{"name":"t"},"capabilities":{"workDoneProgress":true}}`, &res)
	if res.ProtocolVersion != "1" || res.ServerInfo.Name != "switchboard" {
		t.Errorf("initialize = %+v", res)
	}
	for _, m := range []string{"fetch/next", "state/get", "state/set", "session/create", "providers/list"} {
		if !contains(res.Capabilities.Methods, m) {
			t.Errorf("methods lack %s", m)
		}
	}
	if diff := cmp.Diff(protocol.Resources, res.Capabilities.Resources); diff != "" {
		t.Error(diff)
	}
	if got := errCode(t, p.call("initialize", nil)); got != protocol.CodeInvalidRequest {
		t.Errorf("second initialize: code %d", got)
	}
}

func TestWebsocketAccess(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	srv := startWS(t, d)
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/rpc"
	for _, tc := range []struct {
		name   string
		url    string
		header map[string]string
		status int
	}{
		{"no token", u, nil, 401},
		{"wrong token", u, map[string]string{"Authorization": "Bearer nope"}, 401},
		{"foreign origin", u, map[string]string{"Authorization": "Bearer " + testToken, "Origin": "https://evil.example"}, 403},
		{"query token", u + "?token=" + testToken, nil, 101},
		{"own origin", u + "?token=" + testToken, map[string]string{"Origin": srv.URL}, 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			c, resp, err := websocket.DefaultDialer.Dial(tc.url, h)
			if c != nil {
				c.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
