package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// The engine comparison behind schema 5 (docs/benchmarks.md): commit
// 100-item pages of ~800-byte JSON payments, each page durable before the
// next (one synced transaction), with what data/list needs: upsert by
// reference, a created-at index, a count.
//
//	go test ./daemon/store -run X -bench Engines -benchtime 1000x
//
// "pebble" is this store; "sqlite" is one SQLite file (WAL, synchronous
// FULL) with the same tables and indexes.

func enginePage(i int) []Item {
	items := make([]Item, 100)
	for j := range items {
		n := i*100 + j
		ref := fmt.Sprintf("txn_%016x", uint64(n)*0x9E3779B97F4A7C15)
		items[j] = Item{Ref: ref, CreatedAt: t0.Add(time.Duration(n) * time.Second), Status: "SUCCEEDED", Type: "PAY-IN", Asset: "EUR/2", Accounts: []string{"acc_01"},
			Data: json.RawMessage(fmt.Sprintf(`{"reference":%q,"createdAt":"2026-01-01T00:00:00Z","type":"PAY-IN","amount":"%d","asset":"EUR/2","scheme":"sepa","status":"SUCCEEDED","destinationAccountReference":"acc_01","metadata":{},"raw":{"id":%q,"amount":"%d","currency":"EUR","decimals":2,"status":"succeeded","description":"a payment with a realistic amount of provider JSON around it","metadata":{"order":"ord_%012d","customer":"cus_%012d","note":"padding to reach the size of a real provider object"},"counterparty":{"name":"ACME Corporation Ltd","iban":"FR7630006000011234567890189","bic":"AGRIFRPP"}}}`, ref, n*7, ref, n*7, n, n%977))}
	}
	return items
}

func BenchmarkEngines(b *testing.B) {
	b.Run("pebble", func(b *testing.B) {
		s, path := benchStore(b)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			done, err := s.CommitPage(ctx, "payments", enginePage(i), State{SessionID: "s", Key: "payments", Resource: "payments", State: json.RawMessage(fmt.Sprintf(`{"o":%d}`, i)), UpdatedAt: t0})
			if err != nil {
				b.Fatal(err)
			}
			s.Kick()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(dirSize(path))/float64(b.N*100), "disk-B/item")
	})
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "s.sqlite")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		for _, q := range []string{
			`CREATE TABLE items (seq INTEGER PRIMARY KEY, session INTEGER, kind INTEGER, ref TEXT, created INTEGER, status TEXT, type TEXT, asset TEXT, accounts TEXT, data BLOB, UNIQUE (session, kind, ref))`,
			`CREATE INDEX items_created ON items (session, kind, created)`,
			`CREATE TABLE counts (session INTEGER, kind INTEGER, n INTEGER, PRIMARY KEY (session, kind))`,
			`CREATE TABLE states (session TEXT, key TEXT, state TEXT, PRIMARY KEY (session, key))`,
		} {
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			up, _ := tx.Prepare(`INSERT INTO items (session, kind, ref, created, status, type, asset, accounts, data) VALUES (1, 4, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (session, kind, ref) DO UPDATE SET created = excluded.created, status = excluded.status, data = excluded.data`)
			for _, it := range enginePage(i) {
				if _, err := up.Exec(it.Ref, it.CreatedAt.UnixNano(), it.Status, it.Type, it.Asset, accountsColumn(it.Accounts), []byte(it.Data)); err != nil {
					b.Fatal(err)
				}
			}
			up.Close()
			if _, err := tx.Exec(`INSERT INTO counts VALUES (1, 4, 100) ON CONFLICT DO UPDATE SET n = n + 100`); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO states VALUES ('s', 'payments', ?) ON CONFLICT DO UPDATE SET state = excluded.state`, fmt.Sprintf(`{"o":%d}`, i)); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "items/s")
		var n int64
		for _, suffix := range []string{"", "-wal"} {
			n += dirSize(path + suffix)
		}
		b.ReportMetric(float64(n)/float64(b.N*100), "disk-B/item")
	})
}

// benchStore opens a store on disk with one session, "s", closed when the
// benchmark ends.
func benchStore(b *testing.B) (*Store, string) {
	path := filepath.Join(b.TempDir(), "s.db")
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.PutSession(context.Background(), Session{ID: "s", Provider: "p", CreatedAt: t0, Config: json.RawMessage(`{}`)}); err != nil {
		b.Fatal(err)
	}
	return s, path
}
