package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

// A payments page that deletes stored payments: they are gone from List,
// Count, Get and Each with the page's state, and stay gone after a reopen
// (the deletion is in the page's own commit, not a later one).
func TestPageDeletionsAreCommittedWithThePageAndSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	ctx := context.Background()
	addSession(t, s, "a")
	commit(t, s, "a", []Item{payment(1, "PENDING", "acc"), payment(2, "PENDING", "acc"), payment(3, "PENDING", "acc")}, `{"c":1}`)
	st := State{SessionID: "a", Key: "payments", Resource: "payments", State: json.RawMessage(`{"c":2}`), Pages: 2, Items: 4, UpdatedAt: t0}
	done, err := s.CommitPageDeleting(ctx, "payments", []Item{payment(4, "PENDING", "acc")}, []string{"pay_001", "pay_003", "pay_404"}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		items, _, total, err := s.List(ctx, Query{SessionID: "a", Resource: "payments"})
		if err != nil || total != 2 || len(items) != 2 {
			t.Fatalf("%s: list total %d, %d items (%v), want pay_004 and pay_002", when, total, len(items), err)
		}
		var refs []string
		for _, it := range items {
			var p struct{ Reference string }
			json.Unmarshal(it, &p)
			refs = append(refs, p.Reference)
		}
		if refs[0] != "pay_004" || refs[1] != "pay_002" {
			t.Errorf("%s: listed %v", when, refs)
		}
		if _, ok, err := s.Get(ctx, "a", "payments", "pay_001"); ok || err != nil {
			t.Errorf("%s: deleted pay_001 still found (%v)", when, err)
		}
		if got, ok, err := s.Get(ctx, "a", "payments", "pay_002"); !ok || err != nil || string(got) != string(payment(2, "PENDING", "acc").Data) {
			t.Errorf("%s: Get pay_002 = %s %v %v", when, got, ok, err)
		}
		n := 0
		if err := s.Each(ctx, "a", "payments", func(string, json.RawMessage) error { n++; return nil }); err != nil || n != 2 {
			t.Errorf("%s: Each saw %d items (%v), want 2", when, n, err)
		}
		states, _ := s.States(ctx, "a")
		if len(states) != 1 || string(states[0].State) != `{"c":2}` {
			t.Errorf("%s: states %+v", when, states)
		}
	}
	check("before reopen")
	s.Close()
	s = open(t, path)
	check("after reopen")
}
