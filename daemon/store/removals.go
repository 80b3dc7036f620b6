package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// A payments page may delete stored payments (the provider no longer has
// them) or cancel them. A cancellation is the payment written again with
// its new status, an ordinary item; a deletion removes the reference's
// entries in the page's own batch, so that the state after the page is
// never saved without it.

// CommitPageDeleting is CommitPage that also deletes the stored items of
// resource named by deleted, after the page's items are written (an item
// both in the page and deleted ends up deleted). A reference the store
// does not hold is skipped.
func (s *Store) CommitPageDeleting(ctx context.Context, resource string, items []Item, deleted []string, st State) (<-chan error, error) {
	return s.enqueueJob(ctx, &job{page: true, session: st.SessionID, done: make(chan error, 1), fn: func(tx *wtx) error {
		s.mu.Lock()
		failed := s.failedPages[st.SessionID]
		s.mu.Unlock()
		if failed != nil {
			return fmt.Errorf("an earlier page of the session was not stored: %w", failed)
		}
		if err := s.putItems(tx, st.SessionID, resource, items); err != nil {
			return err
		}
		if err := s.deleteRefs(tx, st.SessionID, resource, deleted); err != nil {
			return err
		}
		return s.putState(tx, st)
	}})
}

// deleteRefs deletes the latest item of each reference: its 'r', 'b' and
// 'c' entries, and one from the resource's count.
func (s *Store) deleteRefs(tx *wtx, sessionID, resource string, refs []string) error {
	key, kind, n, err := s.counted(tx, sessionID, resource)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		rk := refKey(nil, key, kind, ref)
		old, found, err := tx.lookup(rk)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		tx.del(rk)
		tx.del(itemKey(tx.ibuf, key, old[0]))
		tx.del(createdKey(tx.ibuf, key, kind, int64(old[1]), old[0]))
		// The group's later writes of ref must not find the deleted item
		// (lookup reads seq 0 as absent).
		tx.refs[string(rk)] = [2]uint64{}
		n--
	}
	tx.counts[[2]uint64{key, kind}] = n
	tx.set(countKey(key, kind), appendU64(nil, uint64(n)))
	return nil
}

// Get returns the stored item of resource with reference ref, and whether
// there is one. Pages queued and not yet committed are not seen.
func (s *Store) Get(ctx context.Context, sessionID, resource, ref string) (json.RawMessage, bool, error) {
	key, ok := s.sessionKey(sessionID)
	if !ok {
		return nil, false, nil
	}
	kind := resourceKind(resource)
	v, closer, err := s.db.Get(refKey(nil, key, kind, ref))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.readErr("get an item", err)
	}
	seq, _, ok := decodeRef(v)
	closer.Close()
	if !ok {
		return nil, false, damaged(s.path, fmt.Errorf("reference entry of %q does not decode", ref))
	}
	v, closer, err = s.db.Get(itemKey(nil, key, seq))
	if err != nil {
		return nil, false, s.readErr("get an item", err)
	}
	defer closer.Close()
	it, ok := decodeItem(v)
	if !ok {
		return nil, false, damaged(s.path, fmt.Errorf("item %q does not decode", ref))
	}
	return json.RawMessage(bytes.Clone(it.data)), true, nil
}
