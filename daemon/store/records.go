package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	crerrors "github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
)

// Session is a stored session, config with its secrets.
type Session struct {
	ID        string
	Provider  string
	Name      string
	CreatedAt time.Time
	PageSize  int
	Config    json.RawMessage
}

// State is a stored state entry.
type State struct {
	SessionID   string
	Key         string
	Resource    string
	Name        string
	FromPayload json.RawMessage
	State       json.RawMessage
	HasMore     bool
	Pages       int
	Items       int
	UpdatedAt   time.Time
}

// Item is one fetched item with the fields data/list filters on.
type Item struct {
	Ref       string
	CreatedAt time.Time
	Status    string
	Type      string
	Asset     string
	// Accounts are the account references the item concerns.
	Accounts []string
	// Data is the item's wire JSON.
	Data json.RawMessage
}

// sessionValue is a session as stored: the session and its data key.
type sessionValue struct {
	Session
	Key uint64
}

// load reads the schema version, the sessions and the counters.
func (s *Store) load() error {
	v, err := s.metaU64("version")
	if err != nil {
		return s.readErr("read schema version", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: %s has schema version %d, newer than this switchboard understands (%d): upgrade switchboard, or start with another --store", ErrStore, s.path, v, SchemaVersion)
	}
	if v == 5 {
		if err := s.upgrade5(); err != nil {
			return err
		}
		v = SchemaVersion
	}
	if v == 0 && s.readOnly == "" {
		b := s.db.NewBatch()
		b.Set(metaKey("version"), appendU64(nil, SchemaVersion), nil)
		if err := b.Commit(s.syncOpt()); err != nil {
			return wrap("write schema version", err)
		}
	}
	if s.seq, err = s.metaU64("seq"); err != nil {
		return s.readErr("read counters", err)
	}
	if s.nextKey, err = s.metaU64("nextKey"); err != nil {
		return s.readErr("read counters", err)
	}
	p := []byte{tagSession}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return s.readErr("list sessions", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		var sv sessionValue
		if err := json.Unmarshal(it.Value(), &sv); err != nil {
			return damaged(s.path, fmt.Errorf("session %q does not decode: %v", it.Key()[1:], err))
		}
		s.keys[sv.ID], s.sessions[sv.ID] = sv.Key, sv.Session
		s.nextKey = max(s.nextKey, sv.Key+1)
	}
	if err := it.Error(); err != nil {
		return s.readErr("list sessions", err)
	}
	s.nextKey = max(s.nextKey, 1)
	return nil
}

func (s *Store) metaU64(name string) (uint64, error) { return readU64(s.db, metaKey(name)) }

// readErr wraps a read error; a failed checksum names the next step.
func (s *Store) readErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if isCorruption(err) {
		return damaged(s.path, fmt.Errorf("%s: %w", op, err))
	}
	return wrap(op, err)
}

// isCorruption reports a failed checksum or a missing file: Pebble marks
// them with cockroachdb/errors, which the standard errors.Is cannot see.
func isCorruption(err error) bool {
	return crerrors.Is(err, pebble.ErrCorruption) || errors.Is(err, pebble.ErrCorruption)
}

func (s *Store) syncOpt() *pebble.WriteOptions {
	if s.noSync {
		return pebble.NoSync
	}
	return pebble.Sync
}

// PutSession inserts or replaces a session.
func (s *Store) PutSession(ctx context.Context, r Session) error {
	return s.run(ctx, func(tx *wtx) error {
		s.keyMu.Lock()
		key, ok := s.keys[r.ID]
		if !ok {
			key = s.nextKey
			s.nextKey++
			tx.set(metaKey("nextKey"), appendU64(nil, s.nextKey))
		}
		s.keyMu.Unlock()
		r.CreatedAt = r.CreatedAt.UTC()
		if old, ok := s.session(r.ID); ok {
			r.CreatedAt = old.CreatedAt // as SQLite's upsert kept it
		}
		v, err := json.Marshal(sessionValue{Session: r, Key: key})
		if err != nil {
			return err
		}
		tx.set(sessionKeyOf(r.ID), v)
		// The maps run ahead of the commit (a page queued after this job
		// may be in its batch); a failed commit reloads them.
		s.keyMu.Lock()
		s.keys[r.ID], s.sessions[r.ID] = key, r
		s.keyMu.Unlock()
		return nil
	})
}

func (s *Store) session(id string) (Session, bool) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	r, ok := s.sessions[id]
	return r, ok
}

// sessionKey returns the data key of a session; ok is false for a session
// the store does not know.
func (s *Store) sessionKey(id string) (key uint64, ok bool) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	key, ok = s.keys[id]
	return key, ok
}

// DeleteSession deletes a session with its states and items, after every
// commit queued before it, so none of them resurrects its data. It runs
// alone, in a batch of its own.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.runAlone(ctx, func(tx *wtx) error {
		key, ok := s.sessionKey(id)
		if !ok {
			return nil
		}
		tx.freeing = true
		tx.del(sessionKeyOf(id))
		p := statePrefix(id)
		tx.b.DeleteRange(p, prefixEnd(p), nil)
		w := webhookPrefix(id)
		tx.b.DeleteRange(w, prefixEnd(w), nil)
		if err := tx.deleteData(key, 0); err != nil {
			return err
		}
		s.keyMu.Lock()
		delete(s.keys, id)
		delete(s.sessions, id)
		s.keyMu.Unlock()
		return nil
	})
}

// Sessions returns every stored session, oldest first.
func (s *Store) Sessions(ctx context.Context) ([]Session, error) {
	s.keyMu.Lock()
	out := make([]Session, 0, len(s.sessions))
	for _, r := range s.sessions {
		out = append(out, r)
	}
	s.keyMu.Unlock()
	slices.SortFunc(out, func(a, b Session) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// stateValue is a state as stored.
type stateValue struct {
	Resource    string          `json:"resource"`
	Name        string          `json:"name,omitempty"`
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	State       json.RawMessage `json:"state,omitempty"`
	HasMore     bool            `json:"hasMore,omitempty"`
	Pages       int             `json:"pages,omitempty"`
	Items       int             `json:"items,omitempty"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// States returns the stored states of a session, by key.
func (s *Store) States(ctx context.Context, sessionID string) ([]State, error) {
	p := statePrefix(sessionID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, s.readErr("list states", err)
	}
	defer it.Close()
	var out []State
	for ok := it.First(); ok; ok = it.Next() {
		var v stateValue
		if err := json.Unmarshal(it.Value(), &v); err != nil {
			return nil, damaged(s.path, fmt.Errorf("a state of session %s does not decode: %v", sessionID, err))
		}
		out = append(out, State{SessionID: sessionID, Key: string(it.Key()[len(p):]), Resource: v.Resource, Name: v.Name, FromPayload: v.FromPayload,
			State: v.State, HasMore: v.HasMore, Pages: v.Pages, Items: v.Items, UpdatedAt: v.UpdatedAt})
	}
	return out, s.readErr("list states", it.Error())
}

// PutState saves one state entry now (state/set).
func (s *Store) PutState(ctx context.Context, r State) error {
	return s.run(ctx, func(tx *wtx) error { return s.putState(tx, r) })
}

func (s *Store) putState(tx *wtx, r State) error {
	if _, ok := s.sessionKey(r.SessionID); !ok {
		return fmt.Errorf("session %s is not in the store", r.SessionID)
	}
	v, err := json.Marshal(stateValue{Resource: r.Resource, Name: r.Name, FromPayload: r.FromPayload, State: r.State,
		HasMore: r.HasMore, Pages: r.Pages, Items: r.Items, UpdatedAt: r.UpdatedAt.UTC()})
	if err != nil {
		return err
	}
	tx.set(stateKey(r.SessionID, r.Key), v)
	return nil
}

// DeleteStates deletes the states of one resource of a session, or all of
// them for resource "", and with purge the stored items too. It runs
// alone, after the writes queued before it are committed, so it sees them.
func (s *Store) DeleteStates(ctx context.Context, sessionID, resource string, purge bool) error {
	return s.runAlone(ctx, func(tx *wtx) error {
		states, err := s.States(ctx, sessionID)
		if err != nil {
			return err
		}
		for _, st := range states {
			if resource == "" || st.Resource == resource {
				tx.del(stateKey(sessionID, st.Key))
			}
		}
		key, ok := s.sessionKey(sessionID)
		if !purge || !ok {
			return nil
		}
		kind := uint64(0)
		if resource != "" {
			kind = resourceKind(resource)
		}
		return tx.deleteData(key, kind)
	})
}
