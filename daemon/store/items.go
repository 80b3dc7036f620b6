package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Items are not SQLite rows. A SQLite row costs about 10 µs to upsert with
// its two indexes (the B-tree seeks, the WAL frames and their checkpoint),
// which made the store the largest part of a long sync; appending bytes to
// a file and two small entries to an LSM index costs a fraction of that.
//
// Each session's items are appended, as checksummed records, to a log
// file of its own (<store>.items/<key>.log). The log is the items' truth:
// a record is never rewritten, and an item fetched again is a new record
// that supersedes the old one. A Pebble index (<store>.items/index) finds
// them, with three kinds of entries, each under the session's key so that
// deleting a session is one range deletion:
//
//	key | 'r' | kind | reference           -> offset, created, status, type, asset, accounts, record length
//	key | 'c' | kind | created | offset     -> reference
//	key | 'm'                               -> length of the log the index covers
//
// The 'r' entry of a reference is its latest record: writing it again
// overwrites the entry, with no read before the write (an LSM read costs
// as much as the write). The 'c' entry of a superseded record stays, and
// is skipped on reading because the 'r' entry names another offset, until
// the log is compacted (see Compaction below).
//
// Crash safety keeps SQLite's rule (a page's state is never saved without
// its items), in this order per group commit: the log records are written
// and synced, then the index batch is committed (without sync), then the
// SQLite transaction with the states. The index is derived: at Open, the
// records past each log's 'm' length are indexed again, and a torn record
// at a log's end, never acknowledged, is cut off.
type itemStore struct {
	dir    string
	db     *pebble.DB
	noSync bool // the throw-away store does not sync its logs

	mu   sync.Mutex
	logs map[int64]*itemLog // session key -> its open log; guarded by mu

	// reading is held for reading while a reader uses an index snapshot:
	// a snapshot taken before an item was fetched again still points at
	// the superseded record, so compaction punches no hole while one is
	// in use (it tries, and skips when it cannot have the lock).
	reading sync.RWMutex
}

// itemLog is one session's log file. Readers read it at offsets the index
// gave them (ReadAt is safe alongside the writer's WriteAt).
type itemLog struct {
	f    *os.File
	size int64 // where the next record goes; the writer goroutine's own
	// checked is the log's size when its garbage was last measured (see
	// compact); the writer goroutine's own.
	checked int64
}

const (
	tagRef     = 'r'
	tagCreated = 'c'
	tagMeta    = 'm'

	recordHeader = 8 // body length and CRC-32C of the body, little-endian
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrInUse is the error of a store another process holds.
var ErrInUse = errors.New("store in use")

// lockWait is how long Open waits for another process to release the
// store. A variable so tests can shorten it.
var lockWait = 15 * time.Second

func isLocked(err error) bool {
	msg := err.Error()
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || strings.Contains(msg, "lock held") || strings.Contains(msg, "temporarily unavailable")
}

// quietLogger keeps Pebble's informational lines off the daemon's stderr.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)         {}
func (quietLogger) Errorf(string, ...any)        {}
func (quietLogger) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

func openItems(dir string, noSync bool) (*itemStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	opts := &pebble.Options{
		Logger: quietLogger{},
		// The plain file system: Pebble's default wraps it in a disk
		// health checker whose goroutines a failed Open leaves behind.
		FS:           vfs.Default,
		MemTableSize: 32 << 20,
		// The index's entries are small: 32 MiB memtables hold about
		// 300,000 items, and a small cache is enough for lookups.
		Cache:              pebble.NewCache(16 << 20),
		FormatMajorVersion: pebble.FormatNewest,
	}
	defer opts.Cache.Unref()
	// Uncompressed: the entries are small and mostly unique bytes, and
	// Snappy was a fifth of the compactions' CPU on a 1M-payment sync.
	opts.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionNone })
	// The index is one process's at a time. A daemon that is restarted
	// (the editor's extension does when its settings change) meets the
	// old one still closing: it waits for it, a while.
	var db *pebble.DB
	deadline := time.Now().Add(lockWait)
	for {
		var err error
		db, err = pebble.Open(filepath.Join(dir, "index"), opts)
		if err == nil {
			break
		}
		if !isLocked(err) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: another switchboard process has this store open; stop it, or give this one another --store or --state-dir (export, import and sessions reach a running daemon without --store)", ErrInUse)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &itemStore{dir: dir, db: db, noSync: noSync, logs: map[int64]*itemLog{}}, nil
}

func (ix *itemStore) close() error {
	ix.mu.Lock()
	for k, l := range ix.logs {
		l.f.Close()
		delete(ix.logs, k)
	}
	ix.mu.Unlock()
	return ix.db.Close()
}

func (ix *itemStore) logPath(key int64) string {
	return filepath.Join(ix.dir, strconv.FormatInt(key, 10)+".log")
}

// log returns the open log of a session, opening (or, with create,
// creating) it. ok is false for a session without items.
func (ix *itemStore) log(key int64, create bool) (l *itemLog, ok bool, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if l, ok := ix.logs[key]; ok {
		return l, true, nil
	}
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE
	}
	f, err := os.OpenFile(ix.logPath(key), flag, 0o600)
	if errors.Is(err, os.ErrNotExist) && !create {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, err
	}
	l = &itemLog{f: f, size: fi.Size()}
	ix.logs[key] = l
	return l, true, nil
}

// removeLog closes and deletes a session's log.
func (ix *itemStore) removeLog(key int64) error {
	ix.mu.Lock()
	if l, ok := ix.logs[key]; ok {
		l.f.Close()
		delete(ix.logs, key)
	}
	ix.mu.Unlock()
	err := os.Remove(ix.logPath(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Keys.

func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func sessionPrefix(key int64) []byte { return appendU64(nil, uint64(key)) }

func kindPrefix(key int64, tag byte, kind int64) []byte {
	b := appendU64(make([]byte, 0, 40), uint64(key))
	b = append(b, tag)
	return appendU64(b, uint64(kind))
}

func refIndexKey(dst []byte, key, kind int64, ref string) []byte {
	dst = appendU64(dst[:0], uint64(key))
	dst = append(dst, tagRef)
	dst = appendU64(dst, uint64(kind))
	return append(dst, ref...)
}

// timeOrder maps a signed Unix time onto unsigned order.
func timeOrder(t int64) uint64 { return uint64(t) ^ 1<<63 }

func timeFromOrder(u uint64) int64 { return int64(u ^ 1<<63) }

func createdIndexKey(dst []byte, key, kind, created, off int64) []byte {
	dst = appendU64(dst[:0], uint64(key))
	dst = append(dst, tagCreated)
	dst = appendU64(dst, uint64(kind))
	dst = appendU64(dst, timeOrder(created))
	return appendU64(dst, uint64(off))
}

func metaKey(key int64) []byte { return append(sessionPrefix(key), tagMeta) }

// prefixEnd is the first key after every key starting with p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// Records.

// record is a decoded log record or 'r' entry.
type record struct {
	kind     int64
	off      int64
	size     int64 // framed length in the log; 0 when unknown
	created  int64
	resource string
	ref      string
	status   string
	typ      string
	asset    string
	accounts string
	data     []byte
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// appendRecord appends an item's framed log record.
func appendRecord(b []byte, kind int64, resource string, it Item) []byte {
	start := len(b)
	b = append(b, make([]byte, recordHeader)...)
	b = binary.AppendUvarint(b, uint64(kind))
	b = binary.AppendVarint(b, it.CreatedAt.UnixNano())
	for _, s := range []string{resource, it.Ref, it.Status, it.Type, it.Asset, accountsColumn(it.Accounts)} {
		b = appendString(b, s)
	}
	b = append(b, it.Data...)
	body := b[start+recordHeader:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(body, crcTable))
	return b
}

func decodeBody(body []byte) (record, bool) {
	var r record
	kind, w := binary.Uvarint(body)
	if w <= 0 {
		return r, false
	}
	r.kind = int64(kind)
	body = body[w:]
	r.created, w = binary.Varint(body)
	if w <= 0 {
		return r, false
	}
	body = body[w:]
	ok := true
	for _, dst := range []*string{&r.resource, &r.ref, &r.status, &r.typ, &r.asset, &r.accounts} {
		if *dst, body, ok = readString(body); !ok {
			return r, false
		}
	}
	r.data = body
	return r, true
}

// refValue is an 'r' entry's value: where the latest record is, and what
// data/list filters on, so that counting needs no log reads.
// The record's length comes last, for the log's compaction.
func refValue(dst []byte, off, size int64, it Item) []byte {
	dst = appendU64(dst[:0], uint64(off))
	dst = binary.AppendVarint(dst, it.CreatedAt.UnixNano())
	for _, s := range []string{it.Status, it.Type, it.Asset, accountsColumn(it.Accounts)} {
		dst = appendString(dst, s)
	}
	return binary.AppendUvarint(dst, uint64(size))
}

func decodeRefValue(v []byte) (record, bool) {
	var r record
	if len(v) < 8 {
		return r, false
	}
	r.off = int64(binary.BigEndian.Uint64(v))
	var w int
	r.created, w = binary.Varint(v[8:])
	if w <= 0 {
		return r, false
	}
	v = v[8+w:]
	ok := true
	for _, dst := range []*string{&r.status, &r.typ, &r.asset, &r.accounts} {
		if *dst, v, ok = readString(v); !ok {
			return r, false
		}
	}
	if size, w := binary.Uvarint(v); w > 0 {
		r.size = int64(size)
	}
	return r, true
}

// readRecord reads the record at off. buf is reused when large enough.
func readRecord(f *os.File, off int64, buf []byte) (record, []byte, error) {
	if cap(buf) < 4096 {
		buf = make([]byte, 4096)
	}
	buf = buf[:cap(buf)]
	n, err := f.ReadAt(buf, off)
	if n < recordHeader {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return record{}, buf, fmt.Errorf("item log %s at %d: %w", f.Name(), off, err)
	}
	size := int(binary.LittleEndian.Uint32(buf))
	if recordHeader+size > n {
		if recordHeader+size > len(buf) {
			buf = make([]byte, recordHeader+size)
		}
		if _, err := f.ReadAt(buf[:recordHeader+size], off); err != nil {
			return record{}, buf, fmt.Errorf("item log %s at %d: %w", f.Name(), off, err)
		}
	}
	body := buf[recordHeader : recordHeader+size]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(buf[4:]) {
		return record{}, buf, fmt.Errorf("item log %s at %d: the record's checksum does not match", f.Name(), off)
	}
	r, ok := decodeBody(body)
	if !ok {
		return record{}, buf, fmt.Errorf("item log %s at %d: the record does not decode", f.Name(), off)
	}
	r.off, r.size = off, int64(recordHeader+size)
	return r, buf, nil
}

// Writing.

// itemGroup is the items side of one group commit.
type itemGroup struct {
	ix      *itemStore
	batch   *pebble.Batch
	touched map[int64]*itemLog // logs appended to
	removed []int64            // sessions whose logs go after the commit
	sync    bool               // the batch deletes: it must outlive a crash
	buf     []byte
	kbuf    []byte
	vbuf    []byte

	// Index entries wait here, to go into the batch in key order: the
	// memtable's skiplist then inserts each next to the one before
	// instead of searching from its head, which at random references
	// was the index's largest cost.
	arena   []byte
	entries []pendingEntry
}

// pendingEntry is an index entry waiting in its group's arena.
type pendingEntry struct{ k, v, end int }

func (g *itemGroup) set(k, v []byte) {
	e := pendingEntry{k: len(g.arena)}
	g.arena = append(g.arena, k...)
	e.v = len(g.arena)
	g.arena = append(g.arena, v...)
	e.end = len(g.arena)
	g.entries = append(g.entries, e)
}

// flushEntries moves the waiting entries into the batch, sorted. Of two
// entries for one key, the later one (further in the arena) stays later,
// and wins.
func (g *itemGroup) flushEntries() error {
	if len(g.entries) == 0 {
		return nil
	}
	a := g.arena
	slices.SortFunc(g.entries, func(x, y pendingEntry) int {
		if c := bytes.Compare(a[x.k:x.v], a[y.k:y.v]); c != 0 {
			return c
		}
		return cmp.Compare(x.k, y.k)
	})
	b := g.b()
	for _, e := range g.entries {
		if err := b.Set(a[e.k:e.v], a[e.v:e.end], nil); err != nil {
			return err
		}
	}
	g.entries = g.entries[:0]
	g.arena = g.arena[:0]
	return nil
}

// groupBuffers keeps a group's buffers (a few MiB for a group of 256
// pages) for the next group: growing them from nothing for every group
// was a sixth of the writer's CPU.
var groupBuffers sync.Pool

func (ix *itemStore) newGroup() *itemGroup {
	if g, ok := groupBuffers.Get().(*itemGroup); ok {
		g.ix = ix
		return g
	}
	return &itemGroup{ix: ix, touched: map[int64]*itemLog{}}
}

// release hands the group's buffers to the next group. The group is not
// used after.
func (g *itemGroup) release() {
	g.discard()
	clear(g.touched)
	g.removed, g.sync, g.ix = g.removed[:0], false, nil
	groupBuffers.Put(g)
}

func (g *itemGroup) b() *pebble.Batch {
	if g.batch == nil {
		g.batch = g.ix.db.NewBatch()
	}
	return g.batch
}

// put appends items to the session's log and indexes them.
func (g *itemGroup) put(key int64, resource string, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	l, _, err := g.ix.log(key, true)
	if err != nil {
		return err
	}
	kind := resourceKind(resource)
	buf := g.buf[:0]
	entries, arena := len(g.entries), len(g.arena)
	for _, it := range items {
		start := len(buf)
		buf = appendRecord(buf, kind, resource, it)
		g.index(key, kind, l.size+int64(start), int64(len(buf)-start), it)
	}
	if _, err := l.f.WriteAt(buf, l.size); err != nil {
		// The bytes may be partly written: the next record goes after
		// them all the same, and the index never refers to them.
		g.entries, g.arena = g.entries[:entries], g.arena[:arena]
		l.size += int64(len(buf))
		return err
	}
	l.size += int64(len(buf))
	g.touched[key] = l
	if cap(buf) <= 1<<20 {
		g.buf = buf
	}
	return nil
}

// index adds the entries of the record of it at off.
func (g *itemGroup) index(key, kind, off, size int64, it Item) {
	g.kbuf = refIndexKey(g.kbuf, key, kind, it.Ref)
	g.vbuf = refValue(g.vbuf, off, size, it)
	g.set(g.kbuf, g.vbuf)
	g.kbuf = createdIndexKey(g.kbuf, key, kind, it.CreatedAt.UnixNano(), off)
	g.set(g.kbuf, []byte(it.Ref))
}

// deleteItems drops the index of one resource of a session, or of all for
// "". The records stay in the log, unreachable, and so does the indexed
// length: a recovery must not index them again.
func (g *itemGroup) deleteItems(key int64, resource string) error {
	// Entries written before the deletion go before it in the batch.
	if err := g.flushEntries(); err != nil {
		return err
	}
	b := g.b()
	for _, tag := range []byte{tagRef, tagCreated} {
		p := append(sessionPrefix(key), tag)
		if resource != "" {
			p = kindPrefix(key, tag, resourceKind(resource))
		}
		if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
			return err
		}
	}
	g.sync = true
	return nil
}

// deleteSession drops a session's index now and its log after the commit.
func (g *itemGroup) deleteSession(key int64) error {
	if err := g.flushEntries(); err != nil {
		return err
	}
	p := sessionPrefix(key)
	if err := g.b().DeleteRange(p, prefixEnd(p), nil); err != nil {
		return err
	}
	g.sync = true
	g.removed = append(g.removed, key)
	return nil
}

// commit makes the group's records durable and then indexes them; the
// SQLite transaction commits after it.
func (g *itemGroup) commit() error {
	if err := g.flushEntries(); err != nil {
		return err
	}
	if g.batch == nil {
		return nil
	}
	for key, l := range g.touched {
		if !g.ix.noSync {
			if err := l.f.Sync(); err != nil {
				return err
			}
		}
		if err := g.batch.Set(metaKey(key), appendU64(nil, uint64(l.size)), nil); err != nil {
			return err
		}
	}
	opt := pebble.NoSync
	if g.sync && !g.ix.noSync {
		opt = pebble.Sync
	}
	err := g.batch.Commit(opt)
	g.batch.Close()
	g.batch = nil
	return err
}

// discard drops a group whose SQLite side failed. Its records stay in the
// logs; the index does not point at them.
func (g *itemGroup) discard() {
	g.entries, g.arena = g.entries[:0], g.arena[:0]
	if g.batch != nil {
		g.batch.Close()
		g.batch = nil
	}
}

// afterCommit removes the logs of deleted sessions.
func (g *itemGroup) afterCommit() error {
	var errs []error
	for _, key := range g.removed {
		errs = append(errs, g.ix.removeLog(key))
	}
	return errors.Join(errs...)
}

// Recovery.

// recover indexes the records past each log's indexed length (written
// before a crash, or before the index's last commit was lost) and cuts off
// a torn record at a log's end. Logs of sessions that are gone (live says
// which are not) are deleted with their index entries.
func (ix *itemStore) recover(live func(key int64) bool) error {
	entries, err := os.ReadDir(ix.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok {
			continue
		}
		key, err := strconv.ParseInt(name, 10, 64)
		if err != nil {
			continue
		}
		if !live(key) {
			p := sessionPrefix(key)
			if err := ix.db.DeleteRange(p, prefixEnd(p), pebble.Sync); err != nil {
				return err
			}
			if err := ix.removeLog(key); err != nil {
				return err
			}
			continue
		}
		if err := ix.replay(key); err != nil {
			return err
		}
	}
	return nil
}

func (ix *itemStore) indexedLength(key int64) (int64, error) {
	v, closer, err := ix.db.Get(metaKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("item index: bad length entry for session key %d", key)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func (ix *itemStore) replay(key int64) error {
	l, ok, err := ix.log(key, false)
	if err != nil || !ok {
		return err
	}
	from, err := ix.indexedLength(key)
	if err != nil {
		return err
	}
	if from >= l.size {
		return nil
	}
	g := ix.newGroup()
	defer g.discard()
	off := from
	var buf []byte
	for off < l.size {
		var r record
		r, buf, err = readRecord(l.f, off, buf)
		if err != nil {
			// A torn record: never acknowledged, since records are synced
			// before the states that follow them commit.
			if err := l.f.Truncate(off); err != nil {
				return err
			}
			l.size = off
			break
		}
		g.index(key, r.kind, off, r.size, Item{Ref: r.ref, CreatedAt: unixNano(r.created), Status: r.status, Type: r.typ, Asset: r.asset, Accounts: strings.Fields(r.accounts)})
		off += r.size
	}
	// The group's commit sets the indexed length of the logs it touched.
	g.touched[key] = l
	g.sync = true
	return g.commit()
}

// Reading.

// lookup returns the latest record's 'r' entry of a reference, through an
// iterator the caller reuses.
func lookup(it *pebble.Iterator, k []byte) (record, bool) {
	if !it.SeekGE(k) || !bytes.Equal(it.Key(), k) {
		return record{}, false
	}
	return decodeRefValue(it.Value())
}

// Compaction.
//
// An item fetched again leaves its old record in the log, and its old
// created-at entry in the index. Records are never moved (their offsets
// are in the index): the disk blocks under superseded records are given
// back by punching holes in the file, which keeps every offset, and the
// stale created-at entries are deleted. Only ranges below the indexed
// length are punched, and only after that length is synced, so recovery,
// which reads from the indexed length on, never meets a hole.

// compactMinBytes is the log size below which compaction does not bother,
// and compactGarbage the share of superseded bytes that triggers it.
// Variables so tests can shrink them.
var (
	compactMinBytes int64 = 64 << 20
	compactGarbage        = 0.5
)

// compactIdle checks the open logs that have grown by half since they
// were last checked, and compacts those that are mostly superseded
// records. The writer runs it when idle.
func (ix *itemStore) compactIdle() error {
	ix.mu.Lock()
	var due []int64
	for key, l := range ix.logs {
		if l.size >= compactMinBytes && float64(l.size) >= 1.5*float64(l.checked) {
			due = append(due, key)
		}
	}
	ix.mu.Unlock()
	var errs []error
	for _, key := range due {
		if _, err := ix.compact(key, false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// compactStats says what a compaction found and did.
type compactStats struct {
	live, garbage, punched int64 // bytes
	staleEntries           int
}

// compact measures a session's superseded bytes and, when they are more
// than compactGarbage of the log (or force), punches them out and deletes
// stale created-at entries.
func (ix *itemStore) compact(key int64, force bool) (compactStats, error) {
	var st compactStats
	l, ok, err := ix.log(key, false)
	if err != nil || !ok {
		return st, err
	}
	end, err := ix.indexedLength(key)
	if err != nil {
		return st, err
	}
	l.checked = l.size
	type span struct{ off, size int64 }
	var spans []span
	p := append(sessionPrefix(key), tagRef)
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return st, err
	}
	var buf []byte
	for ok := it.First(); ok; ok = it.Next() {
		r, ok := decodeRefValue(it.Value())
		if !ok || r.off >= end {
			continue
		}
		if r.size == 0 { // an entry written before sizes were kept
			var rec record
			if rec, buf, err = readRecord(l.f, r.off, buf); err != nil {
				it.Close()
				return st, err
			}
			r.size = rec.size
		}
		spans = append(spans, span{r.off, r.size})
		st.live += r.size
	}
	if err := it.Close(); err != nil {
		return st, err
	}
	st.garbage = end - st.live
	if !force && float64(st.garbage) < compactGarbage*float64(end) {
		return st, nil
	}
	if !ix.reading.TryLock() {
		l.checked = 0 // a reader is at work: measure again at the next idle
		return st, nil
	}
	defer ix.reading.Unlock()
	// The indexed length must outlive a crash before any hole exists.
	if err := ix.db.LogData(nil, pebble.Sync); err != nil {
		return st, err
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	const block = 4096
	punch := func(from, to int64) error {
		from = (from + block - 1) / block * block
		to = to / block * block
		if to-from < 16*block {
			return nil // a few blocks: not worth a system call
		}
		if err := punchHole(l.f, from, to-from); err != nil {
			return err
		}
		st.punched += to - from
		return nil
	}
	var at int64
	for _, sp := range spans {
		if err := punch(at, sp.off); err != nil {
			return st, err
		}
		at = max(at, sp.off+sp.size)
	}
	if err := punch(at, end); err != nil {
		return st, err
	}
	live := make([]int64, len(spans))
	for i, sp := range spans {
		live[i] = sp.off
	}
	n, err := ix.deleteStale(key, live)
	st.staleEntries = n
	return st, err
}

// deleteStale deletes the created-at entries of superseded records: those
// whose offset is not a live record's (live is sorted). One pass, no
// lookups: a lookup per entry took 30 s for two million entries.
func (ix *itemStore) deleteStale(key int64, live []int64) (int, error) {
	cp := append(sessionPrefix(key), tagCreated)
	created, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: cp, UpperBound: prefixEnd(cp)})
	if err != nil {
		return 0, err
	}
	defer created.Close()
	b := ix.db.NewBatch()
	defer func() { b.Close() }()
	n := 0
	base := len(cp)
	for ok := created.First(); ok; ok = created.Next() {
		k := created.Key()
		if len(k) != base+24 {
			continue
		}
		if _, found := slices.BinarySearch(live, int64(binary.BigEndian.Uint64(k[base+16:]))); found {
			continue
		}
		if err := b.Delete(k, nil); err != nil {
			return n, err
		}
		n++
		if b.Count() >= 10_000 {
			if err := b.Commit(pebble.NoSync); err != nil {
				return n, err
			}
			b.Close()
			b = ix.db.NewBatch()
		}
	}
	if err := created.Error(); err != nil {
		return n, err
	}
	return n, b.Commit(pebble.NoSync)
}

// liveOffsets returns, sorted, the offsets of the latest records of a
// session's items (of one resource kind, or all for kind 0), as a reader
// sees them.
func liveOffsets(r pebble.Reader, key, kind int64) ([]int64, error) {
	p := append(sessionPrefix(key), tagRef)
	if kind != 0 {
		p = kindPrefix(key, tagRef, kind)
	}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	var out []int64
	for ok := it.First(); ok; ok = it.Next() {
		if v := it.Value(); len(v) >= 8 {
			out = append(out, int64(binary.BigEndian.Uint64(v)))
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}
