package stripe

import (
	"context"
	"encoding/json"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/connector"
)

// stripe-mock answers from its fixtures: every list holds one object and
// has_more is false; ids of the fixtures are fixed, except that of the
// platform account (GET /v1/account), which it makes up on every call.
const (
	mockConnected   = "acct_1PgafTB7WZ01zgkW"
	mockBankAccount = "ba_1PgagAB7WZ01zgkWr3DySp2Q"
	mockTxn         = "txn_1PgaxNB7WZ01zgkWEV3TLf40"
	mockCreated     = 1234567890
	testKey         = "sk_test_123"
)

// TestStripeMockFetch fetches every resource from stripe-mock, which
// validates each request against Stripe's OpenAPI spec, and checks the
// mapping of its fixtures.
func TestStripeMockFetch(t *testing.T) {
	base := stripeMockURL(t)
	c, rec := open(t, base, testKey)
	ctx := context.Background()

	// Accounts: the platform, then the one connected account.
	page, err := c.FetchAccounts(ctx, connector.FetchRequest{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.HasMore {
		t.Fatalf("accounts page: %d items, hasMore %v; want 2, false", len(page.Items), page.HasMore)
	}
	platform, connected := page.Items[0], page.Items[1]
	if !strings.HasPrefix(platform.Reference, "acct_") || platform.Metadata[metaPlatform] != "true" {
		t.Errorf("platform account = %+v", platform)
	}
	want := connector.Account{
		Reference:    mockConnected,
		CreatedAt:    time.Unix(mockCreated, 0).UTC(),
		Name:         "site@stripe.com",
		DefaultAsset: "USD/2",
		Metadata:     map[string]string{"stripe/country": "US", "stripe/email": "site@stripe.com", "stripe/type": "standard"},
	}
	if diff := cmp.Diff(want, connected, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Raw" }, cmp.Ignore())); diff != "" {
		t.Errorf("connected account (-want +got):\n%s", diff)
	}
	var raw struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(connected.Raw, &raw); err != nil || raw.ID != mockConnected {
		t.Errorf("connected account raw = %.200s (%v)", connected.Raw, err)
	}
	var st accountsState
	mustState(t, page.NewState, &st)
	if diff := cmp.Diff(accountsState{PlatformDone: true, cursor: cursor{LastID: mockConnected, NewestID: mockConnected, CaughtUp: true}}, st,
		cmp.AllowUnexported(accountsState{})); diff != "" {
		t.Errorf("accounts state (-want +got):\n%s", diff)
	}
	if ex := rec.last(t, "GET", "/v1/accounts"); ex.Status != 200 || !strings.Contains(ex.Query, "limit=9") {
		t.Errorf("GET /v1/accounts: %+v", ex)
	}

	// Later syncs ask for what is newer than the newest account seen.
	rec.reset()
	if _, err := c.FetchAccounts(ctx, connector.FetchRequest{PageSize: 10, State: page.NewState}); err != nil {
		t.Fatal(err)
	}
	if ex := rec.last(t, "GET", "/v1/accounts"); ex.Status != 200 || !strings.Contains(ex.Query, "ending_before="+mockConnected) {
		t.Errorf("second GET /v1/accounts: %+v", ex)
	}

	// Balances of the connected account: GET /v1/balance as that account.
	rec.reset()
	bals, err := c.FetchBalances(ctx, connector.FetchRequest{FromPayload: accountPayload(t, connected)})
	if err != nil {
		t.Fatal(err)
	}
	if len(bals.Items) != 1 {
		t.Fatalf("balances: %+v", bals.Items)
	}
	if b := bals.Items[0]; b.AccountReference != mockConnected || b.Asset != "USD/2" || b.Amount.String() != "0" || b.CreatedAt.IsZero() {
		t.Errorf("balance = %+v", b)
	}
	if ex := rec.last(t, "GET", "/v1/balance"); ex.StripeAccount != mockConnected || ex.Status != 200 {
		t.Errorf("GET /v1/balance for a connected account: %+v", ex)
	}
	// ... and of the platform, without Stripe-Account.
	if _, err := c.FetchBalances(ctx, connector.FetchRequest{FromPayload: accountPayload(t, platform)}); err != nil {
		t.Fatal(err)
	}
	if ex := rec.last(t, "GET", "/v1/balance"); ex.StripeAccount != "" || ex.Status != 200 {
		t.Errorf("GET /v1/balance for the platform: %+v", ex)
	}

	// External accounts: the bank accounts of the connected account.
	rec.reset()
	ext, err := c.FetchExternalAccounts(ctx, connector.FetchRequest{FromPayload: accountPayload(t, connected), PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(ext.Items) != 1 || ext.HasMore {
		t.Fatalf("external accounts: %+v", ext)
	}
	wantBA := connector.Account{
		Reference:    mockBankAccount,
		Name:         "Jane Austen",
		DefaultAsset: "USD/2",
		Metadata: map[string]string{
			"stripe/account": mockConnected, "stripe/bankName": "STRIPE TEST BANK", "stripe/last4": "6789",
			"stripe/country": "US", "stripe/routingNumber": "110000000", "stripe/status": "new",
			"stripe/accountHolderType": "company",
		},
	}
	if diff := cmp.Diff(wantBA, ext.Items[0], cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Raw" }, cmp.Ignore())); diff != "" {
		t.Errorf("bank account (-want +got):\n%s", diff)
	}
	ex := rec.last(t, "GET", "/v1/accounts/"+mockConnected+"/external_accounts")
	if q, _ := url.ParseQuery(ex.Query); q.Get("object") != "bank_account" || q.Get("limit") != "5" || ex.StripeAccount != "" || ex.Status != 200 {
		t.Errorf("external accounts request: %+v", ex)
	}
	// The platform's own bank accounts are not in the API: no request.
	rec.reset()
	if p, err := c.FetchExternalAccounts(ctx, connector.FetchRequest{FromPayload: accountPayload(t, platform)}); err != nil || len(p.Items) != 0 {
		t.Errorf("platform external accounts = %+v, %v", p, err)
	}
	if n := len(rec.exchanges()); n != 0 {
		t.Errorf("platform external accounts sent %d requests", n)
	}

	// Payments: the connected account's balance transactions.
	rec.reset()
	pays, err := c.FetchPayments(ctx, connector.FetchRequest{FromPayload: accountPayload(t, connected), PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(pays.Items) != 1 || pays.HasMore {
		t.Fatalf("payments: %+v", pays)
	}
	// The fixture is a charge's balance transaction whose expanded source
	// stripe-mock fills with an application fee: the type comes from the
	// transaction, the status from its "available".
	wantPay := wirePayment{
		Reference: mockTxn, Type: "PAY-IN", Status: "SUCCEEDED", Asset: "USD/2", Amount: "100", Scheme: "other",
		Destination: mockConnected, CreatedAt: time.Unix(mockCreated, 0).UTC(),
		Metadata: map[string]string{
			"stripe/type": "charge", "stripe/status": "available", "stripe/reportingCategory": "charge",
			"stripe/description": "My First Test Charge (created for API docs)", "stripe/fee": "0", "stripe/net": "100",
			"stripe/availableOn": "2009-02-13T23:31:30Z", "stripe/source": "fee_1Pgc6zB7WZ01zgkWOMh2at1m",
		},
	}
	if diff := cmp.Diff(wantPay, wire(pays.Items[0])); diff != "" {
		t.Errorf("payment (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(pays.Items[0].Raw), `"id": "`+mockTxn+`"`) && !strings.Contains(string(pays.Items[0].Raw), `"id":"`+mockTxn+`"`) {
		t.Errorf("payment raw is not the balance transaction: %.300s", pays.Items[0].Raw)
	}
	ex = rec.last(t, "GET", "/v1/balance_transactions")
	q, _ := url.ParseQuery(ex.Query)
	if ex.StripeAccount != mockConnected || ex.Status != 200 || q.Get("limit") != "20" || !strings.Contains(ex.Query, "data.source") {
		t.Errorf("balance transactions request: %+v", ex)
	}
	var pst cursor
	mustState(t, pays.NewState, &pst)
	if pst != (cursor{LastID: mockTxn, NewestID: mockTxn, CaughtUp: true}) {
		t.Errorf("payments state = %+v", pst)
	}
	// The next sync asks ending_before the newest transaction, and
	// stripe-mock accepts that request.
	if _, err := c.FetchPayments(ctx, connector.FetchRequest{FromPayload: accountPayload(t, connected), State: pays.NewState}); err != nil {
		t.Fatal(err)
	}
	if ex := rec.last(t, "GET", "/v1/balance_transactions"); !strings.Contains(ex.Query, "ending_before="+mockTxn) || ex.Status != 200 {
		t.Errorf("second balance transactions request: %+v", ex)
	}
	// Without fromPayload: the platform's transactions, no Stripe-Account.
	if _, err := c.FetchPayments(ctx, connector.FetchRequest{}); err != nil {
		t.Fatal(err)
	}
	if ex := rec.last(t, "GET", "/v1/balance_transactions"); ex.StripeAccount != "" || ex.Status != 200 {
		t.Errorf("platform balance transactions request: %+v", ex)
	}

	// Every request went through the session's HTTP client with the key.
	for _, ex := range rec.exchanges() {
		if ex.Authorization != "Bearer "+testKey {
			t.Errorf("%s %s: Authorization %q", ex.Method, ex.Path, ex.Authorization)
		}
	}
}

func TestStripeMockCreateTransfer(t *testing.T) {
	c, rec := open(t, stripeMockURL(t), testKey)
	res, err := c.CreateTransfer(context.Background(), connector.Initiation{
		Reference:                   "init-tr-1",
		Amount:                      big.NewInt(1000),
		Asset:                       "USD/2",
		DestinationAccountReference: "acct_123",
		Description:                 "rent",
		Metadata:                    map[string]string{"order": "42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payment == nil || res.PollingID != "" {
		t.Fatalf("result = %+v", res)
	}
	got := wire(*res.Payment)
	if !strings.HasPrefix(got.Metadata["stripe/source"], "tr_") {
		t.Errorf("stripe/source = %q, want a transfer id", got.Metadata["stripe/source"])
	}
	delete(got.Metadata, "stripe/source")
	platform, err := c.platform(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := wirePayment{
		Reference: mockTxn, Type: "TRANSFER", Status: "SUCCEEDED", Asset: "USD/2", Amount: "1000", Scheme: "other",
		Source: platform, Destination: "acct_123", CreatedAt: time.Unix(mockCreated, 0).UTC(),
		Metadata: map[string]string{"stripe/type": "transfer"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transfer payment (-want +got):\n%s", diff)
	}
	ex := rec.last(t, "POST", "/v1/transfers")
	form, _ := url.ParseQuery(ex.Body)
	wantForm := url.Values{"amount": {"1000"}, "currency": {"usd"}, "destination": {"acct_123"}, "description": {"rent"}, "metadata[order]": {"42"}}
	if diff := cmp.Diff(wantForm, form); diff != "" || ex.Status != 200 || ex.Idempotency != "init-tr-1" || ex.StripeAccount != "" {
		t.Errorf("POST /v1/transfers %+v; form (-want +got):\n%s", ex, diff)
	}
}

func TestStripeMockCreatePayout(t *testing.T) {
	c, rec := open(t, stripeMockURL(t), testKey)
	res, err := c.CreatePayout(context.Background(), connector.Initiation{
		Reference:                   "init-po-1",
		Amount:                      big.NewInt(5000),
		Asset:                       "USD/2",
		SourceAccountReference:      "acct_connected",
		DestinationAccountReference: "ba_123",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payment == nil {
		t.Fatalf("result = %+v", res)
	}
	got := wire(*res.Payment)
	if !strings.HasPrefix(got.Metadata["stripe/source"], "po_") {
		t.Errorf("stripe/source = %q, want a payout id", got.Metadata["stripe/source"])
	}
	delete(got.Metadata, "stripe/source")
	// stripe-mock's payout fixture is in transit: pending until paid.
	want := wirePayment{
		Reference: mockTxn, Type: "PAYOUT", Status: "PENDING", Asset: "USD/2", Amount: "5000", Scheme: "other",
		Source: "acct_connected", Destination: "ba_123", CreatedAt: time.Unix(mockCreated, 0).UTC(),
		Metadata: map[string]string{"stripe/type": "payout", "stripe/payoutMethod": "standard"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payout payment (-want +got):\n%s", diff)
	}
	ex := rec.last(t, "POST", "/v1/payouts")
	form, _ := url.ParseQuery(ex.Body)
	wantForm := url.Values{"amount": {"5000"}, "currency": {"usd"}, "destination": {"ba_123"}}
	if diff := cmp.Diff(wantForm, form); diff != "" || ex.Status != 200 || ex.Idempotency != "init-po-1" || ex.StripeAccount != "acct_connected" {
		t.Errorf("POST /v1/payouts %+v; form (-want +got):\n%s", ex, diff)
	}
}

// TestStripeMockRejects checks that an API error comes back as a
// connector.Error with the HTTP status: stripe-mock refuses a key that
// does not look like a test key with 401.
func TestStripeMockRejects(t *testing.T) {
	c, rec := open(t, stripeMockURL(t), "not-a-key")
	_, err := c.FetchBalances(context.Background(), connector.FetchRequest{
		FromPayload: json.RawMessage(`{"reference":"acct_x","metadata":{"stripe/platform":"true"}}`),
	})
	if err == nil {
		t.Fatal("no error for a bad key")
	}
	ce := connectorError(t, err)
	if ce.HTTPStatus != 401 || ce.Retryable || !strings.Contains(ce.Message, "invalid_request_error") {
		t.Errorf("error = %+v", ce)
	}
	if n := len(rec.exchanges()); n != 1 {
		t.Errorf("%d requests, want 1 (no retries)", n)
	}
}
