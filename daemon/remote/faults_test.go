package remote_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/daemon/remote"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestFaultKinds injects each fault kind into the demo connector in the
// daemon and the same connector in a child process (whose HTTP the daemon
// makes for it), and checks what the connector saw, that the failed page
// left the state where it was, and that the exchange is marked.
func TestFaultKinds(t *testing.T) {
	url := demoBank(t)
	d, _ := newDaemon(t, remote.Options{}, demoProvider())
	c := serve(t, d)
	accounts := func(t *testing.T, provider string, size int) protocol.Page {
		s := createSession(t, c, provider, url)
		var pg protocol.Page
		c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts", PageSize: size}, &pg)
		return pg
	}
	type outcome struct {
		page   protocol.Page
		err    error
		before protocol.StateGetResult // after page 1
		after  protocol.StateGetResult // after the faulted page
		marked []protocol.HTTPExchangeParams
	}
	// run fetches page 1 and page 2 of accounts, pages of size, with rule.
	run := func(t *testing.T, provider string, size int, rule protocol.FaultRule) outcome {
		t.Helper()
		s := createSession(t, c, provider, url)
		var set protocol.FaultsListResult
		c.must(t, protocol.MethodFaultsSet, protocol.FaultsSetParams{SessionID: s.ID, Rules: []protocol.FaultRule{rule}}, &set)
		if len(set.Rules) != 1 || set.Rules[0].Rule.ID == "" {
			t.Fatalf("faults/set: %+v", set)
		}
		var o outcome
		if rule.Page != 1 {
			c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts", PageSize: size}, &o.page)
		}
		c.must(t, protocol.MethodStateGet, protocol.SessionParams{SessionID: s.ID}, &o.before)
		o.err = c.call(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts", PageSize: size}, &o.page)
		c.must(t, protocol.MethodStateGet, protocol.SessionParams{SessionID: s.ID}, &o.after)
		var list protocol.HTTPListResult
		c.must(t, protocol.MethodHTTPList, protocol.HTTPListParams{SessionID: s.ID}, &list)
		for _, ex := range list.Exchanges {
			if ex.Fault != nil {
				if ex.Fault.Rule != set.Rules[0].Rule.ID || ex.Fault.Kind != rule.Kind || ex.Operation != "fetch/accounts" {
					t.Errorf("exchange %s marked %+v, operation %s", ex.ID, ex.Fault, ex.Operation)
				}
				o.marked = append(o.marked, ex)
			}
		}
		return o
	}
	failed := func(t *testing.T, o outcome, status int, retryable bool, text string) {
		t.Helper()
		if rpcCode(o.err) != protocol.CodeConnectorError {
			t.Fatalf("faulted page: error %v, want a connector error", o.err)
		}
		var data protocol.ConnectorErrorData
		json.Unmarshal(o.err.(*connrpc.Error).Data, &data)
		if data.HTTPStatus != status || data.Retryable == nil || *data.Retryable != retryable || !strings.Contains(o.err.Error(), text) {
			t.Errorf("faulted page: %v, data %+v; want status %d, retryable %v, %q", o.err, data, status, retryable, text)
		}
		if diff := cmp.Diff(o.before, o.after); diff != "" {
			t.Errorf("the state moved past a failed page (-before +after):\n%s", diff)
		}
		if len(o.marked) != 1 {
			t.Errorf("%d exchanges marked, want 1", len(o.marked))
		}
	}
	for _, provider := range []string{"demo", "testconn"} {
		t.Run(provider, func(t *testing.T) {
			clean := accounts(t, provider, 3)
			t.Run("429", func(t *testing.T) {
				o := run(t, provider, 1, protocol.FaultRule{Kind: protocol.FaultStatus, Status: 429, RetryAfter: 2, Operation: "fetch/accounts", Page: 2})
				failed(t, o, 429, true, "429")
				if len(o.marked) == 1 {
					r := o.marked[0].Response
					if r == nil || r.Status != 429 || fmt.Sprint(r.Headers["Retry-After"]) != "[2]" || o.marked[0].Page != 2 {
						t.Errorf("marked exchange %+v", o.marked[0])
					}
				}
			})
			t.Run("500 every 2nd", func(t *testing.T) {
				o := run(t, provider, 1, protocol.FaultRule{Kind: protocol.FaultStatus, Every: 2})
				failed(t, o, 500, true, "500")
			})
			t.Run("timeout", func(t *testing.T) {
				o := run(t, provider, 1, protocol.FaultRule{Kind: protocol.FaultTimeout, DelayMs: 20, Page: 2})
				failed(t, o, 0, true, "timeout")
			})
			t.Run("reset", func(t *testing.T) {
				o := run(t, provider, 1, protocol.FaultRule{Kind: protocol.FaultReset, URL: "/v1/accounts", Page: 2})
				failed(t, o, 0, true, "connection reset")
			})
			t.Run("truncate", func(t *testing.T) {
				o := run(t, provider, 1, protocol.FaultRule{Kind: protocol.FaultTruncate, Page: 2})
				failed(t, o, 0, true, "unexpected EOF")
			})
			t.Run("duplicate", func(t *testing.T) {
				o := run(t, provider, 1, protocol.FaultRule{Kind: protocol.FaultDuplicate, Page: 2})
				if o.err != nil || len(o.marked) != 1 {
					t.Fatalf("duplicate: %v, %d marked", o.err, len(o.marked))
				}
				var first []protocol.Account
				json.Unmarshal(clean.Items, &first)
				var got []protocol.Account
				json.Unmarshal(o.page.Items, &got)
				if len(got) != 1 || got[0].Reference != first[0].Reference {
					t.Errorf("page 2 under duplicate has %s, want page 1 again (%s)", o.page.Items, first[0].Reference)
				}
			})
			t.Run("reorder", func(t *testing.T) {
				o := run(t, provider, 3, protocol.FaultRule{Kind: protocol.FaultReorder, Page: 1})
				if o.err != nil || len(o.marked) != 1 {
					t.Fatalf("reorder: %v, %d marked", o.err, len(o.marked))
				}
				var want, got []protocol.Account
				json.Unmarshal(clean.Items, &want)
				json.Unmarshal(o.page.Items, &got)
				if len(want) != 3 || len(got) != 3 || got[0].Reference != want[2].Reference || got[2].Reference != want[0].Reference {
					t.Errorf("reordered page %s, clean page %s", o.page.Items, clean.Items)
				}
			})
			t.Run("rewrite", func(t *testing.T) {
				o := run(t, provider, 3, protocol.FaultRule{Kind: protocol.FaultRewrite, Field: "name", Value: json.RawMessage(`"Injected"`), Page: 1})
				if o.err != nil || len(o.marked) != 1 {
					t.Fatalf("rewrite: %v, %d marked", o.err, len(o.marked))
				}
				var got []protocol.Account
				json.Unmarshal(o.page.Items, &got)
				if len(got) != 3 || got[0].Name != "Injected" || got[2].Name != "Injected" {
					t.Errorf("rewritten page %s", o.page.Items)
				}
			})
			t.Run("probability with a seed", func(t *testing.T) {
				fired := func() []protocol.FaultRuleStatus {
					s := createSession(t, c, provider, url)
					c.must(t, protocol.MethodFaultsSet, protocol.FaultsSetParams{SessionID: s.ID, Rules: []protocol.FaultRule{
						{Kind: protocol.FaultStatus, Status: 503, Probability: 0.5, Seed: 42},
					}}, nil)
					for i := 0; i < 12; i++ {
						c.call(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts", PageSize: 1, Reset: true}, nil)
					}
					var l protocol.FaultsListResult
					c.must(t, protocol.MethodFaultsList, protocol.SessionParams{SessionID: s.ID}, &l)
					c.must(t, protocol.MethodFaultsClear, protocol.SessionParams{SessionID: s.ID}, nil)
					c.must(t, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts", PageSize: 1, Reset: true}, nil)
					return l.Rules
				}
				a, b := fired(), fired()
				if diff := cmp.Diff(a, b); diff != "" {
					t.Errorf("the same seed fired differently (-first +second):\n%s", diff)
				}
				if len(a) != 1 || a[0].Matched != 12 || a[0].Fired == 0 || a[0].Fired == 12 {
					t.Errorf("probability 0.5 over 12 requests: %+v", a)
				}
			})
		})
	}
}

// TestFaultRulesRefused: a bad rule is a coded error naming its field, and
// sets nothing.
func TestFaultRulesRefused(t *testing.T) {
	url := demoBank(t)
	d, _ := newDaemon(t, remote.Options{}, demoProvider())
	c := serve(t, d)
	s := createSession(t, c, "demo", url)
	for _, tc := range []struct {
		rule  protocol.FaultRule
		field string
	}{
		{protocol.FaultRule{Kind: "explode"}, "rules[0].kind"},
		{protocol.FaultRule{Kind: protocol.FaultStatus, Status: 700}, "rules[0].status"},
		{protocol.FaultRule{Kind: protocol.FaultReset, Probability: 2}, "rules[0].probability"},
		{protocol.FaultRule{Kind: protocol.FaultReset, Page: 2, Every: 3}, "rules[0].page"},
	} {
		err := c.call(t, protocol.MethodFaultsSet, protocol.FaultsSetParams{SessionID: s.ID, Rules: []protocol.FaultRule{tc.rule}}, nil)
		if rpcCode(err) != protocol.CodeInvalidParams || !strings.Contains(errData(err), `"field":"`+tc.field+`"`) {
			t.Errorf("%+v: %v %s, want invalid params on %s", tc.rule, err, errData(err), tc.field)
		}
	}
	var l protocol.FaultsListResult
	c.must(t, protocol.MethodFaultsList, protocol.SessionParams{SessionID: s.ID}, &l)
	if len(l.Rules) != 0 {
		t.Errorf("refused rules were set: %+v", l.Rules)
	}
}
