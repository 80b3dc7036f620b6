package store

import (
	"context"
	"path/filepath"
	"testing"
)

// Deleted items are gone from the count, the list and the filters, also
// after a reopen; unknown references are skipped; a deleted reference
// stored again counts once.
func TestDeleteItems(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	addSession(t, s, "a")
	commit(t, s, "a", []Item{payment(1, "PENDING", "acc_1"), payment(2, "SUCCEEDED", "acc_1"), payment(3, "PENDING", "acc_2")}, `{}`)
	if err := s.DeleteItems(ctx, "a", "payments", []string{"pay_001", "pay_999", "pay_003"}); err != nil {
		t.Fatal(err)
	}
	check := func(wantRefs ...string) {
		t.Helper()
		if c, _ := s.Count(ctx, "a", "payments"); c != len(wantRefs) {
			t.Errorf("count %d, want %d", c, len(wantRefs))
		}
		items, _, total, err := s.List(ctx, Query{SessionID: "a", Resource: "payments"})
		if err != nil || total != len(wantRefs) || len(items) != len(wantRefs) {
			t.Fatalf("list %s total %d %v, want %v", items, total, err, wantRefs)
		}
		for i, ref := range wantRefs {
			if got := string(items[i]); got != `{"reference":"`+ref+`","status":"`+map[string]string{"pay_001": "SUCCEEDED", "pay_002": "SUCCEEDED"}[ref]+`"}` {
				t.Errorf("item %d %s, want %s", i, got, ref)
			}
		}
		if _, _, pending, _ := s.List(ctx, Query{SessionID: "a", Resource: "payments", Status: "PENDING"}); pending != 0 {
			t.Errorf("%d PENDING left, want 0", pending)
		}
	}
	check("pay_002")
	s.Close()
	s = open(t, path)
	check("pay_002")
	commit(t, s, "a", []Item{payment(1, "SUCCEEDED", "acc_1")}, `{}`)
	// The list is in store order: the re-stored item comes last.
	check("pay_002", "pay_001")
}
