package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	_ "modernc.org/sqlite" // reads the stores of schema 1 to 4
)

// Stores of schema 1 to 4 are a SQLite file at the store's path (from 4
// on with <path>.items beside it: a log of item records per session and a
// Pebble index). upgradeIfOld copies one into a new store at
// <path>.upgrading, then moves the old files aside, into
// <path>.schema<N>, and the new store into place. Nothing is deleted: the
// old files stay until the user removes them.
//
// A crash part-way leaves the old file in place and starts over (the
// partial copy is removed, with a warning), or, past the copy, a
// <path>.upgrading.done marker that has the next start finish the moves.
func upgradeIfOld(path string) error {
	tmp, done := path+".upgrading", path+".upgrading.done"
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(done); err == nil {
			return finishUpgrade(path)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: open %s: %w", ErrStore, path, err)
	}
	if fi.IsDir() {
		return nil
	}
	if _, err := os.Stat(done); err == nil {
		// Copied, and the old file not yet moved aside.
		return finishUpgrade(path)
	}
	if _, err := os.Stat(tmp); err == nil {
		slog.Warn("store: removing the partial copy an interrupted upgrade left; the upgrade starts over from the old store, which is intact", "partial", tmp, "store", path)
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("%w: remove %s: %w", ErrStore, tmp, err)
		}
	}
	old, err := readOld(path)
	if err != nil {
		return err
	}
	slog.Info("store: upgrading", "store", path, "from schema", old.version, "to", SchemaVersion)
	if err := old.copyInto(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.WriteFile(done, []byte(strconv.Itoa(old.version)+"\n"), 0o600); err != nil {
		return fmt.Errorf("%w: upgrade %s: %w", ErrStore, path, err)
	}
	syncDir(filepath.Dir(path))
	return finishUpgrade(path)
}

// finishUpgrade moves an old store aside and the copy into its place.
func finishUpgrade(path string) error {
	tmp, done := path+".upgrading", path+".upgrading.done"
	v, _ := os.ReadFile(done)
	aside := path + ".schema" + strings.TrimSpace(string(v))
	if err := os.MkdirAll(aside, 0o700); err != nil {
		return fmt.Errorf("%w: upgrade %s: %w", ErrStore, path, err)
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".items"} {
		err := os.Rename(path+suffix, filepath.Join(aside, filepath.Base(path)+suffix))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: upgrade %s: move the old store aside: %w", ErrStore, path, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%w: upgrade %s: %w", ErrStore, path, err)
	}
	syncDir(filepath.Dir(path))
	if err := os.Remove(done); err != nil {
		return fmt.Errorf("%w: upgrade %s: %w", ErrStore, path, err)
	}
	slog.Warn("store: upgraded; the old store was moved aside, and can be removed once the daemon works with the new one", "store", path, "old", aside)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// oldStore is an open store of schema 1 to 4.
type oldStore struct {
	path    string
	db      *sql.DB
	version int
}

func readOld(path string) (*oldStore, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", ErrStore, path, err)
	}
	o := &oldStore{path: path, db: db}
	if err := db.QueryRow("PRAGMA user_version").Scan(&o.version); err != nil {
		db.Close()
		return nil, damaged(path, fmt.Errorf("not a store this switchboard knows (read its schema version: %v)", err))
	}
	if o.version > 4 {
		db.Close()
		return nil, fmt.Errorf("%w: %s has schema version %d, newer than this switchboard understands (%d): upgrade switchboard, or start with another --store", ErrStore, path, o.version, SchemaVersion)
	}
	return o, nil
}

// copyInto writes everything the old store holds into a new store at dir.
func (o *oldStore) copyInto(dir string) (err error) {
	defer o.db.Close()
	ctx := context.Background()
	s, err := OpenWith(dir, Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	fail := func(what string, err error) error {
		return damaged(o.path, fmt.Errorf("upgrade: %s: %w", what, err))
	}
	if o.version == 0 {
		return nil // an empty file
	}
	sessions, err := o.sessions()
	if err != nil {
		return fail("read sessions", err)
	}
	keys := map[int64]string{}
	if o.version >= 2 {
		rows, err := o.db.Query("SELECT key, id FROM session_keys")
		if err != nil {
			return fail("read session keys", err)
		}
		for rows.Next() {
			var k int64
			var id string
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return fail("read session keys", err)
			}
			keys[k] = id
		}
		rows.Close()
	}
	for _, r := range sessions {
		if err := s.PutSession(ctx, r); err != nil {
			return err
		}
		states, err := o.states(r.ID)
		if err != nil {
			return fail("read states", err)
		}
		for _, st := range states {
			if err := s.PutState(ctx, st); err != nil {
				return err
			}
		}
	}
	put := func(id, resource string, items []Item) error {
		for len(items) > 0 {
			n := min(len(items), 5000)
			if err := s.PutItems(ctx, id, resource, items[:n]); err != nil {
				return err
			}
			items = items[n:]
		}
		return nil
	}
	switch {
	case o.version == 2 || o.version == 3:
		return o.eachSQLItems(keys, put)
	case o.version == 4:
		return o.eachLoggedItems(keys, put)
	}
	return nil
}

func (o *oldStore) sessions() ([]Session, error) {
	rows, err := o.db.Query("SELECT id, provider, name, created_at, page_size, config FROM sessions ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var r Session
		var created, config string
		if err := rows.Scan(&r.ID, &r.Provider, &r.Name, &created, &r.PageSize, &config); err != nil {
			return nil, err
		}
		r.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		r.Config = json.RawMessage(config)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (o *oldStore) states(id string) ([]State, error) {
	rows, err := o.db.Query(`SELECT key, resource, name, from_payload, state, has_more, pages, items, updated_at
		FROM states WHERE session_id = ? ORDER BY key`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []State
	for rows.Next() {
		r := State{SessionID: id}
		var from, state sql.NullString
		var updated string
		if err := rows.Scan(&r.Key, &r.Resource, &r.Name, &from, &state, &r.HasMore, &r.Pages, &r.Items, &updated); err != nil {
			return nil, err
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
	return out, rows.Err()
}

// eachSQLItems reads the items table of schema 2 and 3, session by
// session in stored order.
func (o *oldStore) eachSQLItems(keys map[int64]string, put func(id, resource string, items []Item) error) error {
	rows, err := o.db.Query(`SELECT session_id, resource, ref, created_at, status, type, asset, accounts, data FROM items ORDER BY session_id, id`)
	if err != nil {
		return damaged(o.path, fmt.Errorf("upgrade: read items: %w", err))
	}
	defer rows.Close()
	type group struct{ id, resource string }
	byGroup := map[group][]Item{}
	var order []group
	for rows.Next() {
		var (
			key                                 int64
			res, ref, status, typ, asset, accts string
			created                             int64
			data                                []byte
		)
		if err := rows.Scan(&key, &res, &ref, &created, &status, &typ, &asset, &accts, &data); err != nil {
			return damaged(o.path, fmt.Errorf("upgrade: read items: %w", err))
		}
		id, ok := keys[key]
		if !ok {
			continue // a closed session's items a stop left behind
		}
		g := group{id, res}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], Item{Ref: ref, CreatedAt: unixNano(created), Status: status, Type: typ, Asset: asset, Accounts: strings.Fields(accts), Data: data})
	}
	if err := rows.Err(); err != nil {
		return damaged(o.path, fmt.Errorf("upgrade: read items: %w", err))
	}
	for _, g := range order {
		if err := put(g.id, g.resource, byGroup[g]); err != nil {
			return err
		}
	}
	return nil
}

// eachLoggedItems reads schema 4's items: each reference's latest record,
// found through the index's 'r' entries, in the order the log has them.
// A record that fails its checksum stops the upgrade, naming the log: the
// old store stays as it is.
func (o *oldStore) eachLoggedItems(keys map[int64]string, put func(id, resource string, items []Item) error) error {
	dir := o.path + ".items"
	if _, err := os.Stat(filepath.Join(dir, "index")); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	ix, err := pebble.Open(filepath.Join(dir, "index"), &pebble.Options{Logger: quietLogger{}, FS: vfs.Default, ReadOnly: true})
	if err != nil {
		return damaged(o.path, fmt.Errorf("upgrade: open the item index %s: %w", filepath.Join(dir, "index"), err))
	}
	defer ix.Close()
	ids := slices.Sorted(func(yield func(int64) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	for _, key := range ids {
		type entry struct {
			off  int64
			kind uint64
		}
		var entries []entry
		p := append(appendU64(nil, uint64(key)), 'r')
		it, err := ix.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return damaged(o.path, fmt.Errorf("upgrade: read the item index: %w", err))
		}
		for ok := it.First(); ok; ok = it.Next() {
			k, v := it.Key(), it.Value()
			if len(k) < len(p)+8 || len(v) < 8 {
				continue
			}
			entries = append(entries, entry{off: int64(binary.BigEndian.Uint64(v)), kind: binary.BigEndian.Uint64(k[len(p):])})
		}
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return damaged(o.path, fmt.Errorf("upgrade: read the item index: %w", err))
		}
		if len(entries) == 0 {
			continue
		}
		slices.SortFunc(entries, func(a, b entry) int { return int(a.off - b.off) })
		logPath := filepath.Join(dir, strconv.FormatInt(key, 10)+".log")
		f, err := os.Open(logPath)
		if err != nil {
			return damaged(o.path, fmt.Errorf("upgrade: %w", err))
		}
		var (
			res   string
			batch []Item
		)
		for _, e := range entries {
			r, err := readV4Record(f, e.off)
			if err != nil {
				f.Close()
				return damaged(o.path, fmt.Errorf("upgrade: %s at %d: %w", logPath, e.off, err))
			}
			if r.resource != res && len(batch) > 0 {
				if err := put(keys[key], res, batch); err != nil {
					f.Close()
					return err
				}
				batch = nil
			}
			res = r.resource
			batch = append(batch, r.Item)
		}
		f.Close()
		if err := put(keys[key], res, batch); err != nil {
			return err
		}
	}
	return nil
}

type v4Record struct {
	resource string
	Item
}

// readV4Record reads one record of a schema-4 item log: its body length
// and CRC-32C, then the kind, creation time, resource, reference, filter
// fields and the item's JSON.
func readV4Record(f *os.File, off int64) (v4Record, error) {
	var r v4Record
	var head [8]byte
	if _, err := f.ReadAt(head[:], off); err != nil {
		return r, err
	}
	body := make([]byte, binary.LittleEndian.Uint32(head[:]))
	if _, err := f.ReadAt(body, off+8); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return r, err
	}
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != binary.LittleEndian.Uint32(head[4:]) {
		return r, errors.New("the record's checksum does not match")
	}
	_, w := binary.Uvarint(body)
	if w <= 0 {
		return r, errors.New("the record does not decode")
	}
	body = body[w:]
	created, w := binary.Varint(body)
	if w <= 0 {
		return r, errors.New("the record does not decode")
	}
	body = body[w:]
	var accounts string
	ok := true
	for _, dst := range []*string{&r.resource, &r.Ref, &r.Status, &r.Type, &r.Asset, &accounts} {
		if *dst, body, ok = readString(body); !ok {
			return r, errors.New("the record does not decode")
		}
	}
	r.CreatedAt, r.Accounts, r.Data = unixNano(created), strings.Fields(accounts), body
	return r, nil
}
