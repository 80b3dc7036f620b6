package demobank

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// client talks to a started bank over real loopback HTTP.
type client struct {
	base string
	key  string
	hc   *http.Client
}

// startBank starts b on loopback and stops it, and the client's idle
// connections, when the test ends.
func startBank(t testing.TB, cfg Config) (*Bank, *client) {
	t.Helper()
	b := New(cfg)
	u, err := b.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b, &client{base: u, key: b.APIKey(), hc: hc}
}

func (c *client) do(t testing.TB, method, path string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch body := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(body)
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func (c *client) getOK(t testing.TB, path string, into any) {
	t.Helper()
	status, raw := c.do(t, "GET", path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, raw)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, raw)
	}
}

type txJSON struct {
	ID                   string            `json:"id"`
	AccountID            string            `json:"account_id"`
	CreatedAt            time.Time         `json:"created_at"`
	Type                 string            `json:"type"`
	Status               string            `json:"status"`
	Amount               string            `json:"amount"`
	Currency             string            `json:"currency"`
	Decimals             int               `json:"decimals"`
	Reference            string            `json:"reference"`
	Description          string            `json:"description"`
	DestinationAccountID string            `json:"destination_account_id"`
	BeneficiaryID        string            `json:"beneficiary_id"`
	FailureReason        string            `json:"failure_reason"`
	Metadata             map[string]string `json:"metadata"`
}

type listJSON[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

// walk pages through path from cursor and returns every item and the last
// cursor.
func walk[T any](t testing.TB, c *client, path string, limit int, cursor string) ([]T, string, int) {
	t.Helper()
	var all []T
	pages := 0
	for {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page listJSON[T]
		c.getOK(t, path+"?"+q.Encode(), &page)
		pages++
		if len(page.Data) > limit {
			t.Fatalf("page of %d items for limit %d", len(page.Data), limit)
		}
		all = append(all, page.Data...)
		if page.NextCursor != "" {
			cursor = page.NextCursor
		}
		if !page.HasMore {
			return all, cursor, pages
		}
		if len(page.Data) == 0 {
			t.Fatal("empty page with has_more")
		}
	}
}

func checkOrderedUnique(t *testing.T, txs []txJSON) {
	t.Helper()
	seen := map[string]bool{}
	for i, x := range txs {
		if seen[x.ID] {
			t.Fatalf("transaction %s seen twice", x.ID)
		}
		seen[x.ID] = true
		if i > 0 {
			p := txs[i-1]
			if x.CreatedAt.Before(p.CreatedAt) || (x.CreatedAt.Equal(p.CreatedAt) && x.ID <= p.ID) {
				t.Fatalf("out of order at %d: %s %s after %s %s", i, x.CreatedAt, x.ID, p.CreatedAt, p.ID)
			}
		}
	}
}

func TestPaginationWalksEveryItemOnce(t *testing.T) {
	b, c := startBank(t, Config{Seed: 7, Accounts: 4, PaymentsPerAccount: 53, ExternalAccounts: 3})
	for _, tc := range []struct {
		name  string
		path  string
		limit int
		want  int
		pages int
	}{
		{"global by 10", "/v1/transactions", 10, 212, 22},
		{"global by 1000", "/v1/transactions", 1000, 212, 1},
		{"global exact multiple", "/v1/transactions", 53, 212, 4},
		{"account by 7", "/v1/accounts/" + b.AccountIDs()[2] + "/transactions", 7, 53, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			txs, _, pages := walk[txJSON](t, c, tc.path, tc.limit, "")
			if len(txs) != tc.want || pages != tc.pages {
				t.Fatalf("got %d items in %d pages, want %d in %d", len(txs), pages, tc.want, tc.pages)
			}
			checkOrderedUnique(t, txs)
		})
	}

	accs, _, _ := walk[struct{ ID string }](t, c, "/v1/accounts", 3, "")
	if diff := cmp.Diff(b.AccountIDs(), ids(accs)); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	bens, _, _ := walk[struct{ ID string }](t, c, "/v1/beneficiaries", 2, "")
	if diff := cmp.Diff(b.BeneficiaryIDs(), ids(bens)); diff != "" {
		t.Errorf("beneficiaries (-want +got):\n%s", diff)
	}
}

func ids(items []struct{ ID string }) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = x.ID
	}
	return out
}

func TestGlobalListingIsUnionOfAccounts(t *testing.T) {
	b, c := startBank(t, Config{Seed: 3, Accounts: 5, PaymentsPerAccount: 40, ExternalAccounts: 2, CreatedAtSpread: time.Second})
	global, _, _ := walk[txJSON](t, c, "/v1/transactions", 17, "")
	var perAccount int
	want := map[string]bool{}
	for _, id := range b.AccountIDs() {
		txs, _, _ := walk[txJSON](t, c, "/v1/accounts/"+id+"/transactions", 9, "")
		perAccount += len(txs)
		for _, x := range txs {
			if x.AccountID != id {
				t.Fatalf("account %s listed a transaction of %s", id, x.AccountID)
			}
			want[x.ID] = true
		}
	}
	if len(global) != perAccount || len(global) != 200 {
		t.Fatalf("global %d, per account %d, want 200", len(global), perAccount)
	}
	for _, x := range global {
		if !want[x.ID] {
			t.Fatalf("global listing has unknown %s", x.ID)
		}
	}
}

func TestPageSizeHonoured(t *testing.T) {
	_, c := startBank(t, Config{Accounts: 2, PaymentsPerAccount: 1500, MaxPageSize: 500})
	for _, tc := range []struct {
		query  string
		status int
		items  int
	}{
		{"", 200, 100},
		{"?limit=1", 200, 1},
		{"?limit=250", 200, 250},
		{"?limit=5000", 200, 500},
		{"?limit=0", 400, 0},
		{"?limit=x", 400, 0},
		{"?cursor=bogus", 400, 0},
	} {
		t.Run(tc.query, func(t *testing.T) {
			status, raw := c.do(t, "GET", "/v1/transactions"+tc.query, nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			if status != 200 {
				return
			}
			var page listJSON[txJSON]
			if err := json.Unmarshal(raw, &page); err != nil {
				t.Fatal(err)
			}
			if len(page.Data) != tc.items || !page.HasMore {
				t.Fatalf("got %d items, has_more %v; want %d and more", len(page.Data), page.HasMore, tc.items)
			}
		})
	}
}

func TestGrowthFoundByResumedCursor(t *testing.T) {
	b, c := startBank(t, Config{Seed: 1, Accounts: 3, PaymentsPerAccount: 20})
	first, cursor, _ := walk[txJSON](t, c, "/v1/transactions", 25, "")
	if len(first) != 60 {
		t.Fatalf("first sync: %d items", len(first))
	}
	acc0 := b.AccountIDs()[0]
	_, accCursor, _ := walk[txJSON](t, c, "/v1/accounts/"+acc0+"/transactions", 25, "")

	// Nothing new yet: the resumed cursor yields nothing.
	again, _, _ := walk[txJSON](t, c, "/v1/transactions", 25, cursor)
	if len(again) != 0 {
		t.Fatalf("resumed sync before growth: %d items", len(again))
	}

	status, raw := c.do(t, "POST", "/admin/grow?n=7", nil)
	if status != 200 || !strings.Contains(string(raw), `"total_transactions":67`) {
		t.Fatalf("grow: %d %s", status, raw)
	}
	b.AddTransactions(2)

	more, _, _ := walk[txJSON](t, c, "/v1/transactions", 4, cursor)
	if len(more) != 9 {
		t.Fatalf("resumed sync found %d new, want 9", len(more))
	}
	checkOrderedUnique(t, append(first, more...))
	accMore, _, _ := walk[txJSON](t, c, "/v1/accounts/"+acc0+"/transactions", 25, accCursor)
	if len(accMore) != 3 { // round-robin over 3 accounts: 7+2 = 3 each
		t.Fatalf("account resumed sync found %d new, want 3", len(accMore))
	}
	if got := b.TotalTransactions(); got != 69 {
		t.Fatalf("TotalTransactions = %d", got)
	}
}

func TestLazyGrowth(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b, c := startBank(t, Config{Accounts: 2, PaymentsPerAccount: 5, GrowEvery: time.Minute, GrowBy: 3, Now: clock})
	var page listJSON[txJSON]
	c.getOK(t, "/v1/transactions", &page)
	if len(page.Data) != 10 {
		t.Fatalf("before growth: %d", len(page.Data))
	}
	now = now.Add(2*time.Minute + time.Second)
	c.getOK(t, "/v1/transactions", &page)
	if len(page.Data) != 16 || b.TotalTransactions() != 16 {
		t.Fatalf("after two ticks: %d listed, %d total", len(page.Data), b.TotalTransactions())
	}
}

func TestAuth(t *testing.T) {
	_, c := startBank(t, Config{APIKey: "sk_test_123"})
	for _, tc := range []struct {
		name, key, path string
		status          int
	}{
		{"good key", "sk_test_123", "/v1/accounts", 200},
		{"no key", "", "/v1/accounts", 401},
		{"wrong key", "demo-key", "/v1/accounts", 401},
		{"admin needs key", "", "/admin/stats", 401},
		{"admin with key", "sk_test_123", "/admin/stats", 200},
		{"unknown route", "sk_test_123", "/v2/nope", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.key = tc.key
			status, raw := c.do(t, "GET", tc.path, nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			if status != 200 {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
					t.Fatalf("error body %s: %v", raw, err)
				}
			}
		})
	}
}

func TestFaults(t *testing.T) {
	b, c := startBank(t, Config{Accounts: 1, PaymentsPerAccount: 10})
	statuses := func(t *testing.T, n int) []int {
		out := make([]int, n)
		for i := range out {
			status, raw := c.do(t, "GET", "/v1/transactions", nil)
			if status == 200 && !json.Valid(raw) {
				status = -1 // malformed
			}
			out[i] = status
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		faults string
		want   []int
	}{
		{"none", `{}`, []int{200, 200, 200}},
		{"500 every 2", `{"errorEvery":2}`, []int{200, 500, 200, 500}},
		{"429 every 3", `{"errorEvery":3,"errorStatus":429}`, []int{200, 200, 429, 200, 200, 429}},
		{"malformed every 2", `{"malformedEvery":2}`, []int{200, -1, 200, -1}},
		{"both", `{"errorEvery":2,"malformedEvery":3}`, []int{200, 500, -1, 500, 200, 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := c.do(t, "POST", "/admin/faults", tc.faults)
			if status != 200 {
				t.Fatalf("set faults: %d %s", status, raw)
			}
			if diff := cmp.Diff(tc.want, statuses(t, len(tc.want))); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}

	b.SetFaults(Faults{Latency: 30 * time.Millisecond})
	start := time.Now()
	statuses(t, 1)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("latency fault: answered in %v", d)
	}
	status, raw := c.do(t, "GET", "/admin/faults", nil)
	if status != 200 || !strings.Contains(string(raw), `"latencyMs":30`) {
		t.Errorf("GET /admin/faults: %d %s", status, raw)
	}
	if status, _ := c.do(t, "POST", "/admin/faults", `{"errorEvery":-1}`); status != 422 {
		t.Errorf("bad faults accepted: %d", status)
	}
}

func TestTransfersAndPayoutsAppearInListings(t *testing.T) {
	b, c := startBank(t, Config{Seed: 5, Accounts: 3, PaymentsPerAccount: 10, ExternalAccounts: 2, PayoutPendingPolls: 1})
	accs := b.AccountIDs()
	var src, dst account
	// Transfers need two accounts of one currency; pick them from the data.
	for i := range b.accounts {
		for j := range b.accounts {
			if i != j && b.accounts[i].cur == b.accounts[j].cur {
				src, dst = b.accounts[i], b.accounts[j]
			}
		}
	}
	if src.id == "" {
		b.accounts[1].cur = b.accounts[0].cur
		src, dst = b.accounts[0], b.accounts[1]
	}
	_, cursor, _ := walk[txJSON](t, c, "/v1/transactions", 100, "")

	transfer := map[string]any{
		"source_account_id": src.id, "destination_account_id": dst.id,
		"amount": "1250", "currency": src.cur.code, "decimals": src.cur.decimals,
		"reference": "ref-1", "description": "rent \"May\"", "metadata": map[string]string{"k": "v"},
	}
	status, raw := c.do(t, "POST", "/v1/transfers", transfer, "Idempotency-Key", "idem-1")
	if status != 201 {
		t.Fatalf("create transfer: %d %s", status, raw)
	}
	var tr txJSON
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Status != "succeeded" || tr.Type != "transfer" || tr.Amount != "1250" || tr.DestinationAccountID != dst.id ||
		tr.Description != `rent "May"` || tr.Metadata["k"] != "v" {
		t.Fatalf("transfer %+v", tr)
	}
	// The same Idempotency-Key replays the first answer.
	status, raw2 := c.do(t, "POST", "/v1/transfers", transfer, "Idempotency-Key", "idem-1")
	if status != 200 || !bytes.Equal(raw, raw2) {
		t.Fatalf("replay: %d %s", status, raw2)
	}

	payout := map[string]any{
		"source_account_id": accs[0], "beneficiary_id": b.BeneficiaryIDs()[1],
		"amount": "999", "currency": b.accounts[0].cur.code,
	}
	status, raw = c.do(t, "POST", "/v1/payouts", payout)
	if status != 202 {
		t.Fatalf("create payout: %d %s", status, raw)
	}
	var po txJSON
	if err := json.Unmarshal(raw, &po); err != nil {
		t.Fatal(err)
	}
	if po.Status != "pending" || !strings.HasPrefix(po.ID, "po_") {
		t.Fatalf("payout %+v", po)
	}
	polls := []string{}
	for range 3 {
		var p txJSON
		c.getOK(t, "/v1/payouts/"+po.ID, &p)
		polls = append(polls, p.Status)
	}
	if diff := cmp.Diff([]string{"pending", "succeeded", "succeeded"}, polls); diff != "" {
		t.Errorf("polls (-want +got):\n%s", diff)
	}

	payout["amount"] = "100000001"
	_, raw = c.do(t, "POST", "/v1/payouts", payout)
	var big txJSON
	if err := json.Unmarshal(raw, &big); err != nil {
		t.Fatal(err)
	}
	c.getOK(t, "/v1/payouts/"+big.ID, &big)
	c.getOK(t, "/v1/payouts/"+big.ID, &big)
	if big.Status != "failed" || big.FailureReason != "amount_exceeds_limit" {
		t.Errorf("payout over the limit: %+v", big)
	}

	more, _, _ := walk[txJSON](t, c, "/v1/transactions", 100, cursor)
	if diff := cmp.Diff([]string{tr.ID, po.ID, big.ID}, idsOf(more)); diff != "" {
		t.Errorf("new transactions (-want +got):\n%s", diff)
	}
	if more[1].Status != "succeeded" {
		t.Errorf("listed payout status %q", more[1].Status)
	}
}

func idsOf(txs []txJSON) []string {
	out := make([]string, len(txs))
	for i, x := range txs {
		out[i] = x.ID
	}
	return out
}

func TestCreateValidation(t *testing.T) {
	b, c := startBank(t, Config{Accounts: 2, ExternalAccounts: 1})
	acc := b.accounts[0]
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"bad json", "/v1/transfers", "{", 400, "invalid_json"},
		{"numeric amount", "/v1/payouts", map[string]any{"source_account_id": acc.id, "amount": 10, "currency": acc.cur.code}, 422, "invalid_amount"},
		{"negative amount", "/v1/payouts", map[string]any{"source_account_id": acc.id, "amount": "-10", "currency": acc.cur.code}, 422, "invalid_amount"},
		{"unknown account", "/v1/payouts", map[string]any{"source_account_id": "acc_x", "amount": "10", "currency": "EUR"}, 422, "account_not_found"},
		{"wrong currency", "/v1/payouts", map[string]any{"source_account_id": acc.id, "amount": "10", "currency": "XXX"}, 422, "currency_mismatch"},
		{"unknown beneficiary", "/v1/payouts", map[string]any{"source_account_id": acc.id, "amount": "10", "currency": acc.cur.code, "beneficiary_id": "ben_x"}, 422, "beneficiary_not_found"},
		{"transfer to itself", "/v1/transfers", map[string]any{"source_account_id": acc.id, "destination_account_id": acc.id, "amount": "10", "currency": acc.cur.code}, 422, "invalid_destination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := c.do(t, "POST", tc.path, tc.body)
			var e struct{ Error struct{ Code string } }
			_ = json.Unmarshal(raw, &e)
			if status != tc.status || e.Error.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s", status, raw, tc.status, tc.code)
			}
		})
	}
}

func TestBalances(t *testing.T) {
	b, c := startBank(t, Config{Seed: 9, Accounts: 2, PaymentsPerAccount: 3})
	var page listJSON[struct {
		AccountID string `json:"account_id"`
		Currency  string `json:"currency"`
		Available string `json:"available"`
		Current   string `json:"current"`
	}]
	c.getOK(t, "/v1/accounts/"+b.AccountIDs()[1]+"/balances", &page)
	if len(page.Data) != 1 || page.HasMore || page.Data[0].AccountID != b.AccountIDs()[1] ||
		page.Data[0].Available == "" || page.Data[0].Currency != b.accounts[1].cur.code {
		t.Fatalf("balances %+v", page)
	}
	if status, _ := c.do(t, "GET", "/v1/accounts/acc_nope/balances", nil); status != 404 {
		t.Errorf("unknown account: %d", status)
	}
}

func TestDeterministicFromSeed(t *testing.T) {
	body := func(seed int64) string {
		b := New(Config{Seed: seed, Accounts: 3, PaymentsPerAccount: 30, ExternalAccounts: 2})
		var out strings.Builder
		for _, path := range []string{"/v1/accounts", "/v1/beneficiaries", "/v1/transactions?limit=1000",
			"/v1/accounts/" + b.AccountIDs()[1] + "/balances"} {
			req, _ := http.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
			rec := &recorder{header: http.Header{}}
			b.ServeHTTP(rec, req)
			if rec.status != 200 || !json.Valid(rec.body.Bytes()) {
				t.Fatalf("%s: %d %s", path, rec.status, rec.body.Bytes())
			}
			out.Write(rec.body.Bytes())
		}
		return out.String()
	}
	a, again, other := body(42), body(42), body(43)
	if a != again {
		t.Error("same seed gave different data")
	}
	if a == other {
		t.Error("different seeds gave the same data")
	}
}

// recorder is a minimal ResponseWriter for in-process calls.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int)   { r.status = s }
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(p)
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\`, "tab\tnl\n\x01", "héllo ✓", "bad\xffutf8"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, got, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q round-tripped to %q", s, back)
		}
	}
}

func TestLargeBankIsCheap(t *testing.T) {
	// A million payments: reaching the last page costs binary searches, not
	// a walk, and nothing is stored.
	b, c := startBank(t, Config{Seed: 1, Accounts: 100, PaymentsPerAccount: 10_000})
	if got := b.TotalTransactions(); got != 1_000_000 {
		t.Fatalf("total %d", got)
	}
	var page listJSON[txJSON]
	c.getOK(t, "/v1/accounts/"+b.AccountIDs()[99]+"/transactions?limit=1000", &page)
	cursor := page.NextCursor
	for i := 0; i < 3; i++ {
		c.getOK(t, "/v1/transactions?limit=1000&cursor="+url.QueryEscape(cursor), &page)
		if len(page.Data) != 1000 || !page.HasMore {
			t.Fatalf("page %d: %d items", i, len(page.Data))
		}
		cursor = page.NextCursor
	}
}
