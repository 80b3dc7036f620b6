package store

import (
	"hash/maphash"
	"math/bits"

	"github.com/cockroachdb/pebble/v2"
)

// A Bloom filter, per session and resource, of the references stored: an
// upsert must know whether its reference is new (the count, and the old
// entries to delete), and a lookup in the database for every item of a
// sync was a third of the daemon's CPU, though nearly all are new. The
// filter answers "not there" for those without a read; a "maybe" is
// looked up. It is the writer goroutine's own, built from the 'r' entries
// on first use and rebuilt, twice as large, when it fills.
type refFilter struct {
	words []uint64
	mask  uint64 // bits - 1 (a power of two)
	n     int64  // references added
	cap   int64  // references it was sized for
}

var refSeed = maphash.MakeSeed()

const refFilterProbes = 7 // ~1% false positives at 10 bits a reference

func newRefFilter(capacity int64) *refFilter {
	capacity = max(capacity, 1<<14)
	nbits := uint64(1) << bits.Len64(uint64(capacity*10)-1)
	return &refFilter{words: make([]uint64, nbits/64), mask: nbits - 1, cap: capacity}
}

func (f *refFilter) probes(ref []byte, fn func(bit uint64) bool) bool {
	h := maphash.Bytes(refSeed, ref)
	h1, h2 := h, h>>32|h<<32|1
	for i := uint64(0); i < refFilterProbes; i++ {
		if !fn((h1 + i*h2) & f.mask) {
			return false
		}
	}
	return true
}

func (f *refFilter) add(ref []byte) {
	f.probes(ref, func(b uint64) bool { f.words[b/64] |= 1 << (b % 64); return true })
	f.n++
}

func (f *refFilter) mayHave(ref []byte) bool {
	return f.probes(ref, func(b uint64) bool { return f.words[b/64]&(1<<(b%64)) != 0 })
}

// filter returns the reference filter of a session's resource, building it
// from the stored references, with room for n of them, when it has none or
// it is full.
func (s *Store) filter(key, kind uint64, n int64) (*refFilter, error) {
	k := [2]uint64{key, kind}
	f := s.filters[k]
	if f != nil && f.n < f.cap {
		return f, nil
	}
	f = newRefFilter(2 * max(n, f.sizeHint()))
	p := subPrefix(key, subRef, kind)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, s.readErr("read references", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		f.add(it.Key()[len(p):])
	}
	if err := it.Close(); err != nil {
		return nil, s.readErr("read references", err)
	}
	s.filters[k] = f
	return f, nil
}

func (f *refFilter) sizeHint() int64 {
	if f == nil {
		return 0
	}
	return f.cap
}
