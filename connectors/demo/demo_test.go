package demo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func provider(t testing.TB) *connector.Provider {
	t.Helper()
	p, ok := connector.Default().Lookup("demo")
	if !ok {
		t.Fatal("provider demo not registered")
	}
	return p
}

// testEnv is an Env whose HTTP client is the test's own, so its idle
// connections can be closed before the leak check.
func testEnv(t testing.TB) connector.Env {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	t.Cleanup(hc.CloseIdleConnections)
	return connector.Env{HTTPClient: hc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// setup starts a demo bank on loopback and opens a connector to it.
func setup(t testing.TB, cfg demobank.Config) (*demobank.Bank, *Connector) {
	t.Helper()
	bank := demobank.New(cfg)
	u, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })
	raw, _ := json.Marshal(Config{Endpoint: u, APIKey: bank.APIKey()})
	c, err := provider(t).Open(context.Background(), raw, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	return bank, c.(*Connector)
}

// accountPayload is the fromPayload the daemon hands a child task: the
// protocol Account of the parent.
func accountPayload(t testing.TB, a connector.Account) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(protocol.Account{Reference: a.Reference, CreatedAt: a.CreatedAt, Name: a.Name,
		DefaultAsset: a.DefaultAsset, Metadata: a.Metadata, Raw: a.Raw})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func allAccounts(t *testing.T, c *Connector) []connector.Account {
	t.Helper()
	var out []connector.Account
	var st json.RawMessage
	for {
		page, err := c.FetchAccounts(context.Background(), connector.FetchRequest{State: st, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		st = page.NewState
		if !page.HasMore {
			return out
		}
	}
}

// drain fetches payments until HasMore is false, carrying the state, and
// returns them with the last state.
func drain(t *testing.T, c *Connector, req connector.FetchRequest) ([]connector.Payment, json.RawMessage) {
	t.Helper()
	var out []connector.Payment
	for pages := 0; ; pages++ {
		page, err := c.FetchPayments(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > req.PageSize {
			t.Fatalf("%d items for page size %d", len(page.Items), req.PageSize)
		}
		out = append(out, page.Items...)
		req.State = page.NewState
		if !page.HasMore {
			return out, req.State
		}
		if pages > 10_000 {
			t.Fatal("no end")
		}
	}
}

func TestPaymentsEachOnceAndGrowth(t *testing.T) {
	bank, c := setup(t, demobank.Config{Seed: 11, Accounts: 4, PaymentsPerAccount: 95, ExternalAccounts: 3})
	accounts := allAccounts(t, c)
	if len(accounts) != 4 {
		t.Fatalf("%d accounts", len(accounts))
	}
	for _, tc := range []struct {
		name     string
		payload  json.RawMessage
		pageSize int
		want     int
		grown    int // of the 8 added below, round-robin
	}{
		{"all accounts", nil, 37, 380, 8},
		{"one account", accountPayload(t, accounts[1]), 10, 95, 2},
		{"bank's own account JSON", accounts[2].Raw, 100, 95, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := connector.FetchRequest{FromPayload: tc.payload, PageSize: tc.pageSize}
			got, st := drain(t, c, req)
			if len(got) != tc.want {
				t.Fatalf("got %d payments, want %d", len(got), tc.want)
			}
			seen := map[string]bool{}
			for _, p := range got {
				if seen[p.Reference] {
					t.Fatalf("payment %s seen twice", p.Reference)
				}
				seen[p.Reference] = true
				if p.Amount == nil || p.Amount.Sign() <= 0 || !strings.Contains(p.Asset, "/") || len(p.Raw) == 0 || p.Status == "" {
					t.Fatalf("bad payment %+v", p)
				}
			}

			// Nothing new: the carried state yields an empty last page.
			req.State = st
			if again, _ := drain(t, c, req); len(again) != 0 {
				t.Fatalf("%d payments before growth", len(again))
			}
		})
	}

	// Growth after a full sync is found from the saved state.
	req := connector.FetchRequest{PageSize: 50}
	_, st := drain(t, c, req)
	bank.AddTransactions(8)
	req.State = st
	more, _ := drain(t, c, req)
	if len(more) != 8 {
		t.Fatalf("found %d new payments, want 8", len(more))
	}
}

func TestPaymentMapping(t *testing.T) {
	_, c := setup(t, demobank.Config{Seed: 2, Accounts: 3, PaymentsPerAccount: 200, ExternalAccounts: 2})
	got, _ := drain(t, c, connector.FetchRequest{PageSize: 1000})
	types := map[connector.PaymentType]int{}
	statuses := map[connector.PaymentStatus]int{}
	for _, p := range got {
		types[p.Type]++
		statuses[p.Status]++
		var raw struct {
			ID     string `json:"id"`
			Amount string `json:"amount"`
		}
		if err := json.Unmarshal(p.Raw, &raw); err != nil || raw.ID != p.Reference || raw.Amount != p.Amount.String() {
			t.Fatalf("raw %s does not match %s %s", p.Raw, p.Reference, p.Amount)
		}
		switch p.Type {
		case connector.PaymentTypePayIn:
			if p.DestinationAccountReference == "" || p.SourceAccountReference != "" {
				t.Fatalf("pay-in accounts: %+v", p)
			}
		case connector.PaymentTypePayout:
			if !strings.HasPrefix(p.DestinationAccountReference, "ben_") {
				t.Fatalf("payout destination %q", p.DestinationAccountReference)
			}
		case connector.PaymentTypeTransfer:
			if !strings.HasPrefix(p.DestinationAccountReference, "acc_") || p.SourceAccountReference == "" {
				t.Fatalf("transfer accounts: %+v", p)
			}
		}
	}
	for _, typ := range []connector.PaymentType{connector.PaymentTypePayIn, connector.PaymentTypePayout,
		connector.PaymentTypeTransfer, connector.PaymentTypeOther} {
		if types[typ] == 0 {
			t.Errorf("no payment of type %s in %v", typ, types)
		}
	}
	for _, s := range []connector.PaymentStatus{connector.PaymentStatusSucceeded, connector.PaymentStatusPending, connector.PaymentStatusFailed} {
		if statuses[s] == 0 {
			t.Errorf("no payment with status %s in %v", s, statuses)
		}
	}
}

func TestBalancesAndExternalAccounts(t *testing.T) {
	_, c := setup(t, demobank.Config{Seed: 4, Accounts: 2, PaymentsPerAccount: 5, ExternalAccounts: 5})
	ctx := context.Background()
	accounts := allAccounts(t, c)
	page, err := c.FetchBalances(ctx, connector.FetchRequest{FromPayload: accountPayload(t, accounts[1])})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.HasMore {
		t.Fatalf("balances page %+v", page)
	}
	b := page.Items[0]
	if b.AccountReference != accounts[1].Reference || b.Asset != accounts[1].DefaultAsset || b.Amount.Sign() <= 0 {
		t.Errorf("balance %+v for account %+v", b, accounts[1])
	}
	if _, err := c.FetchBalances(ctx, connector.FetchRequest{}); err == nil {
		t.Error("balances without an account: no error")
	}

	var ext []connector.Account
	var st json.RawMessage
	for {
		page, err := c.FetchExternalAccounts(ctx, connector.FetchRequest{State: st, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		ext = append(ext, page.Items...)
		st = page.NewState
		if !page.HasMore {
			break
		}
	}
	if len(ext) != 5 || !strings.HasPrefix(ext[0].Reference, "ben_") || ext[0].Metadata["demo/iban"] == "" {
		t.Errorf("external accounts %+v", ext)
	}
}

func TestTransferAndPayout(t *testing.T) {
	bank, c := setup(t, demobank.Config{Seed: 6, Accounts: 6, PaymentsPerAccount: 20, ExternalAccounts: 2, PayoutPendingPolls: 1})
	ctx := context.Background()
	accounts := allAccounts(t, c)
	_, st := drain(t, c, connector.FetchRequest{PageSize: 100})

	var src, dst connector.Account
	for _, a := range accounts {
		for _, b := range accounts {
			if a.Reference != b.Reference && a.DefaultAsset == b.DefaultAsset {
				src, dst = a, b
			}
		}
	}
	if src.Reference == "" {
		t.Skip("seed gives no two accounts of one currency")
	}
	res, err := c.CreateTransfer(ctx, connector.Initiation{
		Reference: "tr-1", Amount: big.NewInt(4200), Asset: src.DefaultAsset,
		SourceAccountReference: src.Reference, DestinationAccountReference: dst.Reference,
		Description: "rebalance", Metadata: map[string]string{"ticket": "42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Payment
	if tr == nil || tr.Type != connector.PaymentTypeTransfer || tr.Status != connector.PaymentStatusSucceeded ||
		tr.Amount.Int64() != 4200 || tr.DestinationAccountReference != dst.Reference || tr.Metadata["ticket"] != "42" {
		t.Fatalf("transfer result %+v", res)
	}
	poll, err := c.PollTransfer(ctx, tr.Reference)
	if err != nil || poll.Payment == nil || poll.Payment.Reference != tr.Reference {
		t.Fatalf("poll transfer: %+v %v", poll, err)
	}

	ben := bank.BeneficiaryIDs()[0]
	res, err = c.CreatePayout(ctx, connector.Initiation{
		Reference: "po-1", Amount: big.NewInt(999), Asset: src.DefaultAsset,
		SourceAccountReference: src.Reference, DestinationAccountReference: ben,
	})
	if err != nil || res.PollingID == "" || res.Payment != nil {
		t.Fatalf("payout result %+v %v", res, err)
	}
	var polls []string
	for range 2 {
		r, err := c.PollPayout(ctx, res.PollingID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Payment == nil:
			polls = append(polls, "pending")
		default:
			polls = append(polls, string(r.Payment.Status)+r.Error)
		}
	}
	if diff := cmp.Diff([]string{"pending", "SUCCEEDED"}, polls); diff != "" {
		t.Errorf("payout polls (-want +got):\n%s", diff)
	}

	res, err = c.CreatePayout(ctx, connector.Initiation{
		Amount: big.NewInt(200_000_000), Asset: src.DefaultAsset,
		SourceAccountReference: src.Reference, DestinationAccountReference: ben,
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		poll, err = c.PollPayout(ctx, res.PollingID)
	}
	if err != nil || poll.Error == "" || poll.Payment.Status != connector.PaymentStatusFailed {
		t.Errorf("payout over the limit: %+v %v", poll, err)
	}

	more, _ := drain(t, c, connector.FetchRequest{PageSize: 100, State: st})
	refs := make([]string, len(more))
	for i, p := range more {
		refs[i] = p.Reference
	}
	if len(refs) != 3 || refs[0] != tr.Reference {
		t.Errorf("later fetch found %v, want the transfer then two payouts", refs)
	}

	// A bad initiation is refused with the bank's reason.
	_, err = c.CreateTransfer(ctx, connector.Initiation{Amount: big.NewInt(1), Asset: "XXX/2",
		SourceAccountReference: src.Reference, DestinationAccountReference: dst.Reference})
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.HTTPStatus != 422 || !strings.Contains(ce.Message, "currency_mismatch") {
		t.Errorf("bad currency: %v", err)
	}
}

func TestFaultsSurfaceAsConnectorErrors(t *testing.T) {
	bank, c := setup(t, demobank.Config{Accounts: 1, PaymentsPerAccount: 10})
	for _, tc := range []struct {
		name      string
		faults    demobank.Faults
		status    int
		retryable bool
		contains  string
	}{
		{"rate limited", demobank.Faults{ErrorEvery: 1, ErrorStatus: 429}, 429, true, "rate_limited"},
		{"server error", demobank.Faults{ErrorEvery: 1}, 500, true, "server_error"},
		{"bad gateway", demobank.Faults{ErrorEvery: 1, ErrorStatus: 502}, 502, true, ""},
		{"malformed body", demobank.Faults{MalformedEvery: 1}, 0, true, "malformed response body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bank.SetFaults(tc.faults)
			defer bank.SetFaults(demobank.Faults{})
			_, err := c.FetchPayments(context.Background(), connector.FetchRequest{PageSize: 5})
			var ce *connector.Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *connector.Error, got %T %v", err, err)
			}
			if ce.HTTPStatus != tc.status || ce.Retryable != tc.retryable || !strings.Contains(ce.Error(), tc.contains) {
				t.Errorf("got %+v", ce)
			}
		})
	}

	// A wrong key is a 401 no retry will fix.
	raw, _ := json.Marshal(Config{Endpoint: bank.URL(), APIKey: "wrong"})
	bad, err := provider(t).Open(context.Background(), raw, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.(*Connector).FetchAccounts(context.Background(), connector.FetchRequest{})
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.HTTPStatus != 401 || ce.Retryable {
		t.Errorf("wrong key: %v", err)
	}
}

func TestContextCancelled(t *testing.T) {
	bank, c := setup(t, demobank.Config{Accounts: 1, PaymentsPerAccount: 10})
	bank.SetFaults(demobank.Faults{Latency: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.FetchPayments(ctx, connector.FetchRequest{PageSize: 5})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}
}

func TestInvalidState(t *testing.T) {
	_, c := setup(t, demobank.Config{Accounts: 1, PaymentsPerAccount: 10})
	for _, st := range []string{`"x"`, `{"cursor":5}`, `{"other":"y"}`, `[`} {
		_, err := c.FetchPayments(context.Background(), connector.FetchRequest{State: json.RawMessage(st), PageSize: 5})
		if !errors.Is(err, connector.ErrInvalidState) {
			t.Errorf("state %s: err = %v, want ErrInvalidState", st, err)
		}
	}
	// A cursor the bank does not know is the bank's 400.
	_, err := c.FetchPayments(context.Background(), connector.FetchRequest{State: json.RawMessage(`{"cursor":"nope"}`), PageSize: 5})
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.HTTPStatus != 400 {
		t.Errorf("unknown cursor: %v", err)
	}
}

func TestConfigSchema(t *testing.T) {
	p := provider(t)
	var s struct {
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	if err := json.Unmarshal(p.ConfigSchema(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Properties["apiKey"]["writeOnly"] != true {
		t.Errorf("apiKey is not writeOnly: %s", p.ConfigSchema())
	}
	if len(s.Required) != 0 {
		t.Errorf("required %v: an empty config must open", s.Required)
	}
	want := []string{"fetch:accounts", "fetch:balances", "fetch:externalAccounts", "fetch:payments",
		"fetch:orders", "fetch:conversions", "create:transfer", "poll:transfer", "create:payout", "poll:payout",
		"webhooks:create", "webhooks:trim", "webhooks:verify", "webhooks:translate"}
	if diff := cmp.Diff(want, p.Capabilities()); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	if p.Info.DefaultPageSize != 100 {
		t.Errorf("default page size %d", p.Info.DefaultPageSize)
	}
	if got := string(p.RedactConfig(json.RawMessage(`{"apiKey":"sk_1","endpoint":"http://127.0.0.1:1"}`))); !strings.Contains(got, `"apiKey":"***"`) {
		t.Errorf("redacted %s", got)
	}

	for _, tc := range []struct {
		name, config string
		ok           bool
	}{
		{"empty", `{}`, true},
		{"sized", `{"accounts":2,"paymentsPerAccount":10,"externalAccounts":0,"seed":3}`, true},
		{"negative accounts", `{"accounts":-1}`, false},
		{"unknown field", `{"nope":1}`, false},
		{"endpoint without key", `{"endpoint":"http://127.0.0.1:1"}`, false},
		{"endpoint not http", `{"endpoint":"ftp://127.0.0.1","apiKey":"k"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := p.Open(context.Background(), json.RawMessage(tc.config), testEnv(t))
			if (err == nil) != tc.ok {
				t.Fatalf("Open(%s) err = %v", tc.config, err)
			}
			if err == nil {
				if err := c.(io.Closer).Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestEmbeddedBank(t *testing.T) {
	c, err := provider(t).Open(context.Background(), json.RawMessage(`{"accounts":3,"paymentsPerAccount":7}`), testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	conn := c.(*Connector)
	accounts := allAccounts(t, conn)
	if !strings.HasPrefix(conn.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("endpoint %s", conn.Endpoint())
	}
	got, _ := drain(t, conn, connector.FetchRequest{PageSize: 100})
	if len(accounts) != 3 || len(got) != 21 {
		t.Errorf("%d accounts, %d payments", len(accounts), len(got))
	}
	ext, err := conn.FetchExternalAccounts(context.Background(), connector.FetchRequest{PageSize: 100})
	if err != nil || len(ext.Items) != DefaultExternalAccounts {
		t.Errorf("external accounts %d, %v", len(ext.Items), err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.FetchAccounts(context.Background(), connector.FetchRequest{}); err == nil {
		t.Error("fetch after Close succeeded")
	}
}

func TestInstall(t *testing.T) {
	_, c := setup(t, demobank.Config{})
	tasks, err := c.Install(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []connector.Task{
		{Resource: "accounts", Periodically: true, Next: []connector.Task{
			{Resource: "balances", Periodically: true},
			{Resource: "payments", Periodically: true},
		}},
		{Resource: "externalAccounts", Periodically: true},
		{Resource: "orders", Periodically: true},
		{Resource: "conversions", Periodically: true},
	}
	if diff := cmp.Diff(want, tasks); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
}

// BenchmarkFetchPayments100 fetches one 100-payment page of a 1M-payment
// bank straight through the connector, walking forward with the state: the
// "direct connector call" baseline for the daemon's benchmarks.
func BenchmarkFetchPayments100(b *testing.B) {
	_, c := setup(b, demobank.Config{Seed: 1, Accounts: 100, PaymentsPerAccount: 10_000})
	ctx := context.Background()
	req := connector.FetchRequest{PageSize: 100}
	b.ReportAllocs()
	for b.Loop() {
		page, err := c.FetchPayments(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Items) != 100 {
			b.Fatalf("%d items", len(page.Items))
		}
		req.State = page.NewState
	}
}
