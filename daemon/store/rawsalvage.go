package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/record"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// salvageFiles salvages a store Pebble cannot open (a table removed or
// truncated, its MANIFEST damaged): it reads every table and write-ahead
// log of the directory on its own, keeps of each key its newest version
// (by Pebble's sequence numbers, range deletions applied), and writes the
// items of the sessions it finds. Files that do not read are reported and
// skipped: only their entries are lost.
func salvageFiles(dir string, w io.Writer, r *Report) {
	damage := func(format string, args ...any) {
		msg, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
		r.Damage = append(r.Damage, msg)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		damage("%v", err)
		return
	}
	// Pass 1: the newest sequence number of every key, and the range
	// deletions.
	type version struct {
		seq uint64
		del bool
	}
	newest := map[string]version{}
	type rangeDel struct {
		start, end []byte
		seq        uint64
	}
	var dels []rangeDel
	see := func(k []byte, seq uint64, kind pebble.InternalKeyKind) {
		v, ok := newest[string(k)]
		if !ok || seq > v.seq {
			newest[string(k)] = version{seq: seq, del: kind == pebble.InternalKeyKindDelete || kind == pebble.InternalKeyKindSingleDelete}
		}
	}
	var tables, logs []string
	for _, e := range files {
		switch {
		case strings.HasSuffix(e.Name(), ".sst"):
			tables = append(tables, filepath.Join(dir, e.Name()))
		case strings.HasSuffix(e.Name(), ".log"):
			logs = append(logs, filepath.Join(dir, e.Name()))
		}
	}
	for _, t := range tables {
		err := eachTableEntry(t, func(k []byte, seq uint64, kind pebble.InternalKeyKind, _ []byte) { see(k, seq, kind) },
			func(start, end []byte, seq uint64) {
				dels = append(dels, rangeDel{bytes.Clone(start), bytes.Clone(end), seq})
			})
		if err != nil {
			damage("table %s: %v", t, err)
		}
	}
	for _, l := range logs {
		err := eachLogEntry(l, func(k []byte, seq uint64, kind pebble.InternalKeyKind, v []byte) {
			if kind == pebble.InternalKeyKindRangeDelete {
				dels = append(dels, rangeDel{bytes.Clone(k), bytes.Clone(v), seq})
				return
			}
			see(k, seq, kind)
		})
		if err != nil {
			damage("write-ahead log %s: %v (what follows the damage in it is lost)", l, err)
		}
	}
	live := func(k []byte, seq uint64) bool {
		v, ok := newest[string(k)]
		if !ok || v.seq != seq || v.del {
			return false
		}
		for _, d := range dels {
			if d.seq > seq && bytes.Compare(k, d.start) >= 0 && bytes.Compare(k, d.end) < 0 {
				return false
			}
		}
		return true
	}
	// Pass 2: the newest live values. Sessions and counters first (they
	// name the items' sessions), then the items.
	ids := map[uint64]string{}
	var counts int64
	counted := map[string]bool{} // an entry can be in a table and in a log not yet deleted
	collect := func(k []byte, seq uint64, kind pebble.InternalKeyKind, v []byte) {
		if kind != pebble.InternalKeyKindSet || !live(k, seq) || counted[string(k)] {
			return
		}
		counted[string(k)] = true
		switch {
		case len(k) > 0 && k[0] == tagSession:
			var sv sessionValue
			if json.Unmarshal(v, &sv) == nil {
				ids[sv.Key] = sv.ID
				r.Sessions++
			}
		case len(k) > 0 && k[0] == tagState:
			r.States++
		case len(k) == 18 && k[0] == tagData && k[9] == subCount && len(v) == 8:
			counts += int64(binary.BigEndian.Uint64(v))
		}
	}
	each := func(fn func(k []byte, seq uint64, kind pebble.InternalKeyKind, v []byte)) {
		for _, t := range tables {
			_ = eachTableEntry(t, fn, func([]byte, []byte, uint64) {})
		}
		for _, l := range logs {
			_ = eachLogEntry(l, fn)
		}
	}
	each(collect)
	enc := json.NewEncoder(w)
	emitted := map[string]bool{}
	each(func(k []byte, seq uint64, kind pebble.InternalKeyKind, v []byte) {
		if kind != pebble.InternalKeyKindSet || !isItemKey(k) || !live(k, seq) || emitted[string(k)] {
			return
		}
		key := binary.BigEndian.Uint64(k[1:9])
		id, ok := ids[key]
		if !ok {
			// Its session entry was in a damaged file: the items are
			// written all the same, under the session's data key.
			id = fmt.Sprintf("unknown-%d", key)
		}
		d, ok := decodeItem(v)
		if !ok || !json.Valid(d.data) {
			return
		}
		emitted[string(k)] = true
		r.Readable++
		if err := enc.Encode(salvageLine{Session: id, Resource: d.resource, Item: d.data}); err != nil {
			damage("write: %v", err)
		}
	})
	r.Expected = max(counts, r.Readable)
	if r.Expected == r.Readable && len(r.Damage) > 0 {
		damage("the item counts were in the damaged files too: how many items were lost is not known")
	}
}

// eachTableEntry reads every point entry and range deletion of a table.
func eachTableEntry(path string, point func(k []byte, seq uint64, kind pebble.InternalKeyKind, v []byte), rangeDel func(start, end []byte, seq uint64)) error {
	f, err := vfs.Default.Open(path)
	if err != nil {
		return err
	}
	readable, err := sstable.NewSimpleReadable(f)
	if err != nil {
		f.Close()
		return err
	}
	opts := &pebble.Options{}
	opts.EnsureDefaults()
	rd, err := sstable.NewReader(context.Background(), readable, opts.MakeReaderOptions())
	if err != nil {
		readable.Close()
		return err
	}
	defer rd.Close()
	it, err := rd.NewIter(sstable.NoTransforms, nil, nil, sstable.AssertNoBlobHandles)
	if err != nil {
		return err
	}
	for kv := it.First(); kv != nil; kv = it.Next() {
		v, _, err := kv.Value(nil)
		if err != nil {
			it.Close()
			return err
		}
		point(kv.K.UserKey, uint64(kv.K.SeqNum()), kv.K.Kind(), v)
	}
	if err := it.Close(); err != nil {
		return err
	}
	rit, err := rd.NewRawRangeDelIter(context.Background(), sstable.NoFragmentTransforms, sstable.NoReadEnv)
	if err != nil || rit == nil {
		return err
	}
	defer rit.Close()
	s, err := rit.First()
	for ; s != nil; s, err = rit.Next() {
		for _, k := range s.Keys {
			rangeDel(s.Start, s.End, uint64(k.SeqNum()))
		}
	}
	return err
}

// newRecordReader calls record.NewReader with a log number, whose type
// is internal to Pebble.
func newRecordReader(r io.Reader, logNum uint64) *record.Reader {
	fn := reflect.ValueOf(record.NewReader)
	n := reflect.New(fn.Type().In(1)).Elem()
	n.SetUint(logNum)
	return fn.Call([]reflect.Value{reflect.ValueOf(r), n})[0].Interface().(*record.Reader)
}

// eachLogEntry reads every write of a write-ahead log (each record is a
// batch), up to its end or its first damaged record.
func eachLogEntry(path string, fn func(k []byte, seq uint64, kind pebble.InternalKeyKind, v []byte)) error {
	num, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), ".log"), 10, 64)
	if err != nil {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rr := newRecordReader(f, num)
	var buf bytes.Buffer
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			buf.Reset()
			_, err = io.Copy(&buf, rec)
		}
		if err != nil {
			if isTornTail(err) {
				return nil // a torn tail, or the unused rest of a recycled log
			}
			return err
		}
		var b pebble.Batch
		if err := b.SetRepr(slices.Clone(buf.Bytes())); err != nil {
			return err
		}
		seq := uint64(b.SeqNum())
		br := b.Reader()
		for i := uint64(0); ; i++ {
			kind, k, v, ok, err := br.Next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			fn(k, seq+i, kind, v)
		}
	}
}

// isTornTail reports the end of a log that was being written, or the
// unused rest of a recycled one: not damage.
func isTornTail(err error) bool {
	return err == io.ErrUnexpectedEOF || strings.Contains(err.Error(), "unexpected EOF") || strings.Contains(err.Error(), "zeroed chunk")
}
