package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
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

// match reports whether an item's 'r' entry passes the query's filters.
func (q Query) match(r record) bool {
	switch {
	case q.Status != "" && r.status != q.Status,
		q.Type != "" && r.typ != q.Type,
		q.Asset != "" && r.asset != q.Asset,
		q.Account != "" && !strings.Contains(r.accounts, " "+q.Account+" "),
		q.After != nil && r.created < q.After.UnixNano(),
		q.Before != nil && r.created >= q.Before.UnixNano():
		return false
	}
	return true
}

func unixNano(n int64) time.Time { return time.Unix(0, n).UTC() }

// List returns a page of items, the cursor of the next page ("" at the
// end) and the number of items matching the filter.
func (s *Store) List(ctx context.Context, q Query) (items []json.RawMessage, next string, total int, err error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 1000 {
		q.Limit = 1000
	}
	var curCreated, curOff int64
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		createdText, offText, ok := strings.Cut(string(raw), "\x00")
		created, perr := strconv.ParseInt(createdText, 10, 64)
		off, ierr := strconv.ParseInt(offText, 10, 64)
		if err != nil || !ok || perr != nil || ierr != nil {
			return nil, "", 0, ErrBadCursor
		}
		curCreated, curOff = created, off
	}
	key, ok, err := s.sessionKey(ctx, s.db, q.SessionID)
	if err != nil {
		return nil, "", 0, wrap("list items", err)
	}
	items = []json.RawMessage{}
	if !ok {
		return items, "", 0, nil
	}
	l, ok, err := s.items.log(key, false)
	if err != nil || !ok {
		return items, "", 0, wrap("list items", err)
	}
	kind := resourceKind(q.Resource)
	s.items.reading.RLock()
	defer s.items.reading.RUnlock()
	snap := s.items.db.NewSnapshot()
	defer snap.Close()

	// The total counts the latest records that match: one pass over the
	// reference entries, which carry the filtered fields.
	rp := kindPrefix(key, tagRef, kind)
	refs, err := snap.NewIter(&pebble.IterOptions{LowerBound: rp, UpperBound: prefixEnd(rp)})
	if err != nil {
		return nil, "", 0, wrap("list items", err)
	}
	defer refs.Close()
	for ok := refs.First(); ok; ok = refs.Next() {
		if r, ok := decodeRefValue(refs.Value()); ok && q.match(r) {
			total++
		}
	}
	if err := refs.Error(); err != nil {
		return nil, "", 0, wrap("count items", err)
	}

	// The page walks the created-at entries backwards (newest first; of
	// equal times, the latest written first), skipping superseded ones.
	cp := kindPrefix(key, tagCreated, kind)
	lower, upper := cp, prefixEnd(cp)
	if q.After != nil {
		lower = appendU64(bytes.Clone(cp), timeOrder(q.After.UnixNano()))
	}
	if q.Before != nil {
		upper = appendU64(bytes.Clone(cp), timeOrder(q.Before.UnixNano()))
	}
	if q.Cursor != "" {
		c := appendU64(appendU64(bytes.Clone(cp), timeOrder(curCreated)), uint64(curOff))
		if bytes.Compare(c, upper) < 0 {
			upper = c
		}
	}
	created, err := snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, "", 0, wrap("list items", err)
	}
	defer created.Close()
	var kbuf, buf []byte
	var lastCreated, lastOff int64
	for ok := created.Last(); ok; ok = created.Prev() {
		k := created.Key()
		if len(k) != len(cp)+16 {
			continue
		}
		at := timeFromOrder(binary.BigEndian.Uint64(k[len(cp):]))
		off := int64(binary.BigEndian.Uint64(k[len(cp)+8:]))
		kbuf = refIndexKey(kbuf, key, kind, string(created.Value()))
		r, ok := lookup(refs, kbuf)
		if !ok || r.off != off || !q.match(r) {
			continue
		}
		if len(items) == q.Limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastCreated, 10) + "\x00" + strconv.FormatInt(lastOff, 10)))
			break
		}
		var rec record
		rec, buf, err = readRecord(l.f, off, buf)
		if err != nil {
			return nil, "", 0, wrap("list items", err)
		}
		items = append(items, json.RawMessage(bytes.Clone(rec.data)))
		lastCreated, lastOff = at, off
	}
	return items, next, total, wrap("list items", created.Error())
}

// Each calls fn for every stored item of a session (of one resource, or
// all for ""), by resource and oldest first, reading them as it goes.
func (s *Store) Each(ctx context.Context, sessionID, resource string, fn func(resource string, data json.RawMessage) error) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	key, ok, err := s.sessionKey(ctx, s.db, sessionID)
	if err != nil || !ok {
		return wrap("read items", err)
	}
	l, ok, err := s.items.log(key, false)
	if err != nil || !ok {
		return wrap("read items", err)
	}
	s.items.reading.RLock()
	defer s.items.reading.RUnlock()
	snap := s.items.db.NewSnapshot()
	defer snap.Close()
	// Which created-at entries are current comes from one pass over the
	// reference entries (8 bytes an item, held while the export runs), not
	// a lookup per entry, which costs about 15 µs on a large index.
	kind := int64(0)
	cp := append(sessionPrefix(key), tagCreated)
	if resource != "" {
		kind = resourceKind(resource)
		cp = kindPrefix(key, tagCreated, kind)
	}
	live, err := liveOffsets(snap, key, kind)
	if err != nil {
		return wrap("read items", err)
	}
	created, err := snap.NewIter(&pebble.IterOptions{LowerBound: cp, UpperBound: prefixEnd(cp)})
	if err != nil {
		return wrap("read items", err)
	}
	defer created.Close()
	base := len(sessionPrefix(key)) + 1
	var buf []byte
	for ok := created.First(); ok; ok = created.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := created.Key()
		if len(k) != base+24 {
			continue
		}
		off := int64(binary.BigEndian.Uint64(k[base+16:]))
		if _, found := slices.BinarySearch(live, off); !found {
			continue
		}
		var rec record
		rec, buf, err = readRecord(l.f, off, buf)
		if err != nil {
			return wrap("read items", err)
		}
		if err := fn(rec.resource, bytes.Clone(rec.data)); err != nil {
			return err
		}
	}
	return wrap("read items", created.Error())
}

// PutItems upserts items of one resource outside any page (data/import).
func (s *Store) PutItems(ctx context.Context, sessionID, resource string, items []Item) error {
	return s.run(ctx, func(tx *wtx) error { return s.putItems(ctx, tx, sessionID, resource, items) })
}

// putItems appends items to the session's log in the writer's group.
func (s *Store) putItems(ctx context.Context, tx *wtx, sessionID, resource string, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	key, ok, err := s.sessionKey(ctx, tx, sessionID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("session %s is not in the store", sessionID)
	}
	return tx.items.put(key, resource, items)
}

// Count returns the number of stored items of a session's resource.
func (s *Store) Count(ctx context.Context, sessionID, resource string) (int, error) {
	key, ok, err := s.sessionKey(ctx, s.db, sessionID)
	if err != nil || !ok {
		return 0, wrap("count items", err)
	}
	p := kindPrefix(key, tagRef, resourceKind(resource))
	it, err := s.items.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return 0, wrap("count items", err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n, wrap("count items", it.Error())
}
