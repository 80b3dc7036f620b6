package capture

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRingKeepsTheNewest compares the ring with a plain slice of every
// value added, cut to its last capacity values, before and after it fills.
func TestRingKeepsTheNewest(t *testing.T) {
	even := func(v *int) bool { return *v%2 == 0 }
	for _, tc := range []struct {
		name      string
		capacity  int
		added     int
		n         int
		keep      func(*int) bool
		wantAlloc int // len of the buffer: it grows only as values come
	}{
		{name: "empty", capacity: 5, added: 0, wantAlloc: 0},
		{name: "under capacity", capacity: 5, added: 3, wantAlloc: 3},
		{name: "exactly full", capacity: 5, added: 5, wantAlloc: 5},
		{name: "wrapped", capacity: 5, added: 13, wantAlloc: 5},
		{name: "wrapped, last 2", capacity: 5, added: 13, n: 2, wantAlloc: 5},
		{name: "under capacity, last 2 even", capacity: 8, added: 7, n: 2, keep: even, wantAlloc: 7},
		{name: "wrapped, even", capacity: 4, added: 11, keep: even, wantAlloc: 4},
		{name: "capacity 0 is 1", capacity: 0, added: 3, wantAlloc: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRing[int](tc.capacity)
			var all []int
			for i := range tc.added {
				r.Add(i)
				all = append(all, i)
			}
			kept := all[max(0, len(all)-max(tc.capacity, 1)):]
			var want []int
			for i := len(kept) - 1; i >= 0 && (tc.n <= 0 || len(want) < tc.n); i-- {
				if tc.keep == nil || tc.keep(&kept[i]) {
					want = append([]int{kept[i]}, want...)
				}
			}
			got := r.Last(tc.n, tc.keep)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Last(%d) (-want +got):\n%s", tc.n, diff)
			}
			if len(r.buf) != tc.wantAlloc {
				t.Errorf("buffer holds %d values, want %d", len(r.buf), tc.wantAlloc)
			}
		})
	}
}
