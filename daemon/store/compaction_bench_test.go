package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSyncShape writes a bench-shaped sync (accounts, then for each
// of 100 accounts one balance page and its payments, 100-item pages) and
// reports what Pebble's compactions did with it: the bytes they wrote per
// item, the bytes moved without rewriting, and the process CPU per item.
//
//	go test ./daemon/store -run X -bench SyncShape -benchtime 300000x
func BenchmarkSyncShape(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	const accounts = 100
	perAccount := max(1, b.N/accounts)
	page := 0
	commit := func(resource string, items []Item) {
		done, err := s.CommitPage(ctx, resource, items, State{SessionID: "s", Key: resource, Resource: resource, State: json.RawMessage(fmt.Sprintf(`{"o":%d}`, page)), UpdatedAt: t0})
		if err != nil {
			b.Fatal(err)
		}
		page++
		if page%64 == 0 {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	start := cpu()
	accts := make([]Item, accounts)
	for a := range accts {
		accts[a] = Item{Ref: fmt.Sprintf("acc_%03d", a), CreatedAt: t0, Data: json.RawMessage(`{"reference":"acc"}`)}
	}
	commit("accounts", accts)
	n := 0
	for a := 0; a < accounts; a++ {
		commit("balances", []Item{{Ref: fmt.Sprintf("bal_%03d", a), CreatedAt: t0, Data: json.RawMessage(`{"balance":"1"}`)}})
		for left := perAccount; left > 0; left -= 100 {
			items := enginePage(n / 100)
			if left < 100 {
				items = items[:left]
			}
			n += len(items)
			commit("payments", items)
		}
	}
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	used := cpu() - start
	b.StopTimer()
	m := s.db.Metrics()
	var compacted, moved, flushed uint64
	for _, l := range m.Levels {
		compacted += l.TableBytesCompacted
		moved += l.TableBytesMoved
		flushed += l.TableBytesFlushed
	}
	b.ReportMetric(float64(compacted)/float64(n), "compacted-B/item")
	b.ReportMetric(float64(moved)/float64(n), "moved-B/item")
	b.ReportMetric(float64(flushed)/float64(n), "flushed-B/item")
	b.ReportMetric(float64(used.Microseconds())/float64(n), "cpu-µs/item")
	if p := os.Getenv("SWITCHBOARD_METRICS_OUT"); p != "" {
		_ = os.WriteFile(p, []byte(m.String()), 0o600)
	}
}
