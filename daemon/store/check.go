package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// Report is what Check and Salvage found.
type Report struct {
	Path     string
	Sessions int
	States   int
	// Expected is the number of items the store's counters say it holds,
	// Readable how many of them read back whole.
	Expected int64
	Readable int64
	// Damage lists what failed: a checksum, a missing entry, a table that
	// does not open. Empty for a sound store.
	Damage []string
	// Ballast is the ballast file (ballast.go); its Size is 0 while it is
	// missing (removed on a full disk, or never made on a small one).
	Ballast BallastState
}

// Lost is how many items could not be read.
func (r Report) Lost() int64 { return max(0, r.Expected-r.Readable) }

// OK reports whether nothing is damaged.
func (r Report) OK() bool { return len(r.Damage) == 0 && r.Lost() == 0 }

// Check reads every entry of the store at path (no daemon may have it
// open) and reports what is damaged. It changes nothing.
func Check(path string) (Report, error) {
	return Salvage(path, nil)
}

// salvageLine is a line of Salvage's output: an export line (see
// protocol.ExportLine, which data/import reads) with its session.
type salvageLine struct {
	Session  string          `json:"session"`
	Resource string          `json:"resource"`
	Item     json.RawMessage `json:"item"`
}

// Salvage writes every readable item of the store at path to w as JSON
// Lines ({"session", "resource", "item"}), stepping over damaged parts,
// and reports how many were lost. With a nil w it only checks. The store
// is opened read-only and never changed.
func Salvage(path string, w io.Writer) (Report, error) {
	r := Report{Path: path, Ballast: ballastState(path)}
	if fi, err := os.Stat(path); err != nil {
		return r, fmt.Errorf("%w: %s: %w", ErrStore, path, err)
	} else if !fi.IsDir() {
		return r, fmt.Errorf("%w: %s is a store of an older switchboard (a file): start the daemon on it once to upgrade it", ErrStore, path)
	}
	db, err := openPebble(path, false, true, 4<<20)
	if err != nil {
		if errors.Is(err, ErrInUse) {
			return r, fmt.Errorf("%w: %s: %w", ErrStore, path, err)
		}
		msg, _, _ := strings.Cut(err.Error(), "\n")
		r.Damage = append(r.Damage, "the database does not open: "+msg+"; reading its files one by one")
		if w == nil {
			w = io.Discard
		}
		salvageFiles(path, w, &r)
		return r, nil
	}
	defer db.Close()
	var v uint64
	if raw, closer, err := db.Get(metaKey("version")); err == nil {
		if len(raw) == 8 {
			v = binary.BigEndian.Uint64(raw)
		}
		closer.Close()
	}
	if v > SchemaVersion {
		return r, fmt.Errorf("%w: %s has schema version %d, newer than this switchboard understands (%d)", ErrStore, path, v, SchemaVersion)
	}
	damage := func(format string, args ...any) {
		msg, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
		r.Damage = append(r.Damage, msg)
	}

	// Sessions and their keys.
	type sess struct {
		id  string
		key uint64
	}
	var sessions []sess
	scanRange(db, []byte{tagSession}, prefixEnd([]byte{tagSession}), func(k, val []byte) {
		var sv sessionValue
		if err := json.Unmarshal(val, &sv); err != nil {
			damage("session %q does not decode: %v", k[1:], err)
			return
		}
		sessions = append(sessions, sess{sv.ID, sv.Key})
	}, func(err error) { damage("sessions: %v", err) })
	r.Sessions = len(sessions)
	scanRange(db, []byte{tagState}, prefixEnd([]byte{tagState}), func(k, val []byte) {
		if !json.Valid(val) {
			damage("state %q does not decode", k[1:])
			return
		}
		r.States++
	}, func(err error) { damage("states: %v", err) })
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].key < sessions[j].key })

	enc := json.NewEncoder(io.Discard)
	if w != nil {
		enc = json.NewEncoder(w)
	}
	for _, ss := range sessions {
		// The counters say how many items each resource holds; the 'r'
		// entries too, should the counters be damaged.
		counts := map[uint64]int64{}
		cp := append(dataPrefix(ss.key), subCount)
		scanRange(db, cp, prefixEnd(cp), func(k, val []byte) {
			if len(k) == len(cp)+8 && len(val) == 8 {
				counts[binary.BigEndian.Uint64(k[len(cp):])] = int64(binary.BigEndian.Uint64(val))
			}
		}, func(err error) { damage("session %s: item counts: %v", ss.id, err) })
		refs := map[uint64]int64{}
		rp := append(dataPrefix(ss.key), subRef)
		scanRange(db, rp, prefixEnd(rp), func(k, _ []byte) {
			if len(k) >= len(rp)+8 {
				refs[binary.BigEndian.Uint64(k[len(rp):])]++
			}
		}, func(err error) { damage("session %s: reference index: %v", ss.id, err) })
		for kind, n := range refs {
			if counts[kind] != n {
				damage("session %s: resource %d counts %d items and indexes %d references", ss.id, kind, counts[kind], n)
			}
			counts[kind] = max(counts[kind], n)
		}
		for _, n := range counts {
			r.Expected += n
		}
		ip, width := itemPrefix(ss.key), 8
		if v == 5 {
			ip, width = schema5ItemPrefix(ss.key), 16
		}
		var read int64
		scanItems(db, ip, width, func(k, val []byte) {
			d, ok := decodeItem(val)
			if !ok || !json.Valid(d.data) {
				damage("session %s: item %x does not decode", ss.id, k[len(ip):])
				return
			}
			read++
			if err := enc.Encode(salvageLine{Session: ss.id, Resource: d.resource, Item: d.data}); err != nil {
				damage("write: %v", err)
			}
		}, func(err error) { damage("session %s: items: %v", ss.id, err) })
		r.Readable += read
	}
	return r, nil
}

// scanRange calls fn for each entry in [lower, upper); a read error is
// reported and ends the scan (these ranges are small: sessions, states,
// indexes).
func scanRange(db *pebble.DB, lower, upper []byte, fn func(k, v []byte), fail func(error)) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		fail(err)
		return
	}
	for ok := it.First(); ok; ok = it.Next() {
		fn(it.Key(), it.Value())
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		fail(err)
	}
}

// scanItems calls fn for each readable item under p (a session's 'b'
// prefix: p, seq; width 8, or 16 for schema 5's p, kind, seq). A damaged
// block fails every seek that lands in it and none past it, so after an
// error the scan binary-searches, over the width bytes after p, the first
// position a seek succeeds from, and goes on there: only the damaged
// block's items are lost.
func scanItems(db *pebble.DB, p []byte, width int, fn func(k, v []byte), fail func(error)) {
	upper := prefixEnd(p)
	from := bytes.Clone(p)
	for {
		last, err := scanFrom(db, from, upper, fn)
		if err == nil {
			return
		}
		fail(err)
		lo := position(p, from, width)
		if last != nil {
			lo = position(p, last, width) + 1
		}
		next, ok := firstReadable(db, p, width, upper, lo)
		if !ok {
			return
		}
		from = next
	}
}

// position is the seq of an item key under p as one number (of width 16,
// kind and seq: kinds are below 2^21 and seqs below 2^42 in any store
// that fits a disk).
func position(p, k []byte, width int) uint64 {
	rest := append(bytes.Clone(k[len(p):]), make([]byte, width)...)[:width]
	if width == 8 {
		return binary.BigEndian.Uint64(rest)
	}
	kind, seq := binary.BigEndian.Uint64(rest), binary.BigEndian.Uint64(rest[8:])
	return kind<<42 | seq&(1<<42-1)
}

func keyAt(p []byte, pos uint64, width int) []byte {
	if width == 8 {
		return appendU64(bytes.Clone(p), pos)
	}
	return appendU64(appendU64(bytes.Clone(p), pos>>42), pos&(1<<42-1))
}

// scanFrom scans [from, upper) and returns the last key read.
func scanFrom(db *pebble.DB, from, upper []byte, fn func(k, v []byte)) (last []byte, err error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: from, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		fn(it.Key(), it.Value())
		last = append(last[:0], it.Key()...)
	}
	return last, errors.Join(it.Error(), it.Close())
}

// firstReadable returns the smallest key at or after position lo from
// which a seek succeeds, or false when none does below upper.
func firstReadable(db *pebble.DB, p []byte, width int, upper []byte, lo uint64) ([]byte, bool) {
	seeks := func(pos uint64) bool {
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: keyAt(p, pos, width), UpperBound: upper})
		if err != nil {
			return false
		}
		it.First()
		return errors.Join(it.Error(), it.Close()) == nil
	}
	hi := uint64(1<<63 - 1)
	if !seeks(hi) {
		return nil, false
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if seeks(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return keyAt(p, lo, width), true
}
