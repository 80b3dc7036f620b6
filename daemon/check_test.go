package daemon_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/brokenconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestConnectorCheckOverWebsocket runs connector/check over a real
// websocket on a broken provider and a correct one: the finding reaches the
// wire, every page is notified, progress runs, and the session's states are
// left alone.
func TestConnectorCheckOverWebsocket(t *testing.T) {
	d := daemon.New(daemon.Options{Registry: brokenconnector.Registry(), Logger: quietLogger()})
	t.Cleanup(func() { d.Close() })
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()

	var broken protocol.Session
	p.ok("session/create", `{"provider":"broken-timestamp-cursor","config":{"accounts":1,"payments":8}}`, &broken)
	var res protocol.ConnectorCheckResult
	p.ok("connector/check", `{"sessionId":"`+broken.ID+`","resources":["payments"],"pageSizes":[2,100],"workDoneToken":"chk"}`, &res)
	if res.Passed || len(res.Resources) != 1 {
		t.Fatalf("result %+v", res)
	}
	rr := res.Resources[0]
	want := []protocol.CheckFinding{{
		Resource: "payments", Check: protocol.CheckTimestampGroups, PageSize: 2, Parent: "acc_0",
		State:      json.RawMessage(`{"after":"2026-01-01T00:00:00Z"}`),
		References: []string{"acc_0_pay_002", "acc_0_pay_003", "acc_0_pay_006", "acc_0_pay_007"},
	}}
	got := rr.Findings
	for i := range got {
		if !strings.Contains(got[i].Message, `fetching from state {"after":"2026-01-01T00:00:00Z"}`) {
			t.Errorf("message %q does not name the state", got[i].Message)
		}
		got[i].Message = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rr.Resource != "payments" || rr.Passed || !cmp.Equal(rr.PageSizes, []int{2, 100}) || !cmp.Equal(rr.Parents, []string{"acc_0"}) || rr.Items != 8 {
		t.Errorf("resource report %+v", rr)
	}

	// Every page was notified to the requester before the result.
	pages := p.notifications(protocol.NotifyCheckPage)
	if len(pages) != rr.Pages {
		t.Fatalf("%d check/page notifications, want %d", len(pages), rr.Pages)
	}
	var first protocol.CheckPageParams
	if err := json.Unmarshal(pages[0].Params, &first); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(protocol.CheckPageParams{SessionID: broken.ID, Resource: "payments", PageSize: 100, Run: 1, Kind: "parents",
		Page: 1, ItemCount: 1, State: json.RawMessage(`{"offset":1}`)}, first); diff != "" {
		t.Errorf("first check/page (-want +got):\n%s", diff)
	}
	kinds := progressKinds(p, `"chk"`)
	if len(kinds) != rr.Pages+2 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" {
		t.Errorf("progress kinds %v for %d pages", kinds, rr.Pages)
	}

	// The check fetched nothing through the session's states.
	var st protocol.StateGetResult
	p.ok("state/get", `{"sessionId":"`+broken.ID+`"}`, &st)
	if len(st.States) != 0 {
		t.Errorf("check left states %+v", st.States)
	}

	// The correct provider passes with the default page sizes.
	var correct protocol.Session
	p.ok("session/create", `{"provider":"correct","pageSize":50}`, &correct)
	p.ok("connector/check", `{"sessionId":"`+correct.ID+`"}`, &res)
	if !res.Passed {
		t.Errorf("correct provider failed: %+v", res)
	}
	var names []string
	for _, r := range res.Resources {
		names = append(names, r.Resource)
		if !cmp.Equal(r.PageSizes, []int{1, 2, 3, 7, 50}) {
			t.Errorf("%s: page sizes %v, want the defaults and the session's", r.Resource, r.PageSizes)
		}
	}
	if diff := cmp.Diff([]string{"accounts", "balances", "payments"}, names); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}

	// Bad params are coded errors.
	for _, tc := range []struct {
		params string
		code   int
	}{
		{`{"sessionId":"` + correct.ID + `","resources":["nope"]}`, protocol.CodeInvalidParams},
		{`{"sessionId":"` + correct.ID + `","pageSizes":[0]}`, protocol.CodeInvalidParams},
		{`{"sessionId":"` + correct.ID + `","resources":["externalAccounts"]}`, protocol.CodeCapabilityUnsupported},
		{`{"sessionId":"nope"}`, protocol.CodeSessionNotFound},
	} {
		if got := errCode(t, p.call("connector/check", tc.params)); got != tc.code {
			t.Errorf("%s: code %d, want %d", tc.params, got, tc.code)
		}
	}
}
