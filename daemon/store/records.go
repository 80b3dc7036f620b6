package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
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

// PutSession inserts or replaces a session.
func (s *Store) PutSession(ctx context.Context, r Session) error {
	return s.run(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, provider, name, created_at, page_size, config) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, name = excluded.name, page_size = excluded.page_size, config = excluded.config`,
			r.ID, r.Provider, r.Name, r.CreatedAt.UTC().Format(time.RFC3339Nano), r.PageSize, string(r.Config))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT OR IGNORE INTO session_keys (id) VALUES (?)", r.ID)
		return err
	})
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sessionKey returns the integer key items use for a session; ok is false
// for a session the store does not know.
func (s *Store) sessionKey(ctx context.Context, q querier, id string) (key int64, ok bool, err error) {
	s.keyMu.Lock()
	key, ok = s.keys[id]
	s.keyMu.Unlock()
	if ok {
		return key, true, nil
	}
	err = q.QueryRowContext(ctx, "SELECT key FROM session_keys WHERE id = ?", id).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	s.keyMu.Lock()
	s.keys[id] = key
	s.keyMu.Unlock()
	return key, true, nil
}

// DeleteSession deletes a session with its states and items, after every
// commit queued before it, so none of them resurrects its data.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	var (
		key int64
		ok  bool
	)
	err := s.run(ctx, func(tx *sql.Tx) error {
		var err error
		if key, ok, err = s.sessionKey(ctx, tx, id); err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM session_keys WHERE id = ?", "DELETE FROM states WHERE session_id = ?", "DELETE FROM sessions WHERE id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		s.keyMu.Lock()
		delete(s.keys, id)
		s.keyMu.Unlock()
		return nil
	})
	if err != nil || !ok {
		return err
	}
	// The session is gone; its items go in the background and in
	// batches, so that deleting a million of them neither holds up the
	// answer nor the writer (and every other session's pages) for the
	// whole time. Keys are never reused (AUTOINCREMENT), so a new session
	// cannot meet them; items left by a crash or a close are swept at the
	// next Open.
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.deleteItems(s.bgCtx, key, ""); err != nil && s.bgCtx.Err() == nil {
			s.setErr(err)
		}
	}()
	return nil
}

// sweepOrphans deletes the items of sessions that are gone: a close whose
// background deletion did not finish before the daemon stopped.
func (s *Store) sweepOrphans(ctx context.Context) {
	rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT session_id FROM items WHERE session_id NOT IN (SELECT key FROM session_keys)")
	if err != nil {
		return
	}
	var keys []int64
	for rows.Next() {
		var k int64
		if rows.Scan(&k) == nil {
			keys = append(keys, k)
		}
	}
	rows.Close()
	for _, k := range keys {
		if err := s.deleteItems(ctx, k, ""); err != nil {
			return
		}
	}
}

// deleteItems deletes a session's items (of one resource, or all), a batch
// per transaction.
func (s *Store) deleteItems(ctx context.Context, key int64, resource string) error {
	// 20,000 rows a transaction: each dirties most pages of both indexes
	// on a large store, so fewer, larger batches write far less; one
	// holds the writer a few hundred milliseconds.
	q := "DELETE FROM items WHERE id IN (SELECT id FROM items WHERE session_id = ? LIMIT 20000)"
	args := []any{key}
	if resource != "" {
		q = "DELETE FROM items WHERE id IN (SELECT id FROM items WHERE session_id = ? AND kind = ? LIMIT 20000)"
		args = append(args, resourceKind(resource))
	}
	for {
		var n int64
		err := s.run(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// Sessions returns every stored session, oldest first.
func (s *Store) Sessions(ctx context.Context) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, provider, name, created_at, page_size, config FROM sessions ORDER BY created_at, id")
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var r Session
		var created, config string
		if err := rows.Scan(&r.ID, &r.Provider, &r.Name, &created, &r.PageSize, &config); err != nil {
			return nil, wrap("list sessions", err)
		}
		r.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		r.Config = json.RawMessage(config)
		out = append(out, r)
	}
	return out, wrap("list sessions", rows.Err())
}

// States returns the stored states of a session.
func (s *Store) States(ctx context.Context, sessionID string) ([]State, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, resource, name, from_payload, state, has_more, pages, items, updated_at
		FROM states WHERE session_id = ? ORDER BY key`, sessionID)
	if err != nil {
		return nil, wrap("list states", err)
	}
	defer rows.Close()
	var out []State
	for rows.Next() {
		r := State{SessionID: sessionID}
		var from, state sql.NullString
		var updated string
		if err := rows.Scan(&r.Key, &r.Resource, &r.Name, &from, &state, &r.HasMore, &r.Pages, &r.Items, &updated); err != nil {
			return nil, wrap("list states", err)
		}
		if from.Valid {
			r.FromPayload = json.RawMessage(from.String)
		}
		if state.Valid {
			r.State = json.RawMessage(state.String)
		}
		r.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
		out = append(out, r)
	}
	return out, wrap("list states", rows.Err())
}

// PutState saves one state entry now (state/set).
func (s *Store) PutState(ctx context.Context, r State) error {
	return s.run(ctx, func(tx *sql.Tx) error { return s.putState(ctx, tx, r) })
}

// DeleteStates deletes the states of one resource of a session, or all of
// them for resource "", and with purge the stored items too.
func (s *Store) DeleteStates(ctx context.Context, sessionID, resource string, purge bool) error {
	if err := s.run(ctx, func(tx *sql.Tx) error {
		q := "DELETE FROM states WHERE session_id = ?"
		args := []any{sessionID}
		if resource != "" {
			q += " AND resource = ?"
			args = append(args, resource)
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}); err != nil || !purge {
		return err
	}
	key, ok, err := s.sessionKey(ctx, s.db, sessionID)
	if err != nil || !ok {
		return err
	}
	return s.deleteItems(ctx, key, resource)
}

const putStateSQL = `INSERT INTO states (session_id, key, resource, name, from_payload, state, has_more, pages, items, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (session_id, key) DO UPDATE SET state = excluded.state, has_more = excluded.has_more,
		pages = excluded.pages, items = excluded.items, updated_at = excluded.updated_at`

func (s *Store) putState(ctx context.Context, tx *sql.Tx, r State) error {
	stmt, err := s.preparedSQL(putStateSQL)
	if err != nil {
		return err
	}
	_, err = tx.StmtContext(ctx, stmt).ExecContext(ctx,
		r.SessionID, r.Key, r.Resource, r.Name, nullJSON(r.FromPayload), nullJSON(r.State), r.HasMore, r.Pages, r.Items,
		r.UpdatedAt.UTC().Format(time.RFC3339Nano))
	return err
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
