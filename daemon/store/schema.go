package store

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// migrations[i] takes a store from schema version i to i+1. Append only:
// a released file may be at any version.
var migrations = []string{
	// 1: sessions and their states.
	`CREATE TABLE sessions (
		id         TEXT PRIMARY KEY,
		provider   TEXT NOT NULL,
		name       TEXT NOT NULL,
		created_at TEXT NOT NULL,
		page_size  INTEGER NOT NULL,
		config     TEXT NOT NULL
	);
	CREATE TABLE states (
		session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
		key          TEXT NOT NULL,
		resource     TEXT NOT NULL,
		name         TEXT NOT NULL DEFAULT '',
		from_payload TEXT,
		state        TEXT,
		has_more     INTEGER NOT NULL DEFAULT 0,
		pages        INTEGER NOT NULL DEFAULT 0,
		items        INTEGER NOT NULL DEFAULT 0,
		updated_at   TEXT NOT NULL,
		PRIMARY KEY (session_id, key)
	);`,
	// 2: fetched items, upserted by reference, with the columns data/list
	// filters on. A rowid table: rows append at the end of the table in
	// fetch order and only the small index entries land at random places,
	// where a table keyed by reference would rewrite pages of ~1 KB rows
	// all over the file on every page. created_at is in Unix nanoseconds:
	// RFC 3339 text with a varying number of fractional digits does not
	// sort as time does.
	//
	// Items name their session by a small integer key (session_keys), not
	// its 36-character id: that id would be repeated in every entry of
	// both indexes.
	`CREATE TABLE session_keys (
		key INTEGER PRIMARY KEY AUTOINCREMENT,
		id  TEXT NOT NULL UNIQUE
	);
	INSERT INTO session_keys (id) SELECT id FROM sessions;
	CREATE TABLE items (
		id         INTEGER PRIMARY KEY,
		session_id INTEGER NOT NULL,
		resource   TEXT NOT NULL,
		ref        TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		status     TEXT NOT NULL DEFAULT '',
		type       TEXT NOT NULL DEFAULT '',
		asset      TEXT NOT NULL DEFAULT '',
		accounts   TEXT NOT NULL DEFAULT '',
		data       BLOB NOT NULL,
		UNIQUE (session_id, resource, ref)
	);
	CREATE INDEX items_by_created ON items (session_id, resource, created_at DESC, ref DESC);`,
	// 3: both indexes made small, because their size is what a long sync
	// pays for. Provider references are random, so every item lands on a
	// random leaf of the reference index, and each commit writes every
	// leaf it touched; the created-at index is nearly as scattered when
	// accounts are synced one after another. Entries of ~40 bytes (the
	// resource and reference as text) become ~15: the reference is keyed
	// by a 63-bit hash of resource and reference (refKey; a collision is
	// detected and refused, never merged), the resource by a small number
	// (resourceKind), and ties in time are broken by rowid. Measured on
	// 300,000 payments, a commit costs about as much as with one index
	// instead of two. The functions are registered by this package.
	//
	// The columns have no NOT NULL (the store always writes values): a
	// constraint that can abort a multi-row upsert midway makes SQLite
	// keep a statement journal, a copy of every page the statement
	// touches, which cost about 7% of a page's commit.
	`CREATE TABLE items_v3 (
		id         INTEGER PRIMARY KEY,
		session_id INTEGER,
		kind       INTEGER,
		rkey       INTEGER,
		resource   TEXT,
		ref        TEXT,
		created_at INTEGER,
		status     TEXT DEFAULT '',
		type       TEXT DEFAULT '',
		asset      TEXT DEFAULT '',
		accounts   TEXT DEFAULT '',
		data       BLOB,
		UNIQUE (session_id, rkey)
	);
	INSERT INTO items_v3 (id, session_id, kind, rkey, resource, ref, created_at, status, type, asset, accounts, data)
		SELECT id, session_id, switchboard_kind(resource), switchboard_rkey(resource, ref), resource, ref, created_at, status, type, asset, accounts, data
		FROM items ORDER BY id;
	DROP TABLE items;
	ALTER TABLE items_v3 RENAME TO items;
	CREATE INDEX items_by_created ON items (session_id, kind, created_at);`,
	// 4: items leave SQLite for per-session logs and a Pebble index
	// (items.go); copyItemsOut moves them before this runs.
	`DROP INDEX items_by_created;
	DROP TABLE items;`,
}

// beforeMigration runs Go code before migration i (to version i+1) starts.
var beforeMigration = map[int]func(s *Store) error{
	3: (*Store).copyItemsOut,
}

// SchemaVersion is the version this build writes.
var SchemaVersion = len(migrations)

// openItems migrates the SQLite file to the current schema and opens the
// items' store beside it (<file>.items), indexing what a crash left
// unindexed.
func (s *Store) openItems(throwaway bool) error {
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return wrap("read schema version", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: %s has schema version %d, newer than this switchboard understands (%d): upgrade switchboard, or start with another --store", ErrStore, s.path, v, SchemaVersion)
	}
	dir := s.file + ".items"
	if v < 4 {
		// Items still live in SQLite: a directory here is what an
		// upgrade interrupted by a crash left, and it starts over.
		if err := os.RemoveAll(dir); err != nil {
			return wrap("open items", err)
		}
	}
	ix, err := openItems(dir, throwaway)
	if errors.Is(err, ErrInUse) {
		return fmt.Errorf("%w: %s: %w", ErrStore, s.path, err)
	}
	if err != nil {
		return wrap("open items", err)
	}
	s.items = ix
	if err := s.migrateTo(v, SchemaVersion); err != nil {
		return err
	}
	if v < 4 && v > 1 {
		// The items' pages are free now; give them back to the disk.
		var free int
		if err := s.db.QueryRow("PRAGMA freelist_count").Scan(&free); err == nil && free > 1024 {
			if _, err := s.db.Exec("VACUUM"); err != nil {
				return wrap("vacuum after moving the items out", err)
			}
		}
	}
	live := map[int64]bool{}
	rows, err := s.db.Query("SELECT key FROM session_keys")
	if err != nil {
		return wrap("open items", err)
	}
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return wrap("open items", err)
		}
		live[k] = true
	}
	rows.Close()
	if err := ix.recover(func(k int64) bool { return live[k] }); err != nil {
		return wrap("recover items", err)
	}
	return nil
}

// copyItemsOut copies the items of a version-3 file into the items' logs
// and index, session by session in stored order. Items of closed sessions
// that a stop left undeleted are not copied.
func (s *Store) copyItemsOut() error {
	rows, err := s.db.Query(`SELECT session_id, resource, ref, created_at, status, type, asset, accounts, data FROM items
		WHERE session_id IN (SELECT key FROM session_keys) ORDER BY session_id, id`)
	if err != nil {
		return wrap("move items out", err)
	}
	defer rows.Close()
	g := s.items.newGroup()
	defer g.discard()
	var (
		pending  []Item
		pkey     int64 = -1
		pres     string
		inGroup  int
		firstErr error
	)
	flush := func() {
		if len(pending) > 0 && firstErr == nil {
			firstErr = g.put(pkey, pres, pending)
			inGroup += len(pending)
		}
		pending = pending[:0]
		if inGroup >= 50_000 && firstErr == nil {
			firstErr = g.commit()
			inGroup = 0
		}
	}
	for rows.Next() {
		var (
			key                                 int64
			res, ref, status, typ, asset, accts string
			created                             int64
			data                                []byte
		)
		if err := rows.Scan(&key, &res, &ref, &created, &status, &typ, &asset, &accts, &data); err != nil {
			return wrap("move items out", err)
		}
		if key != pkey || res != pres || len(pending) == 1000 {
			flush()
			pkey, pres = key, res
		}
		pending = append(pending, Item{Ref: ref, CreatedAt: unixNano(created), Status: status, Type: typ, Asset: asset, Accounts: strings.Fields(accts), Data: data})
	}
	if err := rows.Err(); err != nil {
		return wrap("move items out", err)
	}
	flush()
	if firstErr == nil {
		firstErr = g.commit()
	}
	return wrap("move items out", firstErr)
}

// migrateTo applies migrations from version `from` up to `to`, each in its
// own transaction with the version bump, so a crash mid-upgrade leaves a
// file at a whole version.
func (s *Store) migrateTo(from, to int) error {
	for i := from; i < to; i++ {
		if hook := beforeMigration[i]; hook != nil {
			if err := hook(s); err != nil {
				return err
			}
		}
		tx, err := s.db.Begin()
		if err != nil {
			return wrap("migrate", err)
		}
		// One statement per Exec: a driver may run only the first of
		// several.
		for _, stmt := range strings.Split(migrations[i], ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.Exec(stmt); err != nil {
				tx.Rollback()
				return wrap(fmt.Sprintf("migrate to version %d", i+1), err)
			}
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return wrap("migrate", err)
		}
		if err := tx.Commit(); err != nil {
			return wrap(fmt.Sprintf("migrate to version %d", i+1), err)
		}
	}
	return nil
}
