package daemon_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/protocol"
)

// startWalk sends a request under id without waiting for its answer.
func (p *peer) startWalk(id, method string, params any) {
	p.t.Helper()
	b, _ := json.Marshal(params)
	p.expect(`"` + id + `"`)
	if err := p.w.send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":%q,"params":%s}`, id, method, b))); err != nil {
		p.t.Fatal(err)
	}
}

// paused waits for the n-th step/paused notification (1-based).
func (p *peer) paused(n int) protocol.StepPausedParams {
	p.t.Helper()
	var got protocol.StepPausedParams
	waitFor(p.t, func() bool {
		ns := p.notifications(protocol.NotifyStepPaused)
		if len(ns) < n {
			return false
		}
		if err := json.Unmarshal(ns[n-1].Params, &got); err != nil {
			p.t.Fatal(err)
		}
		return true
	})
	return got
}

// TestStepThroughAWalk: step pauses before every page and announces it;
// step/next fetches one page, step/continue runs to the end.
func TestStepThroughAWalk(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	s := createTest(t, p, `{"accounts":4}`)
	p.startWalk("walk", "fetch/all", protocol.FetchAllParams{SessionID: s.ID, Resource: "accounts", PageSize: 1, StepOptions: protocol.StepOptions{Step: true}})
	first := p.paused(1)
	if first.Page != 1 || first.Reason != protocol.StepReasonStep || first.Last != nil || string(first.State) != "null" || first.Key != "accounts" || first.StepID == "" {
		t.Fatalf("first pause %+v", first)
	}
	// Nothing is fetched while paused.
	var st protocol.StateGetResult
	p.ok("state/get", protocol.SessionParams{SessionID: s.ID}, &st)
	if len(st.States) != 0 {
		t.Fatalf("states while paused before page 1: %+v", st.States)
	}
	p.ok("step/next", protocol.StepParams{SessionID: s.ID, StepID: first.StepID}, nil)
	second := p.paused(2)
	if second.Page != 2 || second.Last == nil || second.Last.Page != 1 || second.Last.ItemCount != 1 || string(second.State) != string(second.Last.NewState) {
		t.Fatalf("second pause %+v", second)
	}
	// A command to a walk that is not paused, or unknown, is refused.
	if m := p.call("step/next", protocol.StepParams{SessionID: s.ID, StepID: "step-0"}); errCode(t, m) != protocol.CodeInvalidParams {
		t.Errorf("unknown step id: %+v", m)
	}
	p.ok("step/continue", protocol.StepParams{SessionID: s.ID, StepID: first.StepID}, nil)
	m := p.wait(`"walk"`)
	var res protocol.FetchAllResult
	if m.Error != nil || json.Unmarshal(m.Result, &res) != nil || res.Pages != 4 || res.Items != 4 {
		t.Fatalf("walk after continue: %+v %s", m.Error, m.Result)
	}
	if n := len(p.notifications(protocol.NotifyStepPaused)); n != 2 {
		t.Errorf("%d pauses, want 2 (continue stops stepping)", n)
	}
	if m := p.call("step/next", protocol.StepParams{SessionID: s.ID, StepID: first.StepID}); errCode(t, m) != protocol.CodeInvalidParams {
		t.Errorf("step/next after the walk ended: %+v", m)
	}
}

// TestBreakpoints: before page N, and on conditions seen on the page
// before; the walk runs freely between them.
func TestBreakpoints(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	t.Run("page", func(t *testing.T) {
		s := createTest(t, p, `{"accounts":5}`)
		before := len(p.notifications(protocol.NotifyStepPaused))
		p.startWalk("bp-page", "fetch/all", protocol.FetchAllParams{SessionID: s.ID, Resource: "accounts", PageSize: 1,
			StepOptions: protocol.StepOptions{Breakpoints: []protocol.Breakpoint{{Page: 3}}}})
		got := p.paused(before + 1)
		if got.Page != 3 || got.Reason != protocol.StepReasonBreakpoint || got.Breakpoint == nil || got.Breakpoint.Page != 3 || got.Last.Page != 2 {
			t.Fatalf("pause %+v", got)
		}
		p.ok("step/continue", protocol.StepParams{SessionID: s.ID, StepID: got.StepID}, nil)
		if m := p.wait(`"bp-page"`); m.Error != nil {
			t.Fatal(m.Error.Message)
		}
	})
	for _, tc := range []struct {
		when string
		page int // of the walk, where it pauses
	}{
		{protocol.BreakEmptyWithMore, 2},  // page 1 is empty with hasMore
		{protocol.BreakStateUnchanged, 3}, // page 2 returns the state page 1 did
	} {
		t.Run(tc.when, func(t *testing.T) {
			s := createTest(t, p, `{"behave":"stall"}`)
			before := len(p.notifications(protocol.NotifyStepPaused))
			p.startWalk("bp-"+tc.when, "fetch/all", protocol.FetchAllParams{SessionID: s.ID, Resource: "payments", FromPayload: json.RawMessage(`{"reference":"acc_0"}`),
				StepOptions: protocol.StepOptions{Breakpoints: []protocol.Breakpoint{{When: tc.when}}}})
			got := p.paused(before + 1)
			if got.Page != tc.page || got.Breakpoint == nil || got.Breakpoint.When != tc.when || got.Detail == "" {
				t.Fatalf("pause %+v, want before page %d", got, tc.page)
			}
			p.ok("step/abort", protocol.StepParams{SessionID: s.ID, StepID: got.StepID}, nil)
			m := p.wait(`"bp-` + tc.when + `"`)
			if errCode(t, m) != protocol.CodeRequestCancelled || !strings.Contains(m.Error.Message, "step/abort") {
				t.Fatalf("aborted walk: %+v", m.Error)
			}
		})
	}
	if m := p.call("fetch/all", protocol.FetchAllParams{SessionID: "x", Resource: "accounts", StepOptions: protocol.StepOptions{Breakpoints: []protocol.Breakpoint{{When: "sometimes"}}}}); m.Error == nil {
		t.Error("an unknown condition was accepted")
	}
}

// TestStepReleased: a paused walk never hangs: cancellation, the
// connection closing, the daemon shutting down and the step timeout each
// end it, leave the key free, and leave no goroutine (TestMain's goleak).
func TestStepReleased(t *testing.T) {
	pause := func(t *testing.T, p *peer, s protocol.Session, id string, opts protocol.StepOptions) protocol.StepPausedParams {
		t.Helper()
		before := len(p.notifications(protocol.NotifyStepPaused))
		opts.Step = true
		p.startWalk(id, "sync/run", protocol.SyncRunParams{SessionID: s.ID, StepOptions: opts})
		return p.paused(before + 1)
	}
	keyFree := func(t *testing.T, p *peer, s protocol.Session) {
		t.Helper()
		waitFor(t, func() bool {
			m := p.call("state/set", `{"sessionId":"`+s.ID+`","resource":"accounts","state":null}`)
			return m.Error == nil
		})
	}
	t.Run("cancel", func(t *testing.T) {
		d := newTestDaemon()
		defer d.Close()
		p := newPeer(t, dialWS(t, startWS(t, d)))
		p.initialize()
		s := createTest(t, p, `{}`)
		pause(t, p, s, "c", protocol.StepOptions{})
		p.notify("$/cancelRequest", `{"id":"c"}`)
		if got := errCode(t, p.wait(`"c"`)); got != protocol.CodeRequestCancelled {
			t.Fatalf("cancelled paused walk: code %d", got)
		}
		keyFree(t, p, s)
	})
	t.Run("timeout", func(t *testing.T) {
		d := newTestDaemon()
		defer d.Close()
		p := newPeer(t, dialWS(t, startWS(t, d)))
		p.initialize()
		s := createTest(t, p, `{}`)
		pause(t, p, s, "to", protocol.StepOptions{StepTimeoutMs: 50})
		m := p.wait(`"to"`)
		if errCode(t, m) != protocol.CodeRequestCancelled || !strings.Contains(m.Error.Message, "step timeout") {
			t.Fatalf("timed-out walk: %+v", m.Error)
		}
		keyFree(t, p, s)
	})
	t.Run("disconnect", func(t *testing.T) {
		d := newTestDaemon()
		defer d.Close()
		srv := startWS(t, d)
		w := dialWS(t, srv)
		p := newPeer(t, w)
		p.initialize()
		s := createTest(t, p, `{}`)
		pause(t, p, s, "dc", protocol.StepOptions{})
		w.close()
		q := newPeer(t, dialWS(t, srv))
		q.initialize()
		keyFree(t, q, s)
	})
	t.Run("shutdown", func(t *testing.T) {
		d := newTestDaemon()
		p := newPeer(t, dialWS(t, startWS(t, d)))
		p.initialize()
		s := createTest(t, p, `{}`)
		pause(t, p, s, "sd", protocol.StepOptions{})
		done := make(chan struct{})
		go func() { d.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("daemon.Close hangs on a paused walk")
		}
	})
}
