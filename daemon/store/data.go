package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
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

func (q Query) where(key int64) (string, []any) {
	conds := []string{"session_id = ?", "kind = ?"}
	args := []any{key, resourceKind(q.Resource)}
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.Type != "" {
		add("type = ?", q.Type)
	}
	if q.Asset != "" {
		add("asset = ?", q.Asset)
	}
	if q.Account != "" {
		add("accounts LIKE ?", "% "+strings.NewReplacer("%", `\%`, "_", `\_`).Replace(q.Account)+" %")
		conds[len(conds)-1] += ` ESCAPE '\'`
	}
	if q.After != nil {
		add("created_at >= ?", q.After.UnixNano())
	}
	if q.Before != nil {
		add("created_at < ?", q.Before.UnixNano())
	}
	return strings.Join(conds, " AND "), args
}

// List returns a page of items, the cursor of the next page ("" at the
// end) and the number of items matching the filter.
func (s *Store) List(ctx context.Context, q Query) (items []json.RawMessage, next string, total int, err error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 1000 {
		q.Limit = 1000
	}
	key, ok, err := s.sessionKey(ctx, s.db, q.SessionID)
	if err != nil {
		return nil, "", 0, wrap("list items", err)
	}
	if !ok {
		return []json.RawMessage{}, "", 0, nil
	}
	where, args := q.where(key)
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM items WHERE "+where, args...).Scan(&total); err != nil {
		return nil, "", 0, wrap("count items", err)
	}
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		createdText, idText, ok := strings.Cut(string(raw), "\x00")
		created, perr := strconv.ParseInt(createdText, 10, 64)
		id, ierr := strconv.ParseInt(idText, 10, 64)
		if err != nil || !ok || perr != nil || ierr != nil {
			return nil, "", 0, ErrBadCursor
		}
		where += " AND (created_at < ? OR (created_at = ? AND id < ?))"
		args = append(args, created, created, id)
	}
	// Ties in time go newest stored first: the index's entries end with
	// the rowid, so this is one backward walk of it.
	rows, err := s.db.QueryContext(ctx, "SELECT created_at, id, data FROM items WHERE "+where+" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, q.Limit+1)...)
	if err != nil {
		return nil, "", 0, wrap("list items", err)
	}
	defer rows.Close()
	var lastCreated, lastID int64
	for rows.Next() {
		var created, id int64
		var data []byte
		if err := rows.Scan(&created, &id, &data); err != nil {
			return nil, "", 0, wrap("list items", err)
		}
		if len(items) == q.Limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastCreated, 10) + "\x00" + strconv.FormatInt(lastID, 10)))
			break
		}
		items = append(items, json.RawMessage(data))
		lastCreated, lastID = created, id
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	return items, next, total, wrap("list items", rows.Err())
}

// Each calls fn for every stored item of a session (of one resource, or
// all for ""), oldest first, streaming rows rather than loading them.
func (s *Store) Each(ctx context.Context, sessionID, resource string, fn func(resource string, data json.RawMessage) error) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	key, ok, err := s.sessionKey(ctx, s.db, sessionID)
	if err != nil || !ok {
		return wrap("read items", err)
	}
	q := "SELECT resource, data FROM items WHERE session_id = ?"
	args := []any{key}
	if resource != "" {
		q += " AND kind = ?"
		args = append(args, resourceKind(resource))
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY kind, created_at, id", args...)
	if err != nil {
		return wrap("read items", err)
	}
	defer rows.Close()
	for rows.Next() {
		var res string
		var data []byte
		if err := rows.Scan(&res, &data); err != nil {
			return wrap("read items", err)
		}
		if err := fn(res, data); err != nil {
			return err
		}
	}
	return wrap("read items", rows.Err())
}

// PutItems upserts items of one resource outside any page (data/import).
func (s *Store) PutItems(ctx context.Context, sessionID, resource string, items []Item) error {
	return s.run(ctx, func(tx *sql.Tx) error { return s.upsertItems(ctx, tx, sessionID, resource, items) })
}

// Count returns the number of stored items of a session's resource.
func (s *Store) Count(ctx context.Context, sessionID, resource string) (int, error) {
	key, ok, err := s.sessionKey(ctx, s.db, sessionID)
	if err != nil || !ok {
		return 0, wrap("count items", err)
	}
	var n int
	err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM items WHERE session_id = ? AND kind = ?", key, resourceKind(resource)).Scan(&n)
	return n, wrap("count items", err)
}
