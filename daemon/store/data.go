package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Query selects stored items of one resource of a session, newest first.
type Query struct {
	SessionID string
	Resource  string
	Limit     int
	Cursor    string
	Status    string
	Type      string
	Asset     string
	Account   string
	After     *time.Time
	Before    *time.Time
}

// ErrBadCursor is returned for a cursor this store did not make.
var ErrBadCursor = fmt.Errorf("bad cursor")

// filtered reports whether the query has any filter.
func (q Query) filtered() bool {
	return q.Status != "" || q.Type != "" || q.Asset != "" || q.Account != "" || q.After != nil || q.Before != nil
}

// match reports whether an item's filter fields pass the query's filters
// (its time is checked by the key range).
func (q Query) match(f filterFields) bool {
	switch {
	case q.Status != "" && f.status != q.Status,
		q.Type != "" && f.typ != q.Type,
		q.Asset != "" && f.asset != q.Asset,
		q.Account != "" && !strings.Contains(f.accounts, " "+q.Account+" "):
		return false
	}
	return true
}

func unixNano(n int64) time.Time { return time.Unix(0, n).UTC() }

// CountBudget is how many index entries a filtered total counts at most:
// past it, the total is a lower bound (Page.TotalAtLeast). It keeps a
// filtered page's cost the same at a million items as at ten thousand.
const CountBudget = 10_000

// Page is one page of List.
type Page struct {
	Items []json.RawMessage
	// Next is the cursor of the next page, "" at the end.
	Next string
	// Total is the number of items matching the query: exact without
	// filters (a counter), and with filters exact unless TotalAtLeast
	// says it is a lower bound (more than CountBudget entries to count).
	Total        int
	TotalAtLeast bool
}

// List returns a page of items, the cursor of the next page ("" at the
// end) and the number of items matching the filter.
func (s *Store) List(ctx context.Context, q Query) (items []json.RawMessage, next string, total int, err error) {
	p, err := s.ListPage(ctx, q)
	return p.Items, p.Next, p.Total, err
}

// ListPage returns a page of items, newest first.
func (s *Store) ListPage(ctx context.Context, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 1000 {
		q.Limit = 1000
	}
	var curCreated int64
	var curSeq uint64
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		createdText, seqText, ok := strings.Cut(string(raw), "\x00")
		created, perr := strconv.ParseInt(createdText, 10, 64)
		seq, ierr := strconv.ParseUint(seqText, 10, 64)
		if err != nil || !ok || perr != nil || ierr != nil {
			return Page{}, ErrBadCursor
		}
		curCreated, curSeq = created, seq
	}
	page := Page{Items: []json.RawMessage{}}
	key, ok := s.sessionKey(q.SessionID)
	if !ok {
		return page, nil
	}
	kind := resourceKind(q.Resource)
	snap := s.db.NewSnapshot()
	defer snap.Close()

	cp := subPrefix(key, subCreated, kind)
	lower, upper := cp, prefixEnd(cp)
	if q.After != nil {
		lower = appendU64(bytes.Clone(cp), timeOrder(q.After.UnixNano()))
	}
	if q.Before != nil {
		upper = appendU64(bytes.Clone(cp), timeOrder(q.Before.UnixNano()))
	}
	if !q.filtered() {
		n, err := readCount(snap, key, kind)
		if err != nil {
			return Page{}, s.readErr("count items", err)
		}
		page.Total = int(n)
	} else {
		n, atLeast, err := countMatches(snap, q, lower, upper)
		if err != nil {
			return Page{}, s.readErr("count items", err)
		}
		page.Total, page.TotalAtLeast = n, atLeast
	}
	pageUpper := upper
	if q.Cursor != "" {
		c := createdKey(nil, key, kind, curCreated, curSeq)
		if bytes.Compare(c, pageUpper) < 0 {
			pageUpper = c
		}
	}
	// The page walks the created-at entries backwards (newest first; of
	// equal times, the latest written first) and reads each match's item.
	created, err := snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: pageUpper})
	if err != nil {
		return Page{}, s.readErr("list items", err)
	}
	defer created.Close()
	var ibuf []byte
	var lastCreated int64
	var lastSeq uint64
	for ok := created.Last(); ok; ok = created.Prev() {
		k := created.Key()
		if len(k) != len(cp)+16 {
			continue
		}
		f, ok := decodeFilter(created.Value())
		if !ok || !q.match(f) {
			continue
		}
		if len(page.Items) == q.Limit {
			page.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastCreated, 10) + "\x00" + strconv.FormatUint(lastSeq, 10)))
			break
		}
		at := timeFromOrder(binary.BigEndian.Uint64(k[len(cp):]))
		seq := binary.BigEndian.Uint64(k[len(cp)+8:])
		ibuf = itemKey(ibuf, key, seq)
		v, closer, err := snap.Get(ibuf)
		if err != nil {
			if errors.Is(err, pebble.ErrNotFound) {
				err = fmt.Errorf("%w: item %d of %s is indexed but missing", pebble.ErrCorruption, seq, q.Resource)
			}
			return Page{}, s.readErr("list items", err)
		}
		d, ok := decodeItem(v)
		if !ok {
			closer.Close()
			return Page{}, damaged(s.path, fmt.Errorf("item %d of %s does not decode", seq, q.Resource))
		}
		page.Items = append(page.Items, json.RawMessage(bytes.Clone(d.data)))
		closer.Close()
		lastCreated, lastSeq = at, seq
	}
	return page, s.readErr("list items", created.Error())
}

// countMatches counts the created-at entries in [lower, upper) that pass
// q's filters, up to CountBudget entries; atLeast says it stopped there.
func countMatches(r pebble.Reader, q Query, lower, upper []byte) (n int, atLeast bool, err error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	seen := 0
	for ok := it.Last(); ok; ok = it.Prev() {
		if seen == CountBudget {
			return n, true, nil
		}
		seen++
		if f, ok := decodeFilter(it.Value()); ok && q.match(f) {
			n++
		}
	}
	return n, false, it.Error()
}

func readCount(r pebble.Reader, key, kind uint64) (int64, error) {
	n, err := readU64(r, countKey(key, kind))
	return int64(n), err
}

// readU64 reads a counter entry; a missing one is 0.
func readU64(r pebble.Reader, k []byte) (uint64, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: entry %q is %d bytes, not 8", pebble.ErrCorruption, k, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// Each calls fn for every stored item of a session (of one resource, or
// all for ""), by resource and in the order they were stored, reading them
// as it goes: one sequential pass over the items.
func (s *Store) Each(ctx context.Context, sessionID, resource string, fn func(resource string, data json.RawMessage) error) error {
	// After what is queued; a full disk does not stop reads.
	if err := s.run(ctx, func(*wtx) error { return nil }); err != nil && !errors.Is(err, ErrFull) {
		return err
	}
	key, ok := s.sessionKey(sessionID)
	if !ok {
		return nil
	}
	// A session's items are in write order whatever their resource
	// (keys.go): one resource's are picked out on the way.
	p := itemPrefix(key)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return s.readErr("read items", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, ok := decodeItem(it.Value())
		if !ok {
			return damaged(s.path, fmt.Errorf("item %x does not decode", it.Key()))
		}
		if resource != "" && d.resource != resource {
			continue
		}
		if err := fn(d.resource, d.data); err != nil {
			return err
		}
	}
	return s.readErr("read items", it.Error())
}

// PutItems upserts items of one resource outside any page (data/import).
func (s *Store) PutItems(ctx context.Context, sessionID, resource string, items []Item) error {
	return s.run(ctx, func(tx *wtx) error { return s.putItems(tx, sessionID, resource, items) })
}

// putItems upserts items into the group's batch: each gets the next seq,
// and the entries of the item it supersedes, if any, are deleted.
func (s *Store) putItems(tx *wtx, sessionID, resource string, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	key, kind, n, err := s.counted(tx, sessionID, resource)
	if err != nil {
		return err
	}
	f, err := s.filter(key, kind, n+int64(len(items)))
	if err != nil {
		return err
	}
	for _, it := range items {
		rk := refKey(tx.kbuf, key, kind, it.Ref)
		tx.kbuf = rk
		ref := rk[len(rk)-len(it.Ref):]
		var old [2]uint64
		found := false
		if f.mayHave(ref) { // the group's own writes are in the filter too
			if old, found, err = tx.lookup(rk); err != nil {
				return err
			}
		}
		f.add(ref)
		if found {
			tx.del(itemKey(tx.ibuf, key, old[0]))
			tx.del(createdKey(tx.ibuf, key, kind, int64(old[1]), old[0]))
		} else {
			n++
		}
		s.seq++
		seq, created := s.seq, it.CreatedAt.UnixNano()
		tx.set(rk, refValue(tx.vbuf, seq, created))
		tx.refs[string(rk)] = [2]uint64{seq, uint64(created)}
		tx.vbuf = itemValue(tx.vbuf, resource, it)
		tx.ibuf = itemKey(tx.ibuf, key, seq)
		tx.set(tx.ibuf, tx.vbuf)
		tx.vbuf = filterValue(tx.vbuf, it)
		tx.ibuf = createdKey(tx.ibuf, key, kind, created, seq)
		tx.set(tx.ibuf, tx.vbuf)
	}
	tx.counts[[2]uint64{key, kind}] = n
	tx.set(countKey(key, kind), appendU64(nil, uint64(n)))
	tx.set(metaKey("seq"), appendU64(nil, s.seq))
	return nil
}

// counted returns the keys of a session's resource and its item count as
// the group sees it.
func (s *Store) counted(tx *wtx, sessionID, resource string) (key, kind uint64, n int64, err error) {
	key, ok := s.sessionKey(sessionID)
	if !ok {
		return 0, 0, 0, fmt.Errorf("session %s is not in the store", sessionID)
	}
	kind = resourceKind(resource)
	n, err = tx.count(key, kind)
	return key, kind, n, err
}

// lookup returns the (seq, created) of a reference's latest item, from
// the group's writes or the database.
func (tx *wtx) lookup(rk []byte) ([2]uint64, bool, error) {
	if v, ok := tx.refs[string(rk)]; ok {
		return v, v[0] != 0, nil // seq 0: deleted in this group (removals.go)
	}
	v, closer, err := tx.s.db.Get(rk)
	if errors.Is(err, pebble.ErrNotFound) {
		return [2]uint64{}, false, nil
	}
	if err != nil {
		return [2]uint64{}, false, tx.s.readErr("look up an item", err)
	}
	defer closer.Close()
	seq, created, ok := decodeRef(v)
	if !ok {
		return [2]uint64{}, false, damaged(tx.s.path, fmt.Errorf("reference entry %x does not decode", rk))
	}
	return [2]uint64{seq, uint64(created)}, true, nil
}

// count returns the item count of a session's resource as the group sees it.
func (tx *wtx) count(key, kind uint64) (int64, error) {
	k := [2]uint64{key, kind}
	if n, ok := tx.counts[k]; ok {
		return n, nil
	}
	if n, ok := tx.s.counts[k]; ok {
		return n, nil
	}
	n, err := readCount(tx.s.db, key, kind)
	if err != nil {
		return 0, tx.s.readErr("count items", err)
	}
	tx.s.counts[k] = n
	return n, nil
}

// deleteData deletes a session's items of one kind, or all its data for
// kind 0. Its job runs alone (job.alone), so the group has no writes of
// these items in memory. One kind's items are among the session's others
// (keys.go): its created-at index names them, one point deletion each.
func (tx *wtx) deleteData(key, kind uint64) error {
	tx.freeing = true
	if kind == 0 {
		for _, p := range [][]byte{dataPrefix(key), itemPrefix(key)} {
			tx.b.DeleteRange(p, prefixEnd(p), nil)
		}
	} else {
		cp := subPrefix(key, subCreated, kind)
		it, err := tx.s.db.NewIter(&pebble.IterOptions{LowerBound: cp, UpperBound: prefixEnd(cp)})
		if err != nil {
			return tx.s.readErr("delete items", err)
		}
		for ok := it.First(); ok; ok = it.Next() {
			if k := it.Key(); len(k) == len(cp)+16 {
				tx.b.Delete(itemKey(tx.ibuf, key, binary.BigEndian.Uint64(k[len(cp)+8:])), nil)
			}
		}
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return tx.s.readErr("delete items", err)
		}
		for _, sub := range []byte{subRef, subCreated} {
			p := subPrefix(key, sub, kind)
			tx.b.DeleteRange(p, prefixEnd(p), nil)
		}
		tx.del(countKey(key, kind))
	}
	tx.cleared = append(tx.cleared, func() {
		for k := range tx.s.counts {
			if k[0] == key && (kind == 0 || k[1] == kind) {
				delete(tx.s.counts, k)
			}
		}
		for k := range tx.s.filters {
			if k[0] == key && (kind == 0 || k[1] == kind) {
				delete(tx.s.filters, k)
			}
		}
	})
	return nil
}

// Count returns the number of stored items of a session's resource.
func (s *Store) Count(ctx context.Context, sessionID, resource string) (int, error) {
	key, ok := s.sessionKey(sessionID)
	if !ok {
		return 0, nil
	}
	n, err := readCount(s.db, key, resourceKind(resource))
	return int(n), s.readErr("count items", err)
}

// DeleteItems deletes items of one resource by reference, outside any
// page (a webhook's payments to delete); unknown references are skipped.
func (s *Store) DeleteItems(ctx context.Context, sessionID, resource string, refs []string) error {
	return s.run(ctx, func(tx *wtx) error { return s.deleteRefs(tx, sessionID, resource, refs) })
}
