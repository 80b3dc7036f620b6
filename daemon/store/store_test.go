package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

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
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("store directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
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
	exported := eachItem(t, s, "a")
	if diff := cmp.Diff([]string{"payments " + want[2], "payments " + want[1], "payments " + want[0]}, exported); diff != "" {
		t.Errorf("export, oldest first (-want +got):\n%s", diff)
	}
}

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
	// The items themselves, not only the counters: a session's items of
	// every resource share one key range, so the purge deleted the
	// payments one by one among the accounts.
	left := eachItem(t, s, "a")
	if want := []string{`accounts {"reference":"acc"}`}; !slices.Equal(left, want) {
		t.Errorf("stored items after the purge %q, want %q", left, want)
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

func TestReadsDuringWrites(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	ctx := context.Background()
	addSession(t, s, "a")
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

// eachItem is a session's export: "resource json" per stored item, oldest
// first.
func eachItem(t *testing.T, s *Store, session string) []string {
	t.Helper()
	var got []string
	if err := s.Each(context.Background(), session, "", func(resource string, data json.RawMessage) error {
		got = append(got, resource+" "+string(data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
