package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/connector"
)

// fakeStripe serves the endpoints the connector lists with Stripe's
// pagination: lists newest first, limit (default 10, at most 100),
// starting_after=ID for the objects older than ID, ending_before=ID for
// the objects just newer than ID (the closest ones, still newest first),
// has_more, and 404 for an unknown cursor. Objects have the shapes Stripe
// answers with (recorded from its API reference and stripe-mock).
type fakeStripe struct {
	t        *testing.T
	srv      *httptest.Server
	requests atomic.Int64

	mu       sync.Mutex
	platform string
	accounts fakeList             // connected accounts
	banks    map[string]*fakeList // per connected account
	txns     map[string]*fakeList // per account id
	balances map[string]string    // per account id: the /v1/balance body
	fail     map[string]fakeFailure
	seq      int
}

type fakeFailure struct {
	status int
	body   string
}

// fakeList holds objects oldest first.
type fakeList struct {
	ids   []string
	items []json.RawMessage
}

func (l *fakeList) add(id string, obj json.RawMessage) {
	l.ids = append(l.ids, id)
	l.items = append(l.items, obj)
}

// page answers one list request.
func (l *fakeList) page(q url.Values) (data []json.RawMessage, hasMore bool, status int, msg string) {
	limit := 10
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return nil, false, 400, "limit must be between 1 and 100"
		}
		limit = n
	}
	after, before := q.Get("starting_after"), q.Get("ending_before")
	if after != "" && before != "" {
		return nil, false, 400, "starting_after and ending_before are exclusive"
	}
	n := len(l.ids)
	pick := func(lo, hi int) []json.RawMessage { // l.items[lo:hi], newest first
		out := slices.Clone(l.items[lo:hi])
		slices.Reverse(out)
		return out
	}
	switch {
	case after != "":
		pos := slices.Index(l.ids, after)
		if pos < 0 {
			return nil, false, 404, "No such object: " + after
		}
		lo := max(pos-limit, 0)
		return pick(lo, pos), lo > 0, 200, ""
	case before != "":
		pos := slices.Index(l.ids, before)
		if pos < 0 {
			return nil, false, 404, "No such object: " + before
		}
		hi := min(pos+1+limit, n)
		return pick(pos+1, hi), hi < n, 200, ""
	}
	lo := max(n-limit, 0)
	return pick(lo, n), lo > 0, 200, ""
}

func newFakeStripe(t *testing.T) *fakeStripe {
	f := &fakeStripe{
		t:        t,
		platform: "acct_platform",
		banks:    map[string]*fakeList{},
		txns:     map[string]*fakeList{},
		balances: map[string]string{},
		fail:     map[string]fakeFailure{},
	}
	// httptest listens on 127.0.0.1.
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeStripe) url() string { return f.srv.URL }

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func stripeError(typ, msg string) string {
	raw, _ := json.Marshal(map[string]any{"error": map[string]string{"type": typ, "message": msg}})
	return string(raw)
}

func (f *fakeStripe) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+fakeKey {
		writeJSON(w, 401, stripeError("invalid_request_error", "Invalid API Key provided"))
		return
	}
	if fl, ok := f.fail[r.Method+" "+r.URL.Path]; ok {
		writeJSON(w, fl.status, fl.body)
		return
	}
	acct := r.Header.Get("Stripe-Account")
	if acct == "" {
		acct = f.platform
	}
	list := func(l *fakeList, path string) {
		if l == nil {
			l = &fakeList{}
		}
		data, more, status, msg := l.page(r.URL.Query())
		if status != 200 {
			writeJSON(w, status, stripeError("invalid_request_error", msg))
			return
		}
		raw, _ := json.Marshal(map[string]any{"object": "list", "url": path, "has_more": more, "data": data})
		writeJSON(w, 200, string(raw))
	}
	switch p := r.URL.Path; {
	case r.Method == "GET" && p == "/v1/account":
		writeJSON(w, 200, fmt.Sprintf(`{"id":%q,"object":"account","created":1700000000,"country":"FR","default_currency":"eur","email":"ops@platform.test","business_profile":{"name":"The Platform"},"metadata":{}}`, f.platform))
	case r.Method == "GET" && p == "/v1/accounts":
		list(&f.accounts, p)
	case r.Method == "GET" && strings.HasPrefix(p, "/v1/accounts/") && strings.HasSuffix(p, "/external_accounts"):
		if r.URL.Query().Get("object") != "bank_account" {
			writeJSON(w, 400, stripeError("invalid_request_error", "object=bank_account expected by this fake"))
			return
		}
		list(f.banks[strings.TrimSuffix(strings.TrimPrefix(p, "/v1/accounts/"), "/external_accounts")], p)
	case r.Method == "GET" && p == "/v1/balance":
		body, ok := f.balances[acct]
		if !ok {
			body = `{"object":"balance","livemode":false,"available":[],"pending":[]}`
		}
		writeJSON(w, 200, body)
	case r.Method == "GET" && p == "/v1/balance_transactions":
		if !slices.Contains(r.URL.Query()["expand[0]"], "data.source") && !slices.Contains(r.URL.Query()["expand[]"], "data.source") {
			writeJSON(w, 400, stripeError("invalid_request_error", "expand data.source expected by this fake"))
			return
		}
		list(f.txns[acct], p)
	default:
		writeJSON(w, 404, stripeError("invalid_request_error", "Unrecognized request URL ("+r.Method+": "+p+")"))
	}
}

// addAccounts appends n connected accounts (newer than every other).
func (f *fakeStripe) addAccounts(n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for range n {
		f.seq++
		id := fmt.Sprintf("acct_%04d", f.seq)
		f.accounts.add(id, json.RawMessage(fmt.Sprintf(`{"id":%q,"object":"account","type":"express","created":%d,"country":"DE","default_currency":"eur","email":"%s@example.test","business_profile":{"name":null},"metadata":{"n":"%d"}}`,
			id, 1700000000+f.seq, id, f.seq)))
		ids = append(ids, id)
	}
	return ids
}

// addBanks appends n bank accounts to account.
func (f *fakeStripe) addBanks(account string, n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.banks[account]
	if l == nil {
		l = &fakeList{}
		f.banks[account] = l
	}
	var ids []string
	for range n {
		f.seq++
		id := fmt.Sprintf("ba_%04d", f.seq)
		l.add(id, json.RawMessage(fmt.Sprintf(`{"id":%q,"object":"bank_account","account":%q,"account_holder_name":null,"bank_name":"TEST BANK","country":"DE","currency":"eur","last4":"%04d","status":"new","metadata":{}}`,
			id, account, f.seq)))
		ids = append(ids, id)
	}
	return ids
}

// addTxns appends n balance transactions to account, cycling through
// charges, refunds, payouts, transfers and fees.
func (f *fakeStripe) addTxns(account string, n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.txns[account]
	if l == nil {
		l = &fakeList{}
		f.txns[account] = l
	}
	var ids []string
	for range n {
		f.seq++
		id := fmt.Sprintf("txn_%04d", f.seq)
		l.add(id, txnJSON(id, f.seq))
		ids = append(ids, id)
	}
	return ids
}

func txnJSON(id string, seq int) json.RawMessage {
	created := 1700000000 + seq
	amount := 100 * seq
	var typ, src string
	switch seq % 5 {
	case 0:
		typ, src = "charge", fmt.Sprintf(`{"id":"ch_%d","object":"charge","amount":%d,"amount_refunded":0,"currency":"eur","status":"succeeded","refunded":false,"disputed":false,"payment_method_details":{"type":"card","card":{"brand":"visa"}},"metadata":{}}`, seq, amount)
	case 1:
		typ, src = "refund", fmt.Sprintf(`{"id":"re_%d","object":"refund","amount":%d,"currency":"eur","status":"succeeded","charge":"ch_%d","metadata":{}}`, seq, amount, seq-1)
		amount = -amount
	case 2:
		typ, src = "payout", fmt.Sprintf(`{"id":"po_%d","object":"payout","amount":%d,"currency":"eur","status":"paid","destination":"ba_dest","method":"standard","metadata":{}}`, seq, amount)
		amount = -amount
	case 3:
		typ, src = "transfer", fmt.Sprintf(`{"id":"tr_%d","object":"transfer","amount":%d,"currency":"eur","destination":"acct_dest","reversed":false,"metadata":{}}`, seq, amount)
		amount = -amount
	default:
		typ, src = "stripe_fee", `null`
		amount = -15
	}
	return json.RawMessage(fmt.Sprintf(`{"id":%q,"object":"balance_transaction","amount":%d,"available_on":%d,"created":%d,"currency":"eur","description":null,"exchange_rate":null,"fee":0,"fee_details":[],"net":%d,"reporting_category":%q,"source":%s,"status":"available","type":%q}`,
		id, amount, created, created, amount, typ, src, typ))
}

const fakeKey = "sk_test_fake_0123456789"

// walk fetches pages until hasMore is false (at most 100 pages) and
// returns the references in order, the pages' sizes and the last state.
func walk[T any](t *testing.T, fetch func(connector.FetchRequest) (connector.Page[T], error), ref func(T) string,
	req connector.FetchRequest) ([]string, []int, json.RawMessage) {
	t.Helper()
	var refs []string
	var sizes []int
	for range 100 {
		page, err := fetch(req)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			refs = append(refs, ref(it))
		}
		sizes = append(sizes, len(page.Items))
		req.State = page.NewState
		if !page.HasMore {
			return refs, sizes, req.State
		}
	}
	t.Fatal("no end after 100 pages")
	return nil, nil, nil
}

func newestFirst(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// TestPaymentsPagesAndIncremental walks more balance transactions than a
// page, then checks that later syncs return only what was added.
func TestPaymentsPagesAndIncremental(t *testing.T) {
	f := newFakeStripe(t)
	c, rec := open(t, f.url(), fakeKey)
	ctx := context.Background()
	const acct = "acct_0001"
	payload := json.RawMessage(`{"reference":"acct_0001","metadata":{}}`)
	fetch := func(req connector.FetchRequest) (connector.Page[connector.Payment], error) {
		req.FromPayload = payload
		return c.FetchPayments(ctx, req)
	}
	ref := func(p connector.Payment) string { return p.Reference }

	first := f.addTxns(acct, 23)
	got, sizes, st := walk(t, fetch, ref, connector.FetchRequest{PageSize: 5})
	if diff := cmp.Diff(newestFirst(first), got); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{5, 5, 5, 5, 3}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	var cur cursor
	mustState(t, st, &cur)
	if want := (cursor{LastID: first[0], NewestID: first[22], CaughtUp: true}); cur != want {
		t.Errorf("state after the first sync = %+v, want %+v", cur, want)
	}

	// Nothing new: one empty page.
	got, _, st2 := walk(t, fetch, ref, connector.FetchRequest{PageSize: 5, State: st})
	if len(got) != 0 || string(st2) != string(st) {
		t.Errorf("sync with nothing new: %v, state %s", got, st2)
	}

	// New transactions: only they come back, oldest first, over pages.
	added := f.addTxns(acct, 12)
	got, sizes, st = walk(t, fetch, ref, connector.FetchRequest{PageSize: 5, State: st})
	if diff := cmp.Diff(added, got); diff != "" {
		t.Errorf("second sync (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{5, 5, 2}, sizes); diff != "" {
		t.Errorf("second sync page sizes (-want +got):\n%s", diff)
	}
	mustState(t, st, &cur)
	if cur.NewestID != added[11] || !cur.CaughtUp {
		t.Errorf("state after the second sync = %+v", cur)
	}

	// Objects created while the first walk is under way are not lost:
	// they are newer than the newest id it remembered.
	const acct2 = "acct_0002"
	payload2 := json.RawMessage(`{"reference":"acct_0002"}`)
	old := f.addTxns(acct2, 7)
	p1, err := c.FetchPayments(ctx, connector.FetchRequest{FromPayload: payload2, PageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	during := f.addTxns(acct2, 3)
	seen := make(map[string]int)
	for _, p := range p1.Items {
		seen[p.Reference]++
	}
	fetch2 := func(req connector.FetchRequest) (connector.Page[connector.Payment], error) {
		return c.FetchPayments(ctx, req)
	}
	rest, _, st := walk(t, fetch2, ref, connector.FetchRequest{FromPayload: payload2, PageSize: 4, State: p1.NewState})
	for _, r := range rest {
		seen[r]++
	}
	later, _, _ := walk(t, fetch2, ref, connector.FetchRequest{FromPayload: payload2, PageSize: 4, State: st})
	for _, r := range later {
		seen[r]++
	}
	for _, id := range append(append([]string(nil), old...), during...) {
		if seen[id] != 1 {
			t.Errorf("%s seen %d times over the two syncs", id, seen[id])
		}
	}
	if len(seen) != len(old)+len(during) {
		t.Errorf("saw %d transactions, want %d", len(seen), len(old)+len(during))
	}

	// Every request went through the session's client, with the key, and
	// as the connected account.
	checkCaptured(t, f, rec)
	for _, ex := range rec.exchanges() {
		if ex.Path == "/v1/balance_transactions" && ex.StripeAccount == "" {
			t.Errorf("balance transactions of a connected account without Stripe-Account: %+v", ex)
		}
	}
}

// checkCaptured asserts that the fake saw exactly the requests the
// recording transport saw, all to the fake and with the key.
func checkCaptured(t *testing.T, f *fakeStripe, rec *recorder) {
	t.Helper()
	ex := rec.exchanges()
	if got := f.requests.Load(); got != int64(len(ex)) || got == 0 {
		t.Errorf("the fake served %d requests, the session's transport saw %d", got, len(ex))
	}
	host := strings.TrimPrefix(f.url(), "http://")
	for _, e := range ex {
		if e.Host != host || e.Authorization != "Bearer "+fakeKey {
			t.Errorf("request %s %s to %s with Authorization %q", e.Method, e.Path, e.Host, e.Authorization)
		}
	}
}

func TestAccountsPagesAndIncremental(t *testing.T) {
	f := newFakeStripe(t)
	c, rec := open(t, f.url(), fakeKey)
	ctx := context.Background()
	fetch := func(req connector.FetchRequest) (connector.Page[connector.Account], error) {
		return c.FetchAccounts(ctx, req)
	}
	ref := func(a connector.Account) string { return a.Reference }

	first := f.addAccounts(7)
	got, sizes, st := walk(t, fetch, ref, connector.FetchRequest{PageSize: 3})
	if diff := cmp.Diff(append([]string{"acct_platform"}, newestFirst(first)...), got); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}
	// The platform and two connected accounts, then three by three.
	if diff := cmp.Diff([]int{3, 3, 2}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	var as accountsState
	mustState(t, st, &as)
	if !as.PlatformDone || !as.CaughtUp || as.LastID != first[0] || as.NewestID != first[6] {
		t.Errorf("state = %s", st)
	}

	added := f.addAccounts(2)
	got, _, _ = walk(t, fetch, ref, connector.FetchRequest{PageSize: 3, State: st})
	if diff := cmp.Diff(added, got); diff != "" {
		t.Errorf("second sync: only the new accounts (-want +got):\n%s", diff)
	}

	// A page size of one holds the platform alone.
	page, err := c.FetchAccounts(ctx, connector.FetchRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Reference != "acct_platform" || !page.HasMore {
		t.Errorf("page of one: %+v", page)
	}
	want := connector.Account{
		Reference: "acct_platform", CreatedAt: unixTime(1700000000), Name: "The Platform", DefaultAsset: "EUR/2",
		Metadata: map[string]string{metaPlatform: "true", "stripe/country": "FR", "stripe/email": "ops@platform.test"},
	}
	if diff := cmp.Diff(want, page.Items[0], cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Raw" }, cmp.Ignore())); diff != "" {
		t.Errorf("platform account (-want +got):\n%s", diff)
	}
	checkCaptured(t, f, rec)
}

func TestExternalAccountsPages(t *testing.T) {
	f := newFakeStripe(t)
	c, rec := open(t, f.url(), fakeKey)
	ctx := context.Background()
	payload := json.RawMessage(`{"reference":"acct_0042","metadata":{}}`)
	fetch := func(req connector.FetchRequest) (connector.Page[connector.Account], error) {
		req.FromPayload = payload
		return c.FetchExternalAccounts(ctx, req)
	}
	ref := func(a connector.Account) string { return a.Reference }
	first := f.addBanks("acct_0042", 5)
	f.addBanks("acct_other", 2)
	got, sizes, st := walk(t, fetch, ref, connector.FetchRequest{PageSize: 2})
	if diff := cmp.Diff(newestFirst(first), got); diff != "" {
		t.Errorf("bank accounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 2, 1}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	added := f.addBanks("acct_0042", 1)
	got, _, _ = walk(t, fetch, ref, connector.FetchRequest{PageSize: 2, State: st})
	if diff := cmp.Diff(added, got); diff != "" {
		t.Errorf("second sync (-want +got):\n%s", diff)
	}
	page, err := fetch(connector.FetchRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if a := page.Items[0]; a.Name != "TEST BANK ****"+strings.TrimPrefix(added[0], "ba_") || a.DefaultAsset != "EUR/2" || a.Metadata["stripe/account"] != "acct_0042" {
		t.Errorf("bank account = %+v", a)
	}
	for _, ex := range rec.exchanges() {
		if ex.StripeAccount != "" {
			t.Errorf("the platform reads bank accounts without Stripe-Account: %+v", ex)
		}
	}
	checkCaptured(t, f, rec)

	if _, err := c.FetchExternalAccounts(ctx, connector.FetchRequest{}); err == nil {
		t.Error("external accounts without fromPayload: no error")
	}
}

func TestBalancesMapping(t *testing.T) {
	f := newFakeStripe(t)
	f.balances["acct_jp"] = `{"object":"balance","livemode":false,
		"available":[{"amount":120000,"currency":"jpy","source_types":{"card":120000}},{"amount":-2500,"currency":"usd"},{"amount":1234567,"currency":"kwd"}],
		"pending":[{"amount":999,"currency":"jpy"}]}`
	f.balances["acct_platform"] = `{"object":"balance","available":[{"amount":42,"currency":"eur"}],"pending":[]}`
	c, rec := open(t, f.url(), fakeKey)
	ctx := context.Background()

	page, err := c.FetchBalances(ctx, connector.FetchRequest{FromPayload: json.RawMessage(`{"reference":"acct_jp","metadata":{}}`)})
	if err != nil {
		t.Fatal(err)
	}
	type bal struct{ Account, Asset, Amount string }
	var got []bal
	for _, b := range page.Items {
		got = append(got, bal{b.AccountReference, b.Asset, b.Amount.String()})
	}
	want := []bal{{"acct_jp", "JPY/0", "120000"}, {"acct_jp", "KWD/3", "1234567"}, {"acct_jp", "USD/2", "-2500"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	if ex := rec.last(t, "GET", "/v1/balance"); ex.StripeAccount != "acct_jp" {
		t.Errorf("GET /v1/balance: %+v", ex)
	}

	// No fromPayload: the platform's balance, learnt from GET /v1/account,
	// without Stripe-Account.
	page, err = c.FetchBalances(ctx, connector.FetchRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].AccountReference != "acct_platform" || page.Items[0].Asset != "EUR/2" {
		t.Errorf("platform balances = %+v", page.Items)
	}
	if ex := rec.last(t, "GET", "/v1/balance"); ex.StripeAccount != "" {
		t.Errorf("platform GET /v1/balance: %+v", ex)
	}
	checkCaptured(t, f, rec)
}

// TestErrors checks how Stripe's errors reach the daemon: the status,
// whether to retry, and no retry of the connector's own.
func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		retryable bool
		message   string
	}{
		{"bad request", 400, stripeError("invalid_request_error", "No such account: 'acct_x'"), false, "invalid_request_error: No such account"},
		{"unauthorized", 401, stripeError("invalid_request_error", "Invalid API Key provided"), false, "Invalid API Key"},
		{"rate limited", 429, stripeError("rate_limit_error", "Too many requests"), true, "rate_limit_error"},
		{"server error", 500, stripeError("api_error", "Something went wrong"), true, "api_error"},
		{"unavailable", 503, stripeError("api_error", "Try again"), true, "Try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeStripe(t)
			f.fail["GET /v1/balance_transactions"] = fakeFailure{tt.status, tt.body}
			c, rec := open(t, f.url(), fakeKey)
			_, err := c.FetchPayments(context.Background(), connector.FetchRequest{FromPayload: json.RawMessage(`{"reference":"acct_1"}`)})
			ce := connectorError(t, err)
			if ce.HTTPStatus != tt.status || ce.Retryable != tt.retryable || !strings.Contains(ce.Message, tt.message) {
				t.Errorf("error = %+v", ce)
			}
			n := 0
			for _, ex := range rec.exchanges() {
				if ex.Path == "/v1/balance_transactions" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d requests, want 1: the daemon decides on retries", n)
			}
		})
	}

	t.Run("transport", func(t *testing.T) {
		f := newFakeStripe(t)
		base := f.url()
		f.srv.Close()
		c, _ := open(t, base, fakeKey)
		_, err := c.FetchBalances(context.Background(), connector.FetchRequest{FromPayload: json.RawMessage(`{"reference":"acct_1"}`)})
		if ce := connectorError(t, err); ce.HTTPStatus != 0 || !ce.Retryable {
			t.Errorf("error = %+v", ce)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		f := newFakeStripe(t)
		c, _ := open(t, f.url(), fakeKey)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.FetchPayments(ctx, connector.FetchRequest{FromPayload: json.RawMessage(`{"reference":"acct_1"}`)})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})

	t.Run("invalid state", func(t *testing.T) {
		f := newFakeStripe(t)
		c, rec := open(t, f.url(), fakeKey)
		for _, st := range []string{`{"cursor":"x"}`, `[1]`, `{"lastId":7}`} {
			_, err := c.FetchPayments(context.Background(), connector.FetchRequest{State: json.RawMessage(st), FromPayload: json.RawMessage(`{"reference":"acct_1"}`)})
			if !errors.Is(err, connector.ErrInvalidState) {
				t.Errorf("state %s: error %v, want ErrInvalidState", st, err)
			}
		}
		if len(rec.exchanges()) != 0 {
			t.Errorf("a bad state sent requests")
		}
	})
}

func TestInitiationRefusedBeforeStripe(t *testing.T) {
	f := newFakeStripe(t)
	c, rec := open(t, f.url(), fakeKey)
	tests := []struct {
		name string
		in   connector.Initiation
		want string
	}{
		{"no amount", connector.Initiation{Asset: "USD/2", DestinationAccountReference: "acct_1"}, "amount"},
		{"negative", connector.Initiation{Amount: bigInt("-5"), Asset: "USD/2", DestinationAccountReference: "acct_1"}, "amount"},
		{"too big", connector.Initiation{Amount: bigInt("99999999999999999999"), Asset: "USD/2", DestinationAccountReference: "acct_1"}, "64 bits"},
		{"yen with cents", connector.Initiation{Amount: bigInt("100"), Asset: "JPY/2", DestinationAccountReference: "acct_1"}, "use JPY/0"},
		{"not an asset", connector.Initiation{Amount: bigInt("100"), Asset: "dollars", DestinationAccountReference: "acct_1"}, "CODE/DECIMALS"},
		{"no destination", connector.Initiation{Amount: bigInt("100"), Asset: "USD/2"}, "destinationAccountReference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateTransfer(context.Background(), tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	if n := len(rec.exchanges()); n != 0 {
		t.Errorf("refused initiations sent %d requests", n)
	}
}

func TestConfig(t *testing.T) {
	p := provider(t)
	var schema struct {
		Required   []string                  `json:"required"`
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(p.ConfigSchema(), &schema); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(schema.Required, "apiKey") || schema.Properties["apiKey"]["writeOnly"] != true {
		t.Errorf("schema = %s", p.ConfigSchema())
	}
	if _, ok := schema.Properties["endpoint"]; !ok || slices.Contains(schema.Required, "endpoint") {
		t.Errorf("endpoint is not an optional property: %s", p.ConfigSchema())
	}
	if got := string(p.RedactConfig(json.RawMessage(`{"apiKey":"sk_live_x","endpoint":"http://127.0.0.1:1"}`))); strings.Contains(got, "sk_live_x") {
		t.Errorf("redacted config = %s", got)
	}
	ctx := context.Background()
	var ce *connector.ConfigError
	if _, err := p.Open(ctx, json.RawMessage(`{}`), connector.Env{}); !errors.As(err, &ce) || ce.Fields[0].Field != "apiKey" {
		t.Errorf("open without apiKey: %v", err)
	}
	if _, err := p.Open(ctx, json.RawMessage(`{"apiKey":"sk_test_1","endpoint":"ftp://x"}`), connector.Env{}); !errors.As(err, &ce) {
		t.Errorf("open with an ftp endpoint: %v", err)
	}
	c, err := p.Open(ctx, json.RawMessage(`{"apiKey":"sk_test_1"}`), connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	caps := connector.Capabilities(c)
	want := []string{"fetch:accounts", "fetch:balances", "fetch:externalAccounts", "fetch:payments", "create:transfer", "create:payout",
		"webhooks:create", "webhooks:verify", "webhooks:translate"}
	if diff := cmp.Diff(want, caps); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	tasks, err := c.(connector.Installer).Install(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantTasks := []connector.Task{{Resource: "accounts", Periodically: true, Next: []connector.Task{
		{Resource: "balances", Periodically: true},
		{Resource: "externalAccounts", Periodically: true},
		{Resource: "payments", Periodically: true},
	}}}
	if diff := cmp.Diff(wantTasks, tasks); diff != "" {
		t.Errorf("install (-want +got):\n%s", diff)
	}
}
