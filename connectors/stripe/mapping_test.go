package stripe

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	stripego "github.com/stripe/stripe-go/v80"
)

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

func TestCurrencies(t *testing.T) {
	tests := []struct {
		currency, asset string
	}{
		{"usd", "USD/2"}, {"eur", "EUR/2"}, {"jpy", "JPY/0"}, {"krw", "KRW/0"}, {"xof", "XOF/0"}, {"ugx", "UGX/0"},
		{"kwd", "KWD/3"}, {"bhd", "BHD/3"}, {"tnd", "TND/3"},
		// two-decimal in Stripe's API, whatever ISO says
		{"isk", "ISK/2"}, {"huf", "HUF/2"}, {"twd", "TWD/2"},
		{"USD", "USD/2"},
	}
	for _, tt := range tests {
		got, err := assetOf(tt.currency)
		if err != nil || got != tt.asset {
			t.Errorf("assetOf(%q) = %q, %v; want %q", tt.currency, got, err, tt.asset)
		}
		cur, err := currencyOf(tt.asset)
		if err != nil || cur != strings.ToLower(tt.currency) {
			t.Errorf("currencyOf(%q) = %q, %v", tt.asset, cur, err)
		}
	}
	for _, bad := range []string{"", "us", "usdd", "u$d"} {
		if a, err := assetOf(bad); err == nil {
			t.Errorf("assetOf(%q) = %q, want an error", bad, a)
		}
	}
	for _, bad := range []string{"USD", "USD/x", "USD/-1", "JPY/2", "KWD/2", "USD/0", "/2"} {
		if c, err := currencyOf(bad); err == nil {
			t.Errorf("currencyOf(%q) = %q, want an error", bad, c)
		}
	}
}

// TestToPayment maps balance transactions of Stripe's shapes, source
// expanded, as the connector gets them.
func TestToPayment(t *testing.T) {
	const acct = "acct_A"
	created := time.Unix(1700000000, 0).UTC()
	bt := func(typ string, amount int64, currency, status, category, source string) string {
		if source == "" {
			source = "null"
		}
		raw, _ := json.Marshal(map[string]any{
			"id": "txn_1", "object": "balance_transaction", "type": typ, "amount": amount, "currency": currency,
			"status": status, "reporting_category": category, "created": 1700000000, "available_on": 0,
			"fee": 0, "net": amount, "source": json.RawMessage(source),
		})
		return string(raw)
	}
	meta := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	base := func(typ, status, category string, net int64, more ...string) map[string]string {
		m := meta(more...)
		m["stripe/type"], m["stripe/status"], m["stripe/net"], m["stripe/fee"] = typ, status, big.NewInt(net).String(), "0"
		if category != "" {
			m["stripe/reportingCategory"] = category
		}
		return m
	}
	tests := []struct {
		name string
		json string
		want wirePayment
	}{
		{
			name: "card charge",
			json: bt("charge", 2000, "usd", "available", "charge",
				`{"id":"ch_1","object":"charge","amount":2000,"amount_refunded":0,"currency":"usd","status":"succeeded","customer":"cus_9","payment_method_details":{"type":"card","card":{"brand":"visa"}},"metadata":{"order":"7"}}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "SUCCEEDED", Asset: "USD/2", Amount: "2000", Scheme: "card_visa",
				Destination: acct, CreatedAt: created,
				Metadata: base("charge", "available", "charge", 2000, "stripe/source", "ch_1", "stripe/customer", "cus_9", "order", "7")},
		},
		{
			name: "charge whose funds are pending is still a succeeded charge",
			json: bt("charge", 500, "eur", "pending", "charge",
				`{"id":"ch_2","object":"charge","amount":500,"currency":"eur","status":"succeeded","payment_method_details":{"type":"sepa_debit"}}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "SUCCEEDED", Asset: "EUR/2", Amount: "500", Scheme: "sepa_debit",
				Destination: acct, CreatedAt: created, Metadata: base("charge", "pending", "charge", 500, "stripe/source", "ch_2")},
		},
		{
			name: "pending charge without source",
			json: bt("charge", 500, "eur", "pending", "charge", ""),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "PENDING", Asset: "EUR/2", Amount: "500", Scheme: "other",
				Destination: acct, CreatedAt: created, Metadata: base("charge", "pending", "charge", 500)},
		},
		{
			name: "partly refunded charge",
			json: bt("charge", 1000, "usd", "available", "charge",
				`{"id":"ch_3","object":"charge","amount":1000,"amount_refunded":300,"currency":"usd","status":"succeeded","refunded":false}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "SUCCEEDED", Asset: "USD/2", Amount: "700", InitialAmount: "1000",
				Scheme: "other", Destination: acct, CreatedAt: created, Metadata: base("charge", "available", "charge", 1000, "stripe/source", "ch_3")},
		},
		{
			name: "fully refunded charge",
			json: bt("charge", 1000, "usd", "available", "charge",
				`{"id":"ch_4","object":"charge","amount":1000,"amount_refunded":1000,"currency":"usd","status":"succeeded","refunded":true}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "REFUNDED", Asset: "USD/2", Amount: "0", InitialAmount: "1000",
				Scheme: "other", Destination: acct, CreatedAt: created, Metadata: base("charge", "available", "charge", 1000, "stripe/source", "ch_4")},
		},
		{
			name: "disputed charge",
			json: bt("charge", 1000, "usd", "available", "charge",
				`{"id":"ch_5","object":"charge","amount":1000,"currency":"usd","status":"succeeded","disputed":true}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "DISPUTE", Asset: "USD/2", Amount: "1000",
				Scheme: "other", Destination: acct, CreatedAt: created, Metadata: base("charge", "available", "charge", 1000, "stripe/source", "ch_5")},
		},
		{
			name: "zero-decimal charge",
			json: bt("payment", 120000, "jpy", "available", "charge", ""),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "SUCCEEDED", Asset: "JPY/0", Amount: "120000",
				Scheme: "other", Destination: acct, CreatedAt: created, Metadata: base("payment", "available", "charge", 120000)},
		},
		{
			name: "refund",
			json: bt("refund", -700, "kwd", "available", "refund",
				`{"id":"re_1","object":"refund","amount":700,"currency":"kwd","status":"succeeded","charge":"ch_1","metadata":{"why":"broken"}}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "REFUNDED", Asset: "KWD/3", Amount: "700",
				Scheme: "other", Source: acct, CreatedAt: created,
				Metadata: base("refund", "available", "refund", -700, "stripe/source", "re_1", "stripe/charge", "ch_1", "why", "broken")},
		},
		{
			name: "failed refund",
			json: bt("refund", -700, "usd", "available", "refund",
				`{"id":"re_2","object":"refund","amount":700,"currency":"usd","status":"failed","charge":"ch_1"}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "REFUNDED_FAILURE", Asset: "USD/2", Amount: "700",
				Scheme: "other", Source: acct, CreatedAt: created,
				Metadata: base("refund", "available", "refund", -700, "stripe/source", "re_2", "stripe/charge", "ch_1")},
		},
		{
			name: "refund failure",
			json: bt("refund_failure", 700, "usd", "available", "refund_failure", ""),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "REFUNDED_FAILURE", Asset: "USD/2", Amount: "700",
				Scheme: "other", Destination: acct, CreatedAt: created, Metadata: base("refund_failure", "available", "refund_failure", 700)},
		},
		{
			name: "paid payout",
			json: bt("payout", -5000, "usd", "available", "payout",
				`{"id":"po_1","object":"payout","amount":5000,"currency":"usd","status":"paid","destination":"ba_9","method":"standard"}`),
			want: wirePayment{Reference: "txn_1", Type: "PAYOUT", Status: "SUCCEEDED", Asset: "USD/2", Amount: "5000",
				Scheme: "other", Source: acct, Destination: "ba_9", CreatedAt: created,
				Metadata: base("payout", "available", "payout", -5000, "stripe/source", "po_1", "stripe/payoutMethod", "standard")},
		},
		{
			name: "payout in transit",
			json: bt("payout", -5000, "usd", "pending", "payout",
				`{"id":"po_2","object":"payout","amount":5000,"currency":"usd","status":"in_transit","destination":"ba_9"}`),
			want: wirePayment{Reference: "txn_1", Type: "PAYOUT", Status: "PENDING", Asset: "USD/2", Amount: "5000",
				Scheme: "other", Source: acct, Destination: "ba_9", CreatedAt: created,
				Metadata: base("payout", "pending", "payout", -5000, "stripe/source", "po_2")},
		},
		{
			name: "payout failure gives the money back",
			json: bt("payout_failure", 5000, "usd", "available", "payout_reversal",
				`{"id":"po_3","object":"payout","amount":5000,"currency":"usd","status":"failed","destination":"ba_9"}`),
			want: wirePayment{Reference: "txn_1", Type: "PAYOUT", Status: "FAILED", Asset: "USD/2", Amount: "5000",
				Scheme: "other", Destination: acct, CreatedAt: created,
				Metadata: base("payout_failure", "available", "payout_reversal", 5000, "stripe/source", "po_3")},
		},
		{
			name: "transfer to a connected account",
			json: bt("transfer", -1500, "eur", "available", "transfer",
				`{"id":"tr_1","object":"transfer","amount":1500,"currency":"eur","destination":"acct_B","reversed":false,"metadata":{"k":"v"}}`),
			want: wirePayment{Reference: "txn_1", Type: "TRANSFER", Status: "SUCCEEDED", Asset: "EUR/2", Amount: "1500",
				Scheme: "other", Source: acct, Destination: "acct_B", CreatedAt: created,
				Metadata: base("transfer", "available", "transfer", -1500, "stripe/source", "tr_1", "k", "v")},
		},
		{
			name: "reversed transfer",
			json: bt("transfer", -1500, "eur", "available", "transfer",
				`{"id":"tr_2","object":"transfer","amount":1500,"currency":"eur","destination":"acct_B","reversed":true}`),
			want: wirePayment{Reference: "txn_1", Type: "TRANSFER", Status: "REFUNDED", Asset: "EUR/2", Amount: "1500",
				Scheme: "other", Source: acct, Destination: "acct_B", CreatedAt: created,
				Metadata: base("transfer", "available", "transfer", -1500, "stripe/source", "tr_2")},
		},
		{
			name: "transfer reversal",
			json: bt("transfer_refund", 1500, "eur", "available", "transfer_reversal", ""),
			want: wirePayment{Reference: "txn_1", Type: "TRANSFER", Status: "REFUNDED", Asset: "EUR/2", Amount: "1500",
				Scheme: "other", Destination: acct, CreatedAt: created, Metadata: base("transfer_refund", "available", "transfer_reversal", 1500)},
		},
		{
			name: "lost dispute",
			json: bt("adjustment", -2000, "usd", "available", "dispute",
				`{"id":"du_1","object":"dispute","amount":2000,"currency":"usd","status":"lost","charge":"ch_1"}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "DISPUTE_LOST", Asset: "USD/2", Amount: "2000",
				Scheme: "other", Source: acct, CreatedAt: created,
				Metadata: base("adjustment", "available", "dispute", -2000, "stripe/source", "du_1", "stripe/charge", "ch_1")},
		},
		{
			name: "dispute under review",
			json: bt("adjustment", -2000, "usd", "available", "dispute", ""),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "DISPUTE", Asset: "USD/2", Amount: "2000",
				Scheme: "other", Source: acct, CreatedAt: created, Metadata: base("adjustment", "available", "dispute", -2000)},
		},
		{
			name: "won dispute gives the money back",
			json: bt("adjustment", 2000, "usd", "available", "dispute_reversal",
				`{"id":"du_2","object":"dispute","amount":2000,"currency":"usd","status":"won"}`),
			want: wirePayment{Reference: "txn_1", Type: "PAY-IN", Status: "DISPUTE_WON", Asset: "USD/2", Amount: "2000",
				Scheme: "other", Destination: acct, CreatedAt: created,
				Metadata: base("adjustment", "available", "dispute_reversal", 2000, "stripe/source", "du_2")},
		},
		{
			name: "stripe fee",
			json: bt("stripe_fee", -15, "usd", "available", "fee", ""),
			want: wirePayment{Reference: "txn_1", Type: "OTHER", Status: "SUCCEEDED", Asset: "USD/2", Amount: "15",
				Scheme: "other", Source: acct, CreatedAt: created, Metadata: base("stripe_fee", "available", "fee", -15)},
		},
		{
			name: "top-up",
			json: bt("topup", 10000, "three", "pending", "topup", ""),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b stripego.BalanceTransaction
			if err := json.Unmarshal([]byte(tt.json), &b); err != nil {
				t.Fatal(err)
			}
			p, err := toPayment(acct, &b, json.RawMessage(tt.json))
			if tt.want.Reference == "" {
				if err == nil {
					t.Fatalf("no error for %s", tt.json)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, wire(p)); diff != "" {
				t.Errorf("payment (-want +got):\n%s", diff)
			}
			if string(p.Raw) != tt.json {
				t.Errorf("raw = %s", p.Raw)
			}
		})
	}
}

func TestCursorAdvance(t *testing.T) {
	var c cursor
	lp := stripego.ListParams{}
	c.apply(&lp)
	if lp.StartingAfter != nil || lp.EndingBefore != nil {
		t.Fatalf("first page has a cursor: %+v", lp)
	}
	if tail := c.advance([]string{"t9", "t8"}, true); tail || c != (cursor{LastID: "t8", NewestID: "t9"}) {
		t.Fatalf("after page 1: %+v", c)
	}
	lp = stripego.ListParams{}
	c.apply(&lp)
	if lp.StartingAfter == nil || *lp.StartingAfter != "t8" || lp.EndingBefore != nil {
		t.Fatalf("page 2 params: %+v", lp)
	}
	c.advance([]string{"t7"}, false)
	if c != (cursor{LastID: "t7", NewestID: "t9", CaughtUp: true}) {
		t.Fatalf("after the walk: %+v", c)
	}
	lp = stripego.ListParams{}
	c.apply(&lp)
	if lp.EndingBefore == nil || *lp.EndingBefore != "t9" || lp.StartingAfter != nil {
		t.Fatalf("tail params: %+v", lp)
	}
	if tail := c.advance([]string{"t11", "t10"}, true); !tail || c.NewestID != "t11" {
		t.Fatalf("after a tail page: %+v", c)
	}
	if tail := c.advance(nil, false); !tail || c.NewestID != "t11" {
		t.Fatalf("after an empty tail page: %+v", c)
	}

	// An empty list stays a fresh start until something shows up.
	var e cursor
	e.advance(nil, false)
	lp = stripego.ListParams{}
	e.apply(&lp)
	if lp.StartingAfter != nil || lp.EndingBefore != nil {
		t.Fatalf("empty list: %+v, params %+v", e, lp)
	}
}
