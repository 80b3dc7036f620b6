package store

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
)

// Schema 5 kept a session's items among its indexes, keyed by resource:
// 'd' key 'i' kind seq. Schema 6 moves them to 'b' key seq (keys.go), with
// the same values.

func schema5ItemPrefix(key uint64) []byte { return append(dataPrefix(key), 'i') }

// isItemKey says whether k is an item's key, of schema 6 or of schema 5
// (salvage reads the files of either).
func isItemKey(k []byte) bool {
	return len(k) == itemKeyLen && k[0] == tagItem || len(k) == 26 && k[0] == tagData && k[9] == 'i'
}

// upgrade5 moves a schema-5 store's items to their schema-6 keys, a few
// thousand per synced batch, each item's new entry and the old one's
// deletion in one batch: a crash leaves every item under one key or the
// other, and the next Open goes on. The version is written last.
func (s *Store) upgrade5() error {
	if s.readOnly != "" {
		return fmt.Errorf("%w: %s is a store of schema 5, which this switchboard rewrites on opening, and it cannot write now: %s", ErrStore, s.path, s.readOnly)
	}
	slog.Info("store: upgrading", "store", s.path, "from schema", 5, "to", SchemaVersion)
	p := []byte{tagData}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return s.readErr("upgrade from schema 5", err)
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer func() { b.Close() }()
	var kbuf []byte
	commit := func() error {
		if err := b.Commit(s.syncOpt()); err != nil {
			return wrap("upgrade from schema 5", err)
		}
		b.Close()
		b = s.db.NewBatch()
		return nil
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != 26 || k[9] != 'i' {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return s.readErr("upgrade from schema 5", err)
		}
		kbuf = append(append(append(kbuf[:0], tagItem), k[1:9]...), k[18:26]...)
		if err := errors.Join(b.Set(kbuf, v, nil), b.Delete(k, nil)); err != nil {
			return wrap("upgrade from schema 5", err)
		}
		if b.Len() > 4<<20 {
			if err := commit(); err != nil {
				return err
			}
		}
	}
	if err := it.Error(); err != nil {
		return s.readErr("upgrade from schema 5", err)
	}
	b.Set(metaKey("version"), appendU64(nil, SchemaVersion), nil)
	return commit()
}
