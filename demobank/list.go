package demobank

import (
	"encoding/base64"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Transactions are ordered by (created_at, id) ascending, globally and per
// account. A cursor is the position of the last item a client saw, not an
// offset, so items appended later (always with a later created_at) are
// found by a client resuming from an old cursor, and nothing shifts under
// a client paging while the bank grows.

// position is a decoded transaction cursor.
type position struct {
	micros int64
	id     string
}

var errBadCursor = errors.New("invalid cursor")

func encodeTxCursor(micros int64, id []byte) string {
	raw := make([]byte, 0, 48)
	raw = append(raw, 't')
	raw = strconv.AppendInt(raw, micros, 10)
	raw = append(raw, ':')
	raw = append(raw, id...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeTxCursor(s string) (position, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 3 || raw[0] != 't' {
		return position{}, errBadCursor
	}
	num, id, ok := strings.Cut(string(raw[1:]), ":")
	if !ok || id == "" {
		return position{}, errBadCursor
	}
	micros, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return position{}, errBadCursor
	}
	return position{micros: micros, id: id}, nil
}

func encodeOffsetCursor(n int) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt([]byte{'o'}, int64(n), 10))
}

func decodeOffsetCursor(s string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 2 || raw[0] != 'o' {
		return 0, errBadCursor
	}
	n, err := strconv.Atoi(string(raw[1:]))
	if err != nil || n < 0 {
		return 0, errBadCursor
	}
	return n, nil
}

// txLen is the number of transactions of account a. Callers hold b.mu.
func (b *Bank) txLen(a int) int { return b.gen + len(b.appended[a]) }

// timeAt is the created-at of the p-th transaction of account a.
func (b *Bank) timeAt(a, p int) int64 {
	if p < b.gen {
		return b.genTime(a, int64(p))
	}
	return b.appended[a][p-b.gen].createdAt
}

// idAt appends the id of the p-th transaction of account a to dst.
func (b *Bank) idAt(dst []byte, a, p int) []byte {
	if p < b.gen {
		return appendHex16(append(dst, "txn_"...), mix(b.cfg.Seed, saltTxID, uint64(a), uint64(p)))
	}
	return appendTxID(dst, b.appended[a][p-b.gen])
}

// txAt fills t with the p-th transaction of account a.
func (b *Bank) txAt(a, p int, t *tx) {
	if p < b.gen {
		b.genTx(a, int64(p), t)
		return
	}
	*t = *b.appended[a][p-b.gen]
}

// seek returns the first position in account a after c.
func (b *Bank) seek(a int, c position) int {
	var scratch [64]byte
	return sort.Search(b.txLen(a), func(p int) bool {
		ct := b.timeAt(a, p)
		if ct != c.micros {
			return ct > c.micros
		}
		return string(b.idAt(scratch[:0], a, p)) > c.id
	})
}

// head is the next unread transaction of one account during a merge. It
// holds only the sort key: the transaction itself is made when it is
// written, and heads are swapped around the heap.
type head struct {
	a, p, n int
	micros  int64
	idLen   int
	id      [28]byte
}

func (h *head) load(b *Bank) {
	h.micros = b.timeAt(h.a, h.p)
	h.idLen = len(b.idAt(h.id[:0], h.a, h.p))
}

func (h *head) less(o *head) bool {
	if h.micros != o.micros {
		return h.micros < o.micros
	}
	return string(h.id[:h.idLen]) < string(o.id[:o.idLen])
}

var headPool = sync.Pool{New: func() any { return new([]head) }}

// appendTxPage merges the transactions of the given accounts (all when
// accounts is nil) after cursor c, writes up to limit of them to dst and
// returns the cursor of the last one written and whether more follow.
// Callers hold b.mu for reading.
func (b *Bank) appendTxPage(dst []byte, accounts []int, c *position, limit int) ([]byte, string, bool) {
	hp := headPool.Get().(*[]head)
	defer headPool.Put(hp)
	hs := (*hp)[:0]
	add := func(a int) {
		p := 0
		if c != nil {
			p = b.seek(a, *c)
		}
		if n := b.txLen(a); p < n {
			hs = append(hs, head{a: a, p: p, n: n})
			hs[len(hs)-1].load(b)
		}
	}
	if accounts == nil {
		for a := range b.accounts {
			add(a)
		}
	} else {
		for _, a := range accounts {
			add(a)
		}
	}
	heapInit(hs)

	var lastID [28]byte
	var lastLen int
	var lastMicros int64
	var t tx
	written := 0
	for len(hs) > 0 && written < limit {
		h := &hs[0]
		if written > 0 {
			dst = append(dst, ',')
		}
		b.txAt(h.a, h.p, &t)
		dst = b.appendTx(dst, &t)
		written++
		lastMicros, lastLen = h.micros, copy(lastID[:], h.id[:h.idLen])
		h.p++
		if h.p < h.n {
			h.load(b)
		} else {
			hs[0] = hs[len(hs)-1]
			hs = hs[:len(hs)-1]
		}
		siftDown(hs, 0)
	}
	next := ""
	if written > 0 {
		next = encodeTxCursor(lastMicros, lastID[:lastLen])
	}
	hasMore := len(hs) > 0
	*hp = hs
	return dst, next, hasMore
}

func heapInit(hs []head) {
	for i := len(hs)/2 - 1; i >= 0; i-- {
		siftDown(hs, i)
	}
}

func siftDown(hs []head, i int) {
	n := len(hs)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && hs[r].less(&hs[l]) {
			m = r
		}
		if !hs[m].less(&hs[i]) {
			return
		}
		hs[i], hs[m] = hs[m], hs[i]
		i = m
	}
}
