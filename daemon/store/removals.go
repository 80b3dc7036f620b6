package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// A payments page may delete stored payments (the provider no longer has
// them) or cancel them. A cancellation is the payment written again with
// its new status, an ordinary item; a deletion drops the reference's index
// entry in the page's own commit, so that the state after the page is
// never saved without it. The record stays in the log, unreachable, as
// with DeleteStates, and compaction gives its space back.

// CommitPageDeleting is CommitPage that also deletes the stored items of
// resource named by deleted, after the page's items are written (an item
// both in the page and deleted ends up deleted).
func (s *Store) CommitPageDeleting(ctx context.Context, resource string, items []Item, deleted []string, st State) (<-chan error, error) {
	return s.enqueueJob(ctx, &job{page: true, done: make(chan error, 1), fn: func(tx *wtx) error {
		if err := s.putItems(ctx, tx, st.SessionID, resource, items); err != nil {
			return err
		}
		if len(deleted) > 0 {
			key, ok, err := s.sessionKey(ctx, tx, st.SessionID)
			if err != nil {
				return err
			}
			if ok {
				if err := tx.items.deleteRefs(key, resource, deleted); err != nil {
					return err
				}
			}
		}
		return s.putState(context.Background(), tx.Tx, st)
	}})
}

// deleteRefs drops the reference entries of refs; their created-at entries
// are skipped by readers from then on (they name no live record).
func (g *itemGroup) deleteRefs(key int64, resource string, refs []string) error {
	if err := g.flushEntries(); err != nil {
		return err
	}
	kind := resourceKind(resource)
	b := g.b()
	for _, ref := range refs {
		g.kbuf = refIndexKey(g.kbuf, key, kind, ref)
		if err := b.Delete(g.kbuf, nil); err != nil {
			return err
		}
	}
	g.sync = true
	return nil
}

// Get returns the stored item of resource with reference ref, and whether
// there is one. Pages queued and not yet committed are not seen.
func (s *Store) Get(ctx context.Context, sessionID, resource, ref string) (json.RawMessage, bool, error) {
	key, ok, err := s.sessionKey(ctx, s.db, sessionID)
	if err != nil || !ok {
		return nil, false, wrap("get item", err)
	}
	l, ok, err := s.items.log(key, false)
	if err != nil || !ok {
		return nil, false, wrap("get item", err)
	}
	s.items.reading.RLock()
	defer s.items.reading.RUnlock()
	v, closer, err := s.items.db.Get(refIndexKey(nil, key, resourceKind(resource), ref))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap("get item", err)
	}
	r, ok := decodeRefValue(v)
	closer.Close()
	if !ok {
		return nil, false, wrap("get item", errors.New("damaged index entry"))
	}
	rec, _, err := readRecord(l.f, r.off, nil)
	if err != nil {
		return nil, false, wrap("get item", err)
	}
	return json.RawMessage(bytes.Clone(rec.data)), true, nil
}
