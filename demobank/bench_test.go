package demobank

import (
	"io"
	"net/http"
	"net/url"
	"testing"
)

// nullWriter discards the body so that in-process benchmarks measure the
// bank, not a recorder.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(int)             {}
func (w *nullWriter) Write(p []byte) (int, error) { return len(p), nil }

func benchBank() *Bank {
	return New(Config{Seed: 1, Accounts: 100, PaymentsPerAccount: 10_000, ExternalAccounts: 10})
}

// BenchmarkPage100InProcess serves one 100-transaction page of the global
// listing of a 1M-payment bank, mid-way through, without the network.
func BenchmarkPage100InProcess(b *testing.B) {
	for _, tc := range []struct{ name, path string }{
		{"global", "/v1/transactions"},
		{"account", "/v1/accounts/%s/transactions"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bank := benchBank()
			path := tc.path
			if tc.name == "account" {
				path = "/v1/accounts/" + bank.AccountIDs()[42] + "/transactions"
			}
			// Start half way so the cursor seek is part of the cost.
			cursor := encodeTxCursor(bank.genTime(0, 5000), bank.idAt(nil, 0, 5000))
			req, _ := http.NewRequest("GET", path+"?limit=100&cursor="+url.QueryEscape(cursor), nil)
			req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
			w := &nullWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				bank.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkPage100HTTP fetches 100-transaction pages over loopback HTTP,
// walking forward with the cursor as a sync would.
func BenchmarkPage100HTTP(b *testing.B) {
	bank, c := startBank(b, Config{Seed: 1, Accounts: 100, PaymentsPerAccount: 10_000})
	_ = bank
	cursor := ""
	b.ReportAllocs()
	b.SetBytes(0)
	for b.Loop() {
		q := "/v1/transactions?limit=100"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		req, _ := http.NewRequest("GET", c.base+q, nil)
		req.Header.Set("Authorization", "Bearer "+c.key)
		resp, err := c.hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		b.SetBytes(n)
		cursor = lastCursor(b, bank, cursor)
	}
}

// lastCursor advances the cursor by 100 items in process: parsing each page
// would make this a JSON-decoding benchmark.
func lastCursor(b *testing.B, bank *Bank, cursor string) string {
	var pos *position
	if cursor != "" {
		p, err := decodeTxCursor(cursor)
		if err != nil {
			b.Fatal(err)
		}
		pos = &p
	}
	bank.mu.RLock()
	defer bank.mu.RUnlock()
	_, next, hasMore := bank.appendTxPage(nil, nil, pos, 100)
	if !hasMore {
		return ""
	}
	return next
}
