package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func benchPages(b *testing.B, path string) {
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.PutSession(ctx, Session{ID: "s", Provider: "p", Name: "n", CreatedAt: time.Now(), PageSize: 100, Config: json.RawMessage(`{}`)}); err != nil {
		b.Fatal(err)
	}
	data := json.RawMessage(`{"reference":"pay_0000000","createdAt":"2026-01-01T00:00:00Z","type":"PAY-IN","amount":"12345","asset":"EUR/2","scheme":"sepa","status":"SUCCEEDED","destinationAccountReference":"acc_01","metadata":{},"raw":{"id":"pay_0000000","amount":"12345","currency":"EUR","decimals":2,"created_at":"2026-01-01T00:00:00Z","status":"succeeded","description":"a payment with a realistic amount of provider JSON around it, as the demo bank sends","metadata":{"order":"ord_000000000000","customer":"cus_000000000000","note":"padding to reach the size of a real provider object, about one kilobyte in all, which is what a sync stores for every payment"},"counterparty":{"name":"ACME Corporation Ltd","iban":"FR7630006000011234567890189","bic":"AGRIFRPP"}}}`)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	var last <-chan error
	for i := 0; i < b.N; i++ {
		items := make([]Item, 100)
		for j := range items {
			n := i*100 + j
			// Provider references are not in fetch order: hash them.
			items[j] = Item{Ref: fmt.Sprintf("txn_%016x", uint64(n)*0x9E3779B97F4A7C15), CreatedAt: t0.Add(time.Duration(n) * time.Second), Status: "SUCCEEDED", Type: "PAY-IN", Asset: "EUR/2", Accounts: []string{"acc_01"}, Data: data}
		}
		last, err = s.CommitPage(ctx, "payments", items, State{SessionID: "s", Key: "payments", Resource: "payments", State: json.RawMessage(fmt.Sprintf(`{"o":%d}`, i)), UpdatedAt: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := <-last; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkCommitPage(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchPages(b, Memory) })
	b.Run("disk", func(b *testing.B) { benchPages(b, filepath.Join(b.TempDir(), "s.db")) })
}
