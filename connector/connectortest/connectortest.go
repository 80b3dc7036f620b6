// Package connectortest lets connector authors test their connector in
// their own go test, against an httptest server or the demo bank: the
// pagination conformance check of connector/conformance, a capability smoke
// test, and a helper to open a provider.
//
//	func TestConnector(t *testing.T) {
//		c := connectortest.Open(t, myconnector.Provider(), myconnector.Config{Endpoint: srv.URL, APIKey: "k"})
//		connectortest.Smoke(t, c)
//		connectortest.Conformance(t, c, conformance.Options{})
//	}
package connectortest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/conformance"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/protocol"
)

// Open opens a connector of p with config and closes it (when it is an
// io.Closer) at the end of the test. config is a value marshalled to JSON,
// or JSON itself as json.RawMessage, []byte or string; nil means {}. A
// config the provider refuses fails the test.
func Open(t testing.TB, p *connector.Provider, config any) connector.Connector {
	t.Helper()
	c, err := p.Open(context.Background(), rawConfig(t, p, config), connector.Env{})
	if err != nil {
		t.Fatalf("connectortest: open %s: %v", p.Name, err)
	}
	t.Cleanup(func() {
		if cl, ok := c.(io.Closer); ok {
			if err := cl.Close(); err != nil {
				t.Errorf("connectortest: close %s: %v", p.Name, err)
			}
		}
	})
	return c
}

// Conformance runs the conformance check of c and fails the test with each
// finding; warnings (updated items) are logged. It returns the report.
func Conformance(t testing.TB, c connector.Connector, opts conformance.Options) conformance.Report {
	t.Helper()
	rep, err := conformance.Check(context.Background(), c, opts)
	if err != nil {
		t.Fatalf("conformance check: %v", err)
	}
	for _, rr := range rep.Resources {
		verdict := "PASS"
		if !rr.Passed {
			verdict = "FAIL"
		}
		t.Logf("%s %s: %d items, page sizes %v, %d runs, %d pages", verdict, rr.Resource, rr.Items, rr.PageSizes, rr.Runs, rr.Pages)
		for _, f := range rr.Findings {
			if f.Warning {
				t.Logf("%s", f)
			} else {
				t.Errorf("%s", f)
			}
		}
	}
	return rep
}

// SmokeOption gives Smoke the inputs of the capabilities that create
// something, which it calls only when given one.
type SmokeOption func(*smoke)

type smoke struct {
	pageSize        int
	fromPayloads    map[string]json.RawMessage
	bankAccount     *connector.BankAccount
	transfer        *connector.Initiation
	payout          *connector.Initiation
	transferReverse *connector.Reversal
	payoutReverse   *connector.Reversal
}

// WithPageSize sets the page size of the fetches (default 10).
func WithPageSize(n int) SmokeOption { return func(s *smoke) { s.pageSize = n } }

// WithFromPayload gives the parent item (wire JSON) of a child resource;
// by default the first item of its parent task's first page.
func WithFromPayload(resource string, payload json.RawMessage) SmokeOption {
	return func(s *smoke) { s.fromPayloads[resource] = payload }
}

// WithBankAccount calls create:bankAccount with ba.
func WithBankAccount(ba connector.BankAccount) SmokeOption {
	return func(s *smoke) { s.bankAccount = &ba }
}

// WithTransfer calls create:transfer with in (and poll:transfer when it
// returns a polling id).
func WithTransfer(in connector.Initiation) SmokeOption { return func(s *smoke) { s.transfer = &in } }

// WithPayout calls create:payout with in (and poll:payout when it returns a
// polling id).
func WithPayout(in connector.Initiation) SmokeOption { return func(s *smoke) { s.payout = &in } }

// WithTransferReversal calls reverse:transfer with r.
func WithTransferReversal(r connector.Reversal) SmokeOption {
	return func(s *smoke) { s.transferReverse = &r }
}

// WithPayoutReversal calls reverse:payout with r.
func WithPayoutReversal(r connector.Reversal) SmokeOption {
	return func(s *smoke) { s.payoutReverse = &r }
}

// Smoke calls each capability of c once: Install must return tasks of
// resources c can fetch; every fetch resource's first page must come back
// with valid items (each with a reference) and a valid state; the
// capabilities that create something run only with their sample input
// (WithTransfer, ...), the others are logged as skipped. Panics and errors
// fail the test.
func Smoke(t testing.TB, c connector.Connector, opts ...SmokeOption) {
	t.Helper()
	s := &smoke{pageSize: 10, fromPayloads: map[string]json.RawMessage{}}
	for _, o := range opts {
		o(s)
	}
	ctx := context.Background()
	d := driver.Open(c, driver.Opts{Provider: "connector"})
	caps := d.Capabilities()
	if len(caps) == 0 {
		t.Errorf("smoke: the connector has no capability")
	}
	t.Logf("smoke: capabilities %s", strings.Join(caps, ", "))

	var tasks []connector.Task
	if in, ok := c.(connector.Installer); ok {
		var err error
		tasks, err = driver.Call(ctx, driver.Opts{Provider: "connector"}, "install", in.Install)
		if err != nil {
			t.Errorf("smoke: install: %v", err)
		}
		var check func(ts []connector.Task, path string)
		check = func(ts []connector.Task, path string) {
			for _, tk := range ts {
				p := path + tk.Resource
				capability := protocol.FetchCapability(tk.Resource)
				switch {
				case capability == "":
					t.Errorf("smoke: install: task %s: unknown resource %q (want one of %s)", p, tk.Resource, strings.Join(protocol.Resources, ", "))
				case !slices.Contains(caps, capability):
					t.Errorf("smoke: install: task %s: the connector does not implement %s", p, capability)
				}
				check(tk.Next, p+"/")
			}
		}
		check(tasks, "")
		if err == nil && len(tasks) == 0 {
			t.Errorf("smoke: install returned no task")
		}
	}

	firsts := map[string][]json.RawMessage{} // first-page items by resource
	var fetch func(resource string) ([]json.RawMessage, error)
	fetch = func(resource string) ([]json.RawMessage, error) {
		t.Helper()
		if items, ok := firsts[resource]; ok {
			return items, nil
		}
		from, ok := s.fromPayloads[resource]
		if !ok {
			if parent, isChild := connector.ParentResource(tasks, resource); isChild {
				parents, err := fetch(parent)
				if err != nil {
					return nil, fmt.Errorf("its parent %s: %w", parent, err)
				}
				if len(parents) == 0 {
					t.Logf("smoke: fetch:%s skipped: its parent %s has no item", resource, parent)
					return nil, nil
				}
				from = parents[0]
			}
		}
		res, err := driver.Fetch(ctx, d, resource, connector.FetchRequest{FromPayload: from, PageSize: s.pageSize})
		if err != nil {
			return nil, err
		}
		var items []json.RawMessage
		for i, r := range res.Records {
			if r.Ref == "" || strings.HasSuffix(r.Ref, "/") || strings.HasPrefix(r.Ref, "/") {
				t.Errorf("smoke: fetch:%s: item %d has no reference: %s", resource, i, r.JSON)
			}
			items = append(items, r.JSON)
		}
		if len(items) > s.pageSize {
			t.Errorf("smoke: fetch:%s: %d items for a page size of %d", resource, len(items), s.pageSize)
		}
		t.Logf("smoke: fetch:%s: %d items, hasMore %v, state %s", resource, res.Count, res.HasMore, res.NewState)
		firsts[resource] = items
		return items, nil
	}
	for _, r := range protocol.Resources {
		if !slices.Contains(caps, protocol.FetchCapability(r)) {
			continue
		}
		if _, err := fetch(r); err != nil {
			t.Errorf("smoke: fetch:%s: %v", r, err)
		}
	}

	skip := func(capability, option string) {
		if slices.Contains(caps, capability) {
			t.Logf("smoke: %s skipped: pass a sample with %s", capability, option)
		}
	}
	if s.bankAccount != nil {
		if f, ok := c.(connector.BankAccountCreator); ok && slices.Contains(caps, protocol.CapCreateBankAccount) {
			acc, err := driver.Call(ctx, driver.Opts{Provider: "connector"}, "create:bankAccount", func(ctx context.Context) (connector.Account, error) { return f.CreateBankAccount(ctx, *s.bankAccount) })
			if err != nil {
				t.Errorf("smoke: create:bankAccount: %v", err)
			} else if acc.Reference == "" {
				t.Errorf("smoke: create:bankAccount returned an account without a reference")
			}
		} else {
			t.Errorf("smoke: a bank account sample was given but the connector does not implement create:bankAccount")
		}
	} else {
		skip(protocol.CapCreateBankAccount, "WithBankAccount")
	}
	initiate(t, c, caps, "transfer", s.transfer, protocol.CapCreateTransfer, protocol.CapPollTransfer)
	initiate(t, c, caps, "payout", s.payout, protocol.CapCreatePayout, protocol.CapPollPayout)
	reverse(t, c, caps, "transfer", s.transferReverse, protocol.CapReverseTransfer)
	reverse(t, c, caps, "payout", s.payoutReverse, protocol.CapReversePayout)
}

func initiate(t testing.TB, c connector.Connector, caps []string, kind string, in *connector.Initiation, create, poll string) {
	t.Helper()
	ctx := context.Background()
	if in == nil {
		if slices.Contains(caps, create) {
			t.Logf("smoke: %s skipped: pass a sample with With%s", create, strings.ToUpper(kind[:1])+kind[1:])
		}
		return
	}
	var creator func(context.Context, connector.Initiation) (connector.InitiationResult, error)
	var poller func(context.Context, string) (connector.PollResult, error)
	if kind == "transfer" {
		if f, ok := c.(connector.TransferCreator); ok {
			creator = f.CreateTransfer
		}
		if f, ok := c.(connector.TransferPoller); ok {
			poller = f.PollTransfer
		}
	} else {
		if f, ok := c.(connector.PayoutCreator); ok {
			creator = f.CreatePayout
		}
		if f, ok := c.(connector.PayoutPoller); ok {
			poller = f.PollPayout
		}
	}
	if creator == nil || !slices.Contains(caps, create) {
		t.Errorf("smoke: a %s sample was given but the connector does not implement %s", kind, create)
		return
	}
	res, err := driver.Call(ctx, driver.Opts{Provider: "connector"}, create, func(ctx context.Context) (connector.InitiationResult, error) { return creator(ctx, *in) })
	if err != nil {
		t.Errorf("smoke: %s: %v", create, err)
		return
	}
	switch {
	case res.Payment != nil:
		if res.Payment.Reference == "" {
			t.Errorf("smoke: %s returned a payment without a reference", create)
		}
		t.Logf("smoke: %s: payment %s, status %s", create, res.Payment.Reference, res.Payment.Status)
	case res.PollingID != "":
		if poller == nil || !slices.Contains(caps, poll) {
			t.Errorf("smoke: %s returned polling id %q but the connector does not implement %s", create, res.PollingID, poll)
			return
		}
		pr, err := driver.Call(ctx, driver.Opts{Provider: "connector"}, poll, func(ctx context.Context) (connector.PollResult, error) { return poller(ctx, res.PollingID) })
		if err != nil {
			t.Errorf("smoke: %s %q: %v", poll, res.PollingID, err)
			return
		}
		t.Logf("smoke: %s: polling id %s; %s: payment %v, error %q", create, res.PollingID, poll, pr.Payment != nil, pr.Error)
	default:
		t.Errorf("smoke: %s returned neither a payment nor a polling id", create)
	}
}

func reverse(t testing.TB, c connector.Connector, caps []string, kind string, r *connector.Reversal, capability string) {
	t.Helper()
	if r == nil {
		if slices.Contains(caps, capability) {
			t.Logf("smoke: %s skipped: pass a sample with With%sReversal", capability, strings.ToUpper(kind[:1])+kind[1:])
		}
		return
	}
	var fn func(context.Context, connector.Reversal) (connector.Payment, error)
	if f, ok := c.(connector.TransferReverser); ok && kind == "transfer" {
		fn = f.ReverseTransfer
	}
	if f, ok := c.(connector.PayoutReverser); ok && kind == "payout" {
		fn = f.ReversePayout
	}
	if fn == nil || !slices.Contains(caps, capability) {
		t.Errorf("smoke: a %s reversal sample was given but the connector does not implement %s", kind, capability)
		return
	}
	p, err := driver.Call(context.Background(), driver.Opts{Provider: "connector"}, capability, func(ctx context.Context) (connector.Payment, error) { return fn(ctx, *r) })
	if err != nil {
		t.Errorf("smoke: %s: %v", capability, err)
	} else if p.Reference == "" {
		t.Errorf("smoke: %s returned a payment without a reference", capability)
	}
}
