package daemon_test

import (
	"testing"

	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/internal/brokenconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestReviewRules runs connector/check on the demo connector and on one
// broken provider per review rule: the correct connector passes every
// rule, each broken one is caught by exactly its rule, with the state to
// reproduce it; a connector that makes no HTTP request is not reviewed.
func TestReviewRules(t *testing.T) {
	_, url, p := bankAndDaemon(t, demobank.Config{Seed: 2, Accounts: 2, PaymentsPerAccount: 6}, brokenconnector.Registry())
	bankConfig := `{"endpoint":"` + url + `","apiKey":"demo-key"}`
	for _, tc := range []struct {
		provider, config string
		want             string // the one rule that fails, "" for none
	}{
		{"demo", bankConfig, ""},
		{brokenconnector.HTTPName(brokenconnector.SwallowsErrors), bankConfig, protocol.CheckFailedPage},
		{brokenconnector.HTTPName(brokenconnector.AllRetryable), bankConfig, protocol.CheckAuthNotRetryable},
		{brokenconnector.HTTPName(brokenconnector.NeverRetryable), bankConfig, protocol.CheckRateLimit},
		{brokenconnector.HTTPName(brokenconnector.UnknownIsSucceeded), bankConfig, protocol.CheckUnknownStatus},
		{brokenconnector.HTTPName(brokenconnector.FloatAmounts), bankConfig, protocol.CheckAmountExact},
		{brokenconnector.HTTPName(brokenconnector.RetriesAtOnce), bankConfig, protocol.CheckRateLimit},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			var s protocol.Session
			p.ok("session/create", `{"provider":"`+tc.provider+`","config":`+tc.config+`}`, &s)
			var res protocol.ConnectorCheckResult
			p.ok("connector/check", protocol.ConnectorCheckParams{SessionID: s.ID, Resources: []string{"payments"}, PageSizes: []int{4}, MaxParents: 1}, &res)
			if res.Review == nil || res.Review.Skipped != "" || res.Review.Resource != "payments" || res.Review.Parent == "" {
				t.Fatalf("review %+v", res.Review)
			}
			var got []protocol.CheckFinding
			for _, r := range res.Resources {
				for _, f := range r.Findings {
					got = append(got, f)
				}
			}
			if tc.want == "" {
				if len(got) != 0 || !res.Passed {
					t.Fatalf("correct connector: findings %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Check != tc.want || res.Passed || string(got[0].State) == "" || string(got[0].State) == "null" || got[0].Parent != res.Review.Parent {
				t.Fatalf("findings %+v, want exactly one %s with its state", got, tc.want)
			}
			t.Logf("%s: %s", got[0].Check, got[0].Message)
			// The rules leave no fault behind.
			var l protocol.FaultsListResult
			p.ok("faults/list", protocol.SessionParams{SessionID: s.ID}, &l)
			if len(l.Rules) != 0 {
				t.Errorf("fault rules left: %+v", l.Rules)
			}
		})
	}
	// In-memory connectors: no HTTP for the fault rules, but a source that
	// grows for the incremental rule.
	for _, tc := range []struct {
		provider string
		passed   bool
	}{{"correct", true}, {brokenconnector.Name(brokenconnector.ForgetsGrowth), false}} {
		t.Run(tc.provider, func(t *testing.T) {
			var s protocol.Session
			p.ok("session/create", `{"provider":"`+tc.provider+`","config":{"accounts":1,"payments":5}}`, &s)
			var res protocol.ConnectorCheckResult
			p.ok("connector/check", protocol.ConnectorCheckParams{SessionID: s.ID, Resources: []string{"payments"}, PageSizes: []int{2}}, &res)
			if res.Review == nil || res.Review.Skipped == "" || len(res.Review.Rules) != 1 || res.Review.Rules[0] != protocol.CheckIncremental || res.Passed != tc.passed {
				t.Fatalf("review %+v, passed %v", res.Review, res.Passed)
			}
			var got []string
			for _, r := range res.Resources {
				for _, f := range r.Findings {
					got = append(got, f.Check)
				}
			}
			if want := map[bool]int{true: 0, false: 1}[tc.passed]; len(got) != want || (want == 1 && got[0] != protocol.CheckIncremental) {
				t.Errorf("findings %v", got)
			}
		})
	}
}
