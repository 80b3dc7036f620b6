package capture

import "sync"

// Ring keeps the last N values; older ones fall off. It is what keeps a
// session's exchanges, logs and calls bounded however long a sync runs.
// Its buffer grows as values come, up to N: an idle session's rings hold
// nothing (10,000 sessions would otherwise take gigabytes).
type Ring[T any] struct {
	mu   sync.Mutex
	size int // capacity
	buf  []T // len(buf) < size until the ring first fills; guarded by mu
	next int // index of the next write once full; guarded by mu
}

// NewRing returns a ring of capacity n (at least 1).
func NewRing[T any](n int) *Ring[T] {
	return &Ring[T]{size: max(n, 1)}
}

// Add appends v, dropping the oldest value when full.
func (r *Ring[T]) Add(v T) {
	r.mu.Lock()
	if len(r.buf) < r.size {
		r.buf = append(r.buf, v)
	} else {
		r.buf[r.next] = v
		r.next = (r.next + 1) % r.size
	}
	r.mu.Unlock()
}

// Last returns up to n of the newest values that keep passes, oldest
// first. n <= 0 means all.
func (r *Ring[T]) Last(n int, keep func(*T) bool) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Before the ring fills, next is 0 and the newest value is the last
	// of buf; after, it is just before next. Both are (next-i) mod len.
	size := len(r.buf)
	var out []T
	for i := 1; i <= size && (n <= 0 || len(out) < n); i++ {
		v := &r.buf[(r.next-i+size)%size]
		if keep == nil || keep(v) {
			out = append(out, *v)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Find returns the newest value that match passes.
func (r *Ring[T]) Find(match func(*T) bool) (T, bool) {
	got := r.Last(1, match)
	if len(got) == 0 {
		var zero T
		return zero, false
	}
	return got[0], true
}
