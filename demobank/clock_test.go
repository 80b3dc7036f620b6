package demobank

import (
	"encoding/json"
	"testing"
	"time"
)

// TestAdvanceClock: POST /admin/clock moves the clock, appends payments in
// groups sharing one created_at (within one account), found whole by a
// resumed cursor even with pages smaller than a group; growth that falls
// due as the clock moves is applied.
func TestAdvanceClock(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b, c := startBank(t, Config{Seed: 3, Accounts: 2, PaymentsPerAccount: 10, Now: func() time.Time { return start }, GrowEvery: time.Hour, GrowBy: 2})
	acc0 := b.AccountIDs()[0]
	first, cursor, _ := walk[txJSON](t, c, "/v1/accounts/"+acc0+"/transactions", 3, "")
	if len(first) != 10 {
		t.Fatalf("first walk: %d", len(first))
	}
	var now struct {
		Now time.Time `json:"now"`
	}
	c.getOK(t, "/admin/clock", &now)
	if !now.Now.Equal(start) {
		t.Fatalf("clock %s, want %s", now.Now, start)
	}
	status, raw := c.do(t, "POST", "/admin/clock", map[string]any{"advanceMs": (90 * time.Minute).Milliseconds(), "payments": 10, "sameTime": 5})
	var res AdvanceResult
	if status != 200 || json.Unmarshal(raw, &res) != nil {
		t.Fatalf("advance: %d %s", status, raw)
	}
	// One hour of growth (2) and 10 new payments in two groups of 5.
	if !res.Now.Equal(start.Add(90*time.Minute)) || res.Added != 10 || res.Groups != 2 || res.Total != 20+2+10 {
		t.Fatalf("advance result %+v", res)
	}
	more, _, _ := walk[txJSON](t, c, "/v1/accounts/"+acc0+"/transactions", 2, cursor)
	// acc0 got one grown payment and one group of five.
	if len(more) != 6 {
		t.Fatalf("resumed walk with pages of 2 found %d new, want 6", len(more))
	}
	checkOrderedUnique(t, append(first, more...))
	same := map[time.Time]int{}
	for _, x := range more {
		same[x.CreatedAt]++
		if x.CreatedAt.Before(start) {
			t.Errorf("new payment %s dated %s, before the clock", x.ID, x.CreatedAt)
		}
	}
	if same[more[len(more)-1].CreatedAt] != 5 {
		t.Errorf("no group of 5 sharing a timestamp: %v", same)
	}
	if status, _ := c.do(t, "POST", "/admin/clock", map[string]any{"payments": -1}); status != 422 {
		t.Errorf("negative payments: %d", status)
	}
}
