package demobank

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"
)

// Advance moves the bank's clock and adds payments, for incremental syncs:
// By moves the clock forward (growth set with GrowEvery that falls due is
// applied); Payments new transactions are then dated at the new time, in
// groups of SameTime that share one created_at within one account, so
// that a connector paging by timestamp meets a group larger than its page.
type Advance struct {
	By       time.Duration
	Payments int
	// SameTime is the size of each group sharing a timestamp (1 when
	// unset: every new transaction has its own).
	SameTime int
	// Account, when set, receives every new payment; else the accounts
	// take the groups in turn. An unknown account adds nothing.
	Account string
}

// AdvanceResult is what an Advance did.
type AdvanceResult struct {
	Now    time.Time `json:"now"`
	Added  int       `json:"added"`
	Groups int       `json:"groups"`
	Total  int       `json:"totalTransactions"`
}

// maxAdvancePayments caps the payments one Advance adds.
const maxAdvancePayments = 10_000_000

// Now returns the bank's clock: its Config.Now (or the wall clock) plus
// every Advance so far.
func (b *Bank) Now() time.Time { return b.now() }

// Advance applies a; see Advance.
func (b *Bank) Advance(a Advance) AdvanceResult {
	if a.By > 0 {
		b.offset.Add(int64(a.By))
	}
	b.growLazily()
	n := min(max(a.Payments, 0), maxAdvancePayments)
	size := max(a.SameTime, 1)
	only, known := b.accIndex[a.Account]
	if a.Account != "" && !known {
		n = 0
	}
	added := n
	b.mu.Lock()
	defer b.mu.Unlock()
	groups := 0
	for n > 0 {
		k := min(size, n)
		acc := only
		if a.Account == "" {
			acc = b.growNext
			b.growNext = (b.growNext + 1) % len(b.accounts)
		}
		ts := b.tickLocked()
		group := make([]*tx, k)
		for i := range group {
			t := new(tx)
			b.genTx(acc, int64(b.gen+len(b.appended[acc])+i), t)
			t.createdAt = ts
			group[i] = t
		}
		// Transactions are ordered by created_at then id.
		slices.SortFunc(group, func(x, y *tx) int { return cmpUint(x.hid, y.hid) })
		b.appended[acc] = append(b.appended[acc], group...)
		n -= k
		groups++
	}
	total := b.gen * len(b.accounts)
	for _, ap := range b.appended {
		total += len(ap)
	}
	return AdvanceResult{Now: b.now().UTC(), Added: added, Groups: groups, Total: total}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// advanceJSON is Advance on the wire of POST /admin/clock.
type advanceJSON struct {
	AdvanceMs int64  `json:"advanceMs"`
	Payments  int    `json:"payments"`
	SameTime  int    `json:"sameTime"`
	Account   string `json:"account"`
}

// adminClock serves GET /admin/clock (the bank's time) and POST
// /admin/clock (an Advance).
func (b *Bank) adminClock(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusOK, map[string]any{"now": b.Now().UTC(), "totalTransactions": b.TotalTransactions()})
		return
	}
	var aj advanceJSON
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&aj); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "request body: "+err.Error())
		return
	}
	if aj.AdvanceMs < 0 || aj.Payments < 0 || aj.Payments > maxAdvancePayments || aj.SameTime < 0 {
		writeError(w, http.StatusUnprocessableEntity, "invalid_advance", "advanceMs, payments and sameTime must be >= 0, payments at most 10000000")
		return
	}
	writeJSON(w, http.StatusOK, b.Advance(Advance{By: time.Duration(aj.AdvanceMs) * time.Millisecond, Payments: aj.Payments, SameTime: aj.SameTime, Account: aj.Account}))
}
