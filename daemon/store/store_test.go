package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite testdata/v1.db")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func payment(n int, status, account string) Item {
	ref := fmt.Sprintf("pay_%03d", n)
	return Item{Ref: ref, CreatedAt: t0.Add(time.Duration(n) * time.Minute), Status: status, Type: "PAY-IN", Asset: "EUR/2",
		Accounts: []string{account}, Data: json.RawMessage(`{"reference":"` + ref + `","status":"` + status + `"}`)}
}

func commit(t *testing.T, s *Store, sess string, items []Item, state string) {
	t.Helper()
	done, err := s.CommitPage(context.Background(), "payments", items, State{SessionID: sess, Key: "payments", Resource: "payments", State: json.RawMessage(state), HasMore: true, Pages: 1, Items: len(items), UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func addSession(t *testing.T, s *Store, id string) {
	t.Helper()
	if err := s.PutSession(context.Background(), Session{ID: id, Provider: "demo", Name: id, CreatedAt: t0, PageSize: 100, Config: json.RawMessage(`{"apiKey":"k"}`)}); err != nil {
		t.Fatal(err)
	}
}

func TestSessionsStatesAndUpserts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	addSession(t, s, "a")
	commit(t, s, "a", []Item{payment(1, "PENDING", "acc_1"), payment(2, "SUCCEEDED", "acc_2")}, `{"c":1}`)
	// The same payment again, updated: stored once.
	commit(t, s, "a", []Item{payment(1, "SUCCEEDED", "acc_1")}, `{"c":2}`)
	if n, _ := s.Count(context.Background(), "a", "payments"); n != 2 {
		t.Errorf("count %d, want 2", n)
	}
	s.Close()

	s = open(t, path)
	sessions, err := s.Sessions(context.Background())
	if err != nil || len(sessions) != 1 || string(sessions[0].Config) != `{"apiKey":"k"}` {
		t.Fatalf("sessions %+v %v", sessions, err)
	}
	states, _ := s.States(context.Background(), "a")
	if len(states) != 1 || string(states[0].State) != `{"c":2}` {
		t.Errorf("states %+v", states)
	}
	items, _, total, _ := s.List(context.Background(), Query{SessionID: "a", Resource: "payments", Status: "SUCCEEDED"})
	if total != 2 || len(items) != 2 {
		t.Errorf("after upsert: total %d", total)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := s.DeleteSession(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(context.Background(), "a", "payments"); n != 0 {
		t.Errorf("items left after delete: %d", n)
	}
}

func TestListFiltersAndCursor(t *testing.T) {
	s := open(t, Memory)
	addSession(t, s, "a")
	var items []Item
	for i := 0; i < 25; i++ {
		status := "SUCCEEDED"
		if i%5 == 0 {
			status = "FAILED"
		}
		items = append(items, payment(i, status, fmt.Sprintf("acc_%d", i%3)))
	}
	commit(t, s, "a", items, `null`)
	after, before := t0.Add(10*time.Minute), t0.Add(20*time.Minute)
	for _, tc := range []struct {
		name  string
		q     Query
		total int
		first string
	}{
		{"all", Query{}, 25, "pay_024"},
		{"status", Query{Status: "FAILED"}, 5, "pay_020"},
		{"account is a whole reference", Query{Account: "acc_1"}, 8, "pay_022"},
		{"no such account", Query{Account: "acc_"}, 0, ""},
		{"created range", Query{After: &after, Before: &before}, 10, "pay_019"},
		{"asset and type", Query{Asset: "EUR/2", Type: "PAY-IN"}, 25, "pay_024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.SessionID, q.Resource, q.Limit = "a", "payments", 4
			var all []string
			for page := 0; ; page++ {
				got, next, total, err := s.List(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if total != tc.total {
					t.Fatalf("total %d, want %d", total, tc.total)
				}
				for _, it := range got {
					var p struct{ Reference string }
					json.Unmarshal(it, &p)
					all = append(all, p.Reference)
				}
				if next == "" {
					break
				}
				q.Cursor = next
			}
			if len(all) != tc.total {
				t.Errorf("walked %d items, want %d", len(all), tc.total)
			}
			if tc.total > 0 && all[0] != tc.first {
				t.Errorf("first %s, want %s", all[0], tc.first)
			}
		})
	}
	if _, _, _, err := s.List(context.Background(), Query{SessionID: "a", Resource: "payments", Cursor: "!!"}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

// makeV1 writes a store at schema version 1: sessions and states only, as
// the first Switchboard wrote them.
func makeV1(t *testing.T, path string) {
	execFile(t, path, []string{
		migrations[0],
		"PRAGMA user_version = 1",
		`INSERT INTO sessions VALUES ('old', 'demo', 'from v1', '2026-01-01T00:00:00Z', 50, '{"seed":7}')`,
		`INSERT INTO states (session_id, key, resource, name, state, has_more, pages, items, updated_at) VALUES ('old', 'payments', 'payments', '', '{"cursor":"x"}', 1, 3, 150, '2026-01-01T00:00:00Z')`,
	})
}

// execFile runs statements on a plain SQLite file, as an older build would
// have written it.
func execFile(t *testing.T, path string, stmts []string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// openGolden opens a copy of testdata/name, rewritten by write with -update.
func openGolden(t *testing.T, name string, write func(*testing.T, string)) *Store {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		os.Remove(golden)
		write(t, golden)
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return open(t, path)
}

func TestMigratesOlderFile(t *testing.T) {
	s := openGolden(t, "v1.db", makeV1)
	var v int
	s.db.QueryRow("PRAGMA user_version").Scan(&v)
	if v != SchemaVersion {
		t.Errorf("version %d after open, want %d", v, SchemaVersion)
	}
	states, err := s.States(context.Background(), "old")
	if err != nil || len(states) != 1 || states[0].Pages != 3 || string(states[0].State) != `{"cursor":"x"}` {
		t.Fatalf("v1 states %+v %v", states, err)
	}
	// The new table works on the upgraded file.
	commit(t, s, "old", []Item{payment(1, "SUCCEEDED", "acc")}, `{"cursor":"y"}`)
}

// makeV2 writes a store at schema version 2, items included, as the
// previous Switchboard wrote them.
func makeV2(t *testing.T, path string) {
	stmts := []string{}
	for _, m := range migrations[:2] {
		stmts = append(stmts, strings.Split(m, ";")...)
	}
	execFile(t, path, append(stmts,
		"PRAGMA user_version = 2",
		`INSERT INTO sessions VALUES ('old', 'demo', 'from v2', '2026-01-01T00:00:00Z', 50, '{"seed":7}')`,
		`INSERT INTO session_keys (id) VALUES ('old')`,
		`INSERT INTO items (session_id, resource, ref, created_at, status, data) VALUES
			(1, 'payments', 'pay_b', 2000, 'PENDING', '{"reference":"pay_b","status":"PENDING"}'),
			(1, 'payments', 'pay_a', 1000, 'SUCCEEDED', '{"reference":"pay_a","status":"SUCCEEDED"}'),
			(1, 'accounts', 'acc_1', 500, '', '{"reference":"acc_1"}')`,
	))
}

// Items of a version 2 file survive the move to hashed keys, and the keys
// the migration computed in SQL are the ones later upserts compute in Go:
// a re-fetched item updates its row instead of adding one.
func TestMigratesV2Items(t *testing.T) {
	s := openGolden(t, "v2.db", makeV2)
	ctx := context.Background()
	refs := func(resource string) []string {
		t.Helper()
		items, _, total, err := s.List(ctx, Query{SessionID: "old", Resource: resource})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			var p struct{ Reference, Status string }
			json.Unmarshal(it, &p)
			out = append(out, p.Reference+":"+p.Status)
		}
		if total != len(out) {
			t.Errorf("total %d, listed %d", total, len(out))
		}
		return out
	}
	if diff := cmp.Diff([]string{"pay_b:PENDING", "pay_a:SUCCEEDED"}, refs("payments")); diff != "" {
		t.Errorf("payments after migration (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"acc_1:"}, refs("accounts")); diff != "" {
		t.Errorf("accounts after migration (-want +got):\n%s", diff)
	}
	commit(t, s, "old", []Item{{Ref: "pay_b", CreatedAt: time.Unix(0, 2000), Status: "SUCCEEDED", Data: json.RawMessage(`{"reference":"pay_b","status":"SUCCEEDED"}`)}}, `null`)
	if diff := cmp.Diff([]string{"pay_b:SUCCEEDED", "pay_a:SUCCEEDED"}, refs("payments")); diff != "" {
		t.Errorf("payments after re-fetching pay_b (-want +got):\n%s", diff)
	}
}

// An item fetched again with another creation time is listed once, at its
// new time, in the list, the count and an export alike.
func TestRefetchedItemMovesInTime(t *testing.T) {
	s := open(t, Memory)
	addSession(t, s, "a")
	commit(t, s, "a", []Item{payment(1, "PENDING", "acc"), payment(2, "PENDING", "acc"), payment(3, "PENDING", "acc")}, `{"c":1}`)
	moved := payment(1, "SUCCEEDED", "acc")
	moved.CreatedAt = t0.Add(time.Hour)
	commit(t, s, "a", []Item{moved}, `{"c":2}`)
	items, _, total, err := s.List(context.Background(), Query{SessionID: "a", Resource: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, string(it))
	}
	want := []string{`{"reference":"pay_001","status":"SUCCEEDED"}`, `{"reference":"pay_003","status":"PENDING"}`, `{"reference":"pay_002","status":"PENDING"}`}
	if diff := cmp.Diff(want, got); diff != "" || total != 3 {
		t.Errorf("list after a re-fetch, total %d (-want +got):\n%s", total, diff)
	}
	if _, _, n, _ := s.List(context.Background(), Query{SessionID: "a", Resource: "payments", Status: "PENDING"}); n != 2 {
		t.Errorf("PENDING count %d, want 2: a superseded record counted", n)
	}
	var exported []string
	if err := s.Each(context.Background(), "a", "", func(res string, data json.RawMessage) error {
		exported = append(exported, res+" "+string(data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"payments " + want[2], "payments " + want[1], "payments " + want[0]}, exported); diff != "" {
		t.Errorf("export, oldest first (-want +got):\n%s", diff)
	}
}

func TestRefusesNewerFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s := open(t, path)
	s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
	s.Close()
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "newer than this switchboard") {
		t.Fatalf("opening a newer file: %v", err)
	}
}

func TestReadOnlyFileGivesClearError(t *testing.T) {
	// Tests run as root, which ignores file modes, so the write side is
	// made read-only with SQLite's own query_only switch.
	dir := t.TempDir()
	path := filepath.Join(dir, "ro.db")
	s := open(t, path)
	addSession(t, s, "a")
	s.Close()
	// Reopen the same file through a read-only connection for writes.
	ro, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro.wconn.ExecContext(context.Background(), "PRAGMA query_only = ON")
	done, err := ro.CommitPage(context.Background(), "payments", []Item{payment(1, "S", "a")}, State{SessionID: "a", Key: "payments", Resource: "payments", UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	err = <-done
	if err == nil || !errors.Is(err, ErrStore) || !strings.Contains(err.Error(), "read") {
		t.Fatalf("write to a read-only store: %v", err)
	}
	// The store still answers reads.
	if _, err := ro.Sessions(context.Background()); err != nil {
		t.Errorf("reads after a failed write: %v", err)
	}
}

// Times with and without fractional seconds sort as times, not as text.
func TestListOrdersByTime(t *testing.T) {
	s := open(t, Memory)
	addSession(t, s, "a")
	mk := func(ref string, at time.Time) Item {
		return Item{Ref: ref, CreatedAt: at, Data: json.RawMessage(`{"reference":"` + ref + `"}`)}
	}
	commit(t, s, "a", []Item{mk("whole", t0), mk("half", t0.Add(500*time.Millisecond)), mk("before", t0.Add(-time.Nanosecond))}, `null`)
	got, _, _, err := s.List(context.Background(), Query{SessionID: "a", Resource: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, it := range got {
		var p struct{ Reference string }
		json.Unmarshal(it, &p)
		refs = append(refs, p.Reference)
	}
	if strings.Join(refs, ",") != "half,whole,before" {
		t.Errorf("order %v", refs)
	}
}

// A long sync must not grow the WAL without bound, and pages committed
// while a reader is open are all readable.
func TestWALStaysBoundedDuringLongWrite(t *testing.T) {
	oldIdle := idleTruncate
	idleTruncate = 100 * time.Millisecond
	t.Cleanup(func() { idleTruncate = oldIdle })
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	ctx := context.Background()
	if err := s.PutSession(ctx, Session{ID: "s", Provider: "p", Name: "n", CreatedAt: t0, PageSize: 100, Config: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	data := json.RawMessage(`{"pad":"` + strings.Repeat("x", 2000) + `"}`)
	var maxWAL int64
	const pages = 150 // 15,000 items of 2 KB: about 9,000 WAL frames
	for p := range pages {
		items := make([]Item, 100)
		for i := range items {
			n := p*100 + i
			items[i] = Item{Ref: fmt.Sprintf("txn_%016x", uint64(n)*0x9E3779B97F4A7C15), CreatedAt: t0.Add(time.Duration(n) * time.Second), Data: data}
		}
		last, err := s.CommitPage(ctx, "payments", items, State{SessionID: "s", Key: "payments", Resource: "payments", State: json.RawMessage(fmt.Sprintf(`{"p":%d}`, p)), UpdatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		// Page by page, as fetch/next commits: one transaction each.
		s.Kick()
		if err := <-last; err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil {
		maxWAL = max(maxWAL, fi.Size())
	}
	// Items go to their logs, not to SQLite: its WAL holds state rows
	// only, and its automatic checkpoints keep it small.
	if limit := int64(32 << 20); maxWAL > limit {
		t.Errorf("WAL grew to %d bytes, more than %d", maxWAL, limit)
	}
	_, _, total, err := s.List(ctx, Query{SessionID: "s", Resource: "payments", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if total != pages*100 {
		t.Errorf("stored %d items, want %d", total, pages*100)
	}
	t.Logf("largest WAL seen: %.1f MiB", float64(maxWAL)/(1<<20))

	// Idle, the store truncates its WAL: a long sync leaves none behind.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() != 0 {
		t.Errorf("WAL not truncated once idle: %v, %v", fi.Size(), err)
	}
}

// A closed session's items go at once: its index entries in one range
// deletion, its log file with them. A log left by a crash between the
// two goes at the next Open.
func TestDeletedSessionItemsGoAndOrphanLogsAreSweptOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	ctx := context.Background()
	for _, id := range []string{"gone", "kept"} {
		addSession(t, s, id)
		items := make([]Item, 500)
		for i := range items {
			items[i] = payment(i, "SUCCEEDED", "acc")
		}
		commit(t, s, id, items, `{"c":1}`)
	}
	key, _, err := s.sessionKey(ctx, s.db, "gone")
	if err != nil {
		t.Fatal(err)
	}
	logFile := s.items.logPath(key)
	if _, err := os.Stat(logFile); err != nil {
		t.Fatalf("no log for the session: %v", err)
	}
	if err := s.DeleteSession(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(logFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the closed session's log is still there: %v", err)
	}
	if n, err := s.Count(ctx, "kept", "payments"); err != nil || n != 500 {
		t.Fatalf("the other session has %d items, %v", n, err)
	}

	// A log whose session is gone, with index entries, as a crash between
	// the SQLite commit and the file's removal would leave it.
	orphan := s.items.newGroup()
	if err := orphan.put(key, "payments", []Item{payment(1, "PENDING", "acc")}); err != nil {
		t.Fatal(err)
	}
	if err := orphan.commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	if _, err := os.Stat(logFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the orphaned log was not swept: %v", err)
	}
	if kinds, err := s.items.kinds(key); err != nil || len(kinds) != 0 {
		t.Fatalf("index entries of the gone session: %v %v", kinds, err)
	}
	if n, err := s.Count(ctx, "kept", "payments"); err != nil || n != 500 {
		t.Fatalf("after the sweep the other session has %d items, %v", n, err)
	}
}

// The log is the items' truth and the index is derived from it: records a
// crash left past the index's length are indexed at Open, and a torn
// record at the end, never acknowledged, is cut off.
func TestItemsPastTheIndexAreRecoveredOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	ctx := context.Background()
	addSession(t, s, "a")
	commit(t, s, "a", []Item{payment(1, "PENDING", "acc"), payment(2, "PENDING", "acc")}, `{"c":1}`)
	key, _, err := s.sessionKey(ctx, s.db, "a")
	if err != nil {
		t.Fatal(err)
	}
	logFile := s.items.logPath(key)
	s.Close()

	// Written to the log, never indexed: a newer pay_001, a new pay_003,
	// then half a record.
	f, err := os.OpenFile(logFile, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, it := range []Item{payment(1, "SUCCEEDED", "acc"), payment(3, "PENDING", "acc")} {
		b = appendRecord(b, resourceKind("payments"), "payments", it)
	}
	whole := len(b)
	b = appendRecord(b, resourceKind("payments"), "payments", payment(4, "PENDING", "acc"))
	if _, err := f.Write(b[:whole+10]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, _ := os.Stat(logFile)

	s = open(t, path)
	items, _, total, err := s.List(ctx, Query{SessionID: "a", Resource: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, string(it))
	}
	want := []string{`{"reference":"pay_003","status":"PENDING"}`, `{"reference":"pay_002","status":"PENDING"}`, `{"reference":"pay_001","status":"SUCCEEDED"}`}
	if diff := cmp.Diff(want, got); diff != "" || total != 3 {
		t.Errorf("after recovery, total %d (-want +got):\n%s", total, diff)
	}
	after, err := os.Stat(logFile)
	if err != nil || after.Size() != before.Size()-int64(whole+10-whole) {
		t.Errorf("log %d bytes after recovery, want the torn record (10 bytes) cut from %d", after.Size(), before.Size())
	}
	// New pages go after the cut, and are read back.
	commit(t, s, "a", []Item{payment(5, "PENDING", "acc")}, `{"c":2}`)
	if n, err := s.Count(ctx, "a", "payments"); err != nil || n != 4 {
		t.Errorf("count %d (%v), want 4", n, err)
	}
}

// Purged items stay purged across a restart: their records are still in
// the log, below the index's length, and are not indexed again.
func TestPurgedItemsStayPurgedAfterReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	ctx := context.Background()
	addSession(t, s, "a")
	commit(t, s, "a", []Item{payment(1, "PENDING", "acc"), payment(2, "PENDING", "acc")}, `{"c":1}`)
	if err := s.PutItems(ctx, "a", "accounts", []Item{{Ref: "acc", CreatedAt: t0, Data: json.RawMessage(`{"reference":"acc"}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStates(ctx, "a", "payments", true); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	if n, err := s.Count(ctx, "a", "payments"); err != nil || n != 0 {
		t.Errorf("%d purged payments back after a restart (%v)", n, err)
	}
	if n, err := s.Count(ctx, "a", "accounts"); err != nil || n != 1 {
		t.Errorf("%d accounts, want the unpurged 1 (%v)", n, err)
	}
}

// The items' index is one process's at a time: a second Open waits for
// the first to close (a restarted daemon meets the old one closing), and
// fails clearly if it does not.
func TestSecondOpenWaitsThenFails(t *testing.T) {
	old := lockWait
	lockWait = 300 * time.Millisecond
	t.Cleanup(func() { lockWait = old })
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	start := time.Now()
	if _, err := Open(path); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "another switchboard process") {
		t.Fatalf("second open: %v", err)
	}
	if waited := time.Since(start); waited < lockWait {
		t.Errorf("gave up after %v, before %v", waited, lockWait)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.Close()
	}()
	s2, err := Open(path)
	if err != nil {
		t.Fatalf("open after the first closed: %v", err)
	}
	s2.Close()
}

// Re-fetching a session's items leaves their old records behind; once the
// store is idle, the blocks under them are given back (holes punched) and
// their stale created-at entries deleted, and everything still reads the
// same, before and after a restart.
func TestSupersededRecordsAreCompactedWhenIdle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("holes are punched on Linux only")
	}
	oldMin, oldIdle := compactMinBytes, idleTruncate
	compactMinBytes, idleTruncate = 1<<20, 50*time.Millisecond
	t.Cleanup(func() { compactMinBytes, idleTruncate = oldMin, oldIdle })
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	ctx := context.Background()
	addSession(t, s, "a")
	pad := strings.Repeat("x", 2000)
	page := func(pass int) []Item {
		items := make([]Item, 1000)
		for i := range items {
			it := payment(i, fmt.Sprintf("PASS%d", pass), "acc")
			it.CreatedAt = it.CreatedAt.Add(time.Duration(pass) * time.Hour) // each pass moves every item in time
			it.Data = json.RawMessage(fmt.Sprintf(`{"reference":%q,"pass":%d,"pad":%q}`, it.Ref, pass, pad))
			items[i] = it
		}
		return items
	}
	key, _, _ := s.sessionKey(ctx, s.db, "a")
	logFile := s.items.logPath(key)
	var dones []<-chan error
	for pass := 1; pass <= 4; pass++ {
		for i := 0; i < 1000; i += 100 {
			done, err := s.CommitPage(ctx, "payments", page(pass)[i:i+100], State{SessionID: "a", Key: "payments", Resource: "payments", State: json.RawMessage(fmt.Sprintf(`{"pass":%d}`, pass)), UpdatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			dones = append(dones, done)
		}
	}
	s.Kick()
	for _, done := range dones {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	fi, _ := os.Stat(logFile)
	before, size := diskBytes(fi), fi.Size()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if fi, _ := os.Stat(logFile); diskBytes(fi) < before/2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fi, _ = os.Stat(logFile)
	if after := diskBytes(fi); after >= before/2 || fi.Size() != size {
		t.Fatalf("log on disk %d bytes, was %d; size %d, was %d: three passes of four are superseded, and offsets must not move", after, before, fi.Size(), size)
	}
	if err := s.TakeError(); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		items, _, total, err := s.List(ctx, Query{SessionID: "a", Resource: "payments", Limit: 1000})
		if err != nil || total != 1000 || len(items) != 1000 {
			t.Fatalf("list: %d of %d, %v", len(items), total, err)
		}
		for _, it := range items {
			if !strings.Contains(string(it), `"pass":4`) {
				t.Fatalf("a superseded record listed: %.60s", it)
			}
		}
		n := 0
		if err := s.Each(ctx, "a", "", func(_ string, data json.RawMessage) error {
			n++
			if !strings.Contains(string(data), `"pass":4`) {
				t.Fatalf("a superseded record exported: %.60s", data)
			}
			return nil
		}); err != nil || n != 1000 {
			t.Fatalf("export: %d items, %v", n, err)
		}
	}
	check(s)
	// The stale created-at entries are gone: one per item is left.
	cp := append(sessionPrefix(key), tagCreated)
	it, err := s.items.db.NewIter(&pebble.IterOptions{LowerBound: cp, UpperBound: prefixEnd(cp)})
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for ok := it.First(); ok; ok = it.Next() {
		entries++
	}
	it.Close()
	if entries != 1000 {
		t.Errorf("%d created-at entries, want 1000", entries)
	}
	s.Close()
	s = open(t, path)
	check(s)
	commit(t, s, "a", page(5)[:10], `{"pass":5}`)
	if n, err := s.Count(ctx, "a", "payments"); err != nil || n != 1000 {
		t.Errorf("count after another page: %d, %v", n, err)
	}
}

// Readers run alongside the writer and compaction: every list and export
// sees whole, current items (run with -race).
func TestReadsDuringWritesAndCompaction(t *testing.T) {
	oldMin := compactMinBytes
	compactMinBytes = 1 << 16
	t.Cleanup(func() { compactMinBytes = oldMin })
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	ctx := context.Background()
	addSession(t, s, "a")
	key, _, _ := s.sessionKey(ctx, s.db, "a")
	stop := make(chan struct{})
	var readers sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				items, _, total, err := s.List(ctx, Query{SessionID: "a", Resource: "payments", Limit: 50})
				if err == nil && len(items) > total {
					err = fmt.Errorf("%d items of a total of %d", len(items), total)
				}
				if err == nil {
					err = s.Each(ctx, "a", "payments", func(_ string, data json.RawMessage) error {
						if !json.Valid(data) {
							return fmt.Errorf("torn item %q", data)
						}
						return nil
					})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for pass := 0; pass < 6; pass++ {
		items := make([]Item, 200)
		for i := range items {
			items[i] = payment(i, fmt.Sprintf("P%d", pass), "acc")
			items[i].Data = json.RawMessage(fmt.Sprintf(`{"reference":%q,"pass":%d,"pad":%q}`, items[i].Ref, pass, strings.Repeat("y", 500)))
		}
		commit(t, s, "a", items, fmt.Sprintf(`{"pass":%d}`, pass))
		if err := s.run(ctx, func(*wtx) error { _, err := s.items.compact(key, true); return err }); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	readers.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if n, err := s.Count(ctx, "a", "payments"); err != nil || n != 200 {
		t.Fatalf("count %d, %v", n, err)
	}
}

// An export that started before its items were fetched again still reads
// the records it saw: compaction punches no hole while a reader is at
// work, and does once it is done.
func TestCompactionWaitsForReaders(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	ctx := context.Background()
	addSession(t, s, "a")
	key, _, _ := s.sessionKey(ctx, s.db, "a")
	pass := func(n int) []Item {
		items := make([]Item, 100)
		for i := range items {
			items[i] = payment(i, fmt.Sprintf("P%d", n), "acc")
			items[i].Data = json.RawMessage(fmt.Sprintf(`{"pass":%d,"pad":%q}`, n, strings.Repeat("z", 4000)))
		}
		return items
	}
	commit(t, s, "a", pass(1), `{"p":1}`)
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var seen []string
	go func() {
		first := true
		done <- s.Each(ctx, "a", "payments", func(_ string, data json.RawMessage) error {
			if first {
				first = false
				close(started)
				<-release
			}
			seen = append(seen, string(data))
			return nil
		})
	}()
	<-started
	commit(t, s, "a", pass(2), `{"p":2}`)
	compact := func() compactStats {
		t.Helper()
		var st compactStats
		if err := s.run(ctx, func(*wtx) error {
			var err error
			st, err = s.items.compact(key, true)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := compact(); st.punched != 0 {
		t.Fatalf("punched %d bytes under a reader", st.punched)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the export that began before the re-fetch: %v", err)
	}
	if len(seen) != 100 || !strings.Contains(seen[99], `"pass":1`) {
		t.Fatalf("export saw %d items, last %.20s", len(seen), seen[len(seen)-1])
	}
	if runtime.GOOS == "linux" {
		if st := compact(); st.punched == 0 {
			t.Errorf("nothing punched once the reader was done: %+v", st)
		}
	}
}

// A page whose records cannot be written fails, and leaves no index entry
// pointing at them: the items stored before still read.
func TestFailedLogWriteIndexesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	ctx := context.Background()
	addSession(t, s, "a")
	commit(t, s, "a", []Item{payment(1, "PENDING", "acc"), payment(2, "PENDING", "acc")}, `{"c":1}`)
	key, _, _ := s.sessionKey(ctx, s.db, "a")
	l, _, err := s.items.log(key, false)
	if err != nil {
		t.Fatal(err)
	}
	l.f.Close() // every write to it fails from now on
	done, err := s.CommitPage(ctx, "payments", []Item{payment(3, "PENDING", "acc")}, State{SessionID: "a", Key: "payments", Resource: "payments", State: json.RawMessage(`{"c":2}`), UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	s.Kick()
	if err := <-done; err == nil {
		t.Fatal("a page written to a closed log succeeded")
	}
	s.items.mu.Lock()
	delete(s.items.logs, key) // the next access opens the file again
	s.items.mu.Unlock()
	items, _, total, err := s.List(ctx, Query{SessionID: "a", Resource: "payments"})
	if err != nil || total != 2 || len(items) != 2 {
		t.Fatalf("after the failed page: %d of %d, %v", len(items), total, err)
	}
	states, _ := s.States(ctx, "a")
	if len(states) != 1 || string(states[0].State) != `{"c":1}` {
		t.Errorf("the failed page's state was saved: %+v", states)
	}
}

// kinds returns the resource kinds a session has index entries of, in
// order (for tests that check a session left nothing behind).
func (ix *itemStore) kinds(key int64) ([]int64, error) {
	p := append(sessionPrefix(key), tagRef)
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []int64
	for ok := it.First(); ok; {
		k := it.Key()
		if len(k) < len(p)+8 {
			break
		}
		kind := int64(binary.BigEndian.Uint64(k[len(p):]))
		out = append(out, kind)
		ok = it.SeekGE(kindPrefix(key, tagRef, kind+1))
	}
	return out, it.Error()
}
