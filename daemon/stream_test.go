package daemon_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

func progressKinds(p *peer, token string) []string {
	var kinds []string
	for _, n := range p.notifications("$/progress") {
		var pp protocol.ProgressParams
		json.Unmarshal(n.Params, &pp)
		if string(pp.Token) == token {
			kinds = append(kinds, pp.Value.Kind)
		}
	}
	return kinds
}

func TestFetchAllPagesToTheEnd(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.initialize()
			s := createTest(t, p, `{"payments":1000}`)
			var res protocol.FetchAllResult
			p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments","workDoneToken":"tok-1"}`, &res)
			res.DurationMs = 0
			if diff := cmp.Diff(protocol.FetchAllResult{Pages: 10, Items: 1000}, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			// Every page was notified before the result, in order.
			pages := p.notifications("fetch/page")
			if len(pages) != 10 {
				t.Fatalf("%d fetch/page notifications, want 10", len(pages))
			}
			for i, n := range pages {
				var fp protocol.FetchPageParams
				json.Unmarshal(n.Params, &fp)
				if fp.Page.Page != i+1 || fp.Page.ItemCount != 100 {
					t.Errorf("notification %d: page %d with %d items", i, fp.Page.Page, fp.Page.ItemCount)
				}
			}
			want := append(append([]string{"begin"}, strings.Split(strings.Repeat("report,", 10), ",")[:10]...), "end")
			if diff := cmp.Diff(want, progressKinds(p, `"tok-1"`)); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchAllLimitsAndResume(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	s := createTest(t, p, `{"payments":1000}`)
	var res protocol.FetchAllResult
	p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments","maxPages":3}`, &res)
	if res.Pages != 3 || !res.LimitReached || !res.HasMore {
		t.Errorf("maxPages 3: %+v", res)
	}
	// Pages are fetched one ahead, but not past a page limit: three pages,
	// three connector calls, each from the state the one before returned.
	var calls protocol.CallsListResult
	p.ok("calls/list", `{"sessionId":"`+s.ID+`","operation":"fetch/payments"}`, &calls)
	if len(calls.Calls) != 3 {
		t.Errorf("%d fetch calls for 3 pages: %+v", len(calls.Calls), calls.Calls)
	}
	states := map[string]bool{}
	for _, c := range calls.Calls {
		states[string(c.StateBefore)] = true
	}
	if len(states) != 3 {
		t.Errorf("calls started from %d distinct states, want 3: %v", len(states), states)
	}
	p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments","maxItems":250,"pageSize":50}`, &res)
	if res.Pages != 5 || res.Items != 250 || !res.LimitReached {
		t.Errorf("maxItems 250: %+v", res)
	}
	// The rest resumes from the cached state: 1000 - 300 - 250 left.
	p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments"}`, &res)
	if res.Items != 450 || res.LimitReached || res.HasMore {
		t.Errorf("resume: %+v", res)
	}
	var st protocol.StateGetResult
	p.ok("state/get", `{"sessionId":"`+s.ID+`"}`, &st)
	if st.States[0].Items != 1000 || string(st.States[0].State) != `{"offset":1000}` {
		t.Errorf("state after all: %+v", st.States[0])
	}
}

func TestServerCreatedProgressToken(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.ok("initialize", `{"capabilities":{"workDoneProgress":true}}`, nil)
	s := createTest(t, p, `{"payments":300}`)
	p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments"}`, nil)
	creates := p.notifications("window/workDoneProgress/create")
	if len(creates) != 1 {
		t.Fatalf("%d window/workDoneProgress/create requests, want 1", len(creates))
	}
	var cp protocol.WorkDoneProgressCreateParams
	json.Unmarshal(creates[0].Params, &cp)
	if diff := cmp.Diff([]string{"begin", "report", "report", "report", "end"}, progressKinds(p, string(cp.Token))); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

func TestSyncRunWalksTheTaskTree(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.initialize()
			s := createTest(t, p, `{"payments":250,"accounts":3}`)
			var inst protocol.InstallResult
			p.ok("session/install", `{"sessionId":"`+s.ID+`"}`, &inst)
			if len(inst.Tasks) != 2 || inst.Tasks[0].Next[0].Resource != "balances" {
				t.Fatalf("install: %+v", inst.Tasks)
			}
			var res protocol.SyncRunResult
			p.ok("sync/run", `{"sessionId":"`+s.ID+`"}`, &res)
			type run struct {
				Path, From   string
				Pages, Items int
				Failed       bool
			}
			var got []run
			for _, tr := range res.Tasks {
				var from struct {
					Reference string `json:"reference"`
				}
				json.Unmarshal(tr.FromPayload, &from)
				got = append(got, run{tr.Path, from.Reference, tr.Pages, tr.Items, tr.Error != ""})
			}
			// acc_1's balances fail (the test connector's rule); the cycle goes on.
			want := []run{
				{"accounts", "", 1, 3, false},
				{"accounts/balances", "acc_0", 1, 1, false},
				{"accounts/balances", "acc_1", 0, 0, true},
				{"accounts/balances", "acc_2", 1, 1, false},
				{"payments", "", 3, 250, false},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("task runs (-want +got):\n%s", diff)
			}
			if !strings.Contains(res.Tasks[2].Error, "500") {
				t.Errorf("failing child error %q", res.Tasks[2].Error)
			}
			// Pages of a sync name their task.
			tasks := map[string]int{}
			for _, n := range p.notifications("fetch/page") {
				var fp protocol.FetchPageParams
				json.Unmarshal(n.Params, &fp)
				tasks[fp.Task]++
			}
			if diff := cmp.Diff(map[string]int{"accounts": 1, "accounts/balances": 2, "payments": 3}, tasks); diff != "" {
				t.Errorf("pages per task (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchAllOfChildResourceRunsPerParent(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	s := createTest(t, p, `{"accounts":3}`)
	// acc_1 fails: fetch/all stops there with the connector's error.
	m := p.call("fetch/all", `{"sessionId":"`+s.ID+`","resource":"balances"}`)
	if errCode(t, m) != protocol.CodeConnectorError {
		t.Fatalf("code %d", m.Error.Code)
	}
	var st protocol.StateGetResult
	p.ok("state/get", `{"sessionId":"`+s.ID+`"}`, &st)
	var keys []string
	for _, e := range st.States {
		keys = append(keys, e.Key)
	}
	// The parents were read without caching the accounts state.
	if diff := cmp.Diff([]string{"balances@acc_0"}, keys); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

func TestStallDetected(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	s := createTest(t, p, `{"behave":"stall"}`)
	var res protocol.FetchAllResult
	p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments"}`, &res)
	if !res.Stalled || res.Pages != 2 || !strings.Contains(res.Diagnostic, `{"offset":0}`) {
		t.Errorf("stall: %+v", res)
	}
	var sync protocol.SyncRunResult
	p.ok("sync/run", `{"sessionId":"`+s.ID+`"}`, &sync)
	for _, tr := range sync.Tasks {
		if !tr.Stalled || tr.Error == "" {
			t.Errorf("task %s not reported stalled: %+v", tr.Path, tr)
		}
	}
}

func TestCancelStopsBetweenAndInsidePages(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.initialize()
			s := createTest(t, p, `{"payments":100000,"behave":"slow","sleepMs":30}`)
			ch := p.expect(`"all"`)
			p.w.send([]byte(`{"jsonrpc":"2.0","id":"all","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":10}}`))
			waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= 3 })
			start := time.Now()
			p.notify("$/cancelRequest", `{"id":"all"}`)
			var m message
			select {
			case m = <-ch:
			case <-time.After(5 * time.Second):
				t.Fatal("no answer after cancel")
			}
			elapsed := time.Since(start)
			if errCode(t, m) != protocol.CodeRequestCancelled {
				t.Fatalf("code %d", m.Error.Code)
			}
			t.Logf("cancel answered in %v", elapsed)
			// The cached state is exactly the pages completed.
			var st protocol.StateGetResult
			p.ok("state/get", `{"sessionId":"`+s.ID+`"}`, &st)
			n := len(p.notifications("fetch/page"))
			if st.States[0].Pages != n || st.States[0].Items != 10*n || string(st.States[0].State) != fmt.Sprintf(`{"offset":%d}`, 10*n) {
				t.Errorf("state %+v after %d pages", st.States[0], n)
			}
			// And the key is free again.
			var pg protocol.Page
			p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":10}`, &pg)
			if pg.Page != n+1 {
				t.Errorf("next page %d, want %d", pg.Page, n+1)
			}
		})
	}
}

func TestDisconnectCancelsOnlyItsOwnRequests(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	srv := startWS(t, d)
	a := newPeer(t, dialWS(t, srv))
	b := newPeer(t, dialWS(t, srv))
	a.initialize()
	b.initialize()
	s := createTest(t, a, `{"payments":100000,"behave":"slow","sleepMs":20}`)
	b.ok("session/subscribe", `{"sessionId":"`+s.ID+`"}`, nil)
	a.w.send([]byte(`{"jsonrpc":"2.0","id":"a","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":10}}`))
	bDone := b.expect(`"b"`)
	b.w.send([]byte(`{"jsonrpc":"2.0","id":"b","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"accounts","pageSize":1,"maxPages":40}}`))
	waitFor(t, func() bool { return len(b.notifications("fetch/page")) >= 4 })
	a.w.close()
	// a's walk stops: its key becomes free.
	waitFor(t, func() bool {
		m := b.call("state/set", `{"sessionId":"`+s.ID+`","resource":"payments","state":null}`)
		return m.Error == nil
	})
	// b's own walk finishes normally.
	select {
	case m := <-bDone:
		var res protocol.FetchAllResult
		if m.Error != nil {
			t.Fatalf("b's fetch/all failed: %+v", m.Error)
		}
		json.Unmarshal(m.Result, &res)
		if res.Items != 3 {
			t.Errorf("b's result %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b's fetch/all did not finish")
	}
}

func TestSlowSubscriberIsDroppedNotWaitedFor(t *testing.T) {
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger(), QueueSize: 4})
	defer d.Close()
	srv := startWS(t, d)
	fast := newPeer(t, dialWS(t, srv))
	fast.initialize()
	s := createTest(t, fast, `{"payments":100000}`)
	// A subscriber that never reads a byte.
	slow := dialWS(t, srv)
	defer slow.close()
	slow.send([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	slow.send([]byte(`{"jsonrpc":"2.0","id":2,"method":"session/subscribe","params":{"sessionId":"` + s.ID + `"}}`))
	time.Sleep(100 * time.Millisecond)
	var res protocol.FetchAllResult
	fast.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":100}`, &res)
	if res.Items != 100000 {
		t.Fatalf("fetch/all %+v", res)
	}
	if n := len(fast.notifications("fetch/page")); n != res.Pages {
		t.Errorf("fast subscriber got %d of %d pages", n, res.Pages)
	}
	// The sync went on without the slow one, which was dropped with a
	// final notice after the pages it had queued.
	pages, dropped := 0, false
	deadline := time.Now().Add(20 * time.Second)
	for !dropped && time.Now().Before(deadline) {
		raw, err := slow.recv()
		if err != nil {
			t.Fatalf("slow subscriber read: %v", err)
		}
		var m message
		json.Unmarshal(raw, &m)
		switch m.Method {
		case "fetch/page":
			pages++
		case "session/changed":
			var sc protocol.SessionChangedParams
			json.Unmarshal(m.Params, &sc)
			dropped = sc.Reason == protocol.SessionChangedUnsubscribed
		}
	}
	if !dropped || pages >= res.Pages {
		t.Errorf("slow subscriber: dropped=%v after %d of %d pages", dropped, pages, res.Pages)
	}
}
