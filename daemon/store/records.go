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
	return s.run(ctx, func(tx *wtx) error {
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
// commit queued before it, so none of them resurrects its data. Its items
// go with one range deletion in the index and the removal of its log.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.run(ctx, func(tx *wtx) error {
		key, ok, err := s.sessionKey(ctx, tx, id)
		if err != nil || !ok {
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
		return tx.items.deleteSession(key)
	})
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
	return s.run(ctx, func(tx *wtx) error { return s.putState(ctx, tx.Tx, r) })
}

// DeleteStates deletes the states of one resource of a session, or all of
// them for resource "", and with purge the stored items too.
func (s *Store) DeleteStates(ctx context.Context, sessionID, resource string, purge bool) error {
	return s.run(ctx, func(tx *wtx) error {
		q := "DELETE FROM states WHERE session_id = ?"
		args := []any{sessionID}
		if resource != "" {
			q += " AND resource = ?"
			args = append(args, resource)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil || !purge {
			return err
		}
		key, ok, err := s.sessionKey(ctx, tx, sessionID)
		if err != nil || !ok {
			return err
		}
		return tx.items.deleteItems(key, resource)
	})
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
