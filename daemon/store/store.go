// Package store keeps the daemon's sessions, their pagination states and
// every item their connectors fetched, so that a restart, or a crash,
// loses nothing. Everything is in one Pebble database (keys.go): its
// write-ahead log, checksums and recovery are the engine's, not ours.
//
// A page's items and the state that follows them are one atomic batch, so
// after any crash the store holds the items of every page whose state it
// saved, and never a state ahead of its items. Items are upserted by
// reference, so resuming from a state refetches at most the pages lost
// and duplicates nothing.
//
// Pages are committed by one writer goroutine in the order they were
// fetched, several per synced batch (group commit, at most maxOpen
// apart); callers that must know a page is durable wait for it (CommitPage's
// done channel, Flush). Every other write is synced before it returns.
package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Memory is the --store value of a throw-away store held in memory.
const Memory = "memory"

// SchemaVersion is the version this build writes. 1 to 4 were SQLite
// files (4 with item logs and a Pebble index beside them); 5 is one
// Pebble database (upgrade.go moves older stores into it); 6 keeps the
// items apart from the indexes (keys.go; schema5.go moves them).
const SchemaVersion uint64 = 6

// Store is one Pebble database.
//
// Lock order: cmu before keyMu; mu and keyMu are never held together.
type Store struct {
	db       *pebble.DB
	path     string // as given: a directory or Memory
	dir      string // the database directory
	tmpDir   string // removed on Close for Memory
	noSync   bool   // the throw-away store does not sync
	readOnly string // why writes are refused for good ("" when they are not)
	space    *space // nil for Memory

	jobs   chan *job
	wg     sync.WaitGroup
	cmu    sync.RWMutex // held for reading while sending on jobs, for writing to close it
	closed atomic.Bool

	mu      sync.Mutex
	lastErr error // the latest failed asynchronous commit, reported once; guarded by mu
	// failedPages are the sessions whose page commit failed, refused pages
	// until ResumePages; guarded by mu.
	failedPages map[string]error

	keyMu    sync.Mutex
	keys     map[string]uint64 // session id -> its data key; guarded by keyMu
	nextKey  uint64            // the next session's data key; guarded by keyMu
	sessions map[string]Session

	// The writer goroutine's own: the next item seq and the item counts
	// it has read or written ((key, kind) -> count).
	seq     uint64
	counts  map[[2]uint64]int64
	filters map[[2]uint64]*refFilter // (key, kind) -> its references (reffilter.go)
	spare   *wtx                     // the last group's buffers
}

// Options tune Open. The zero value is the daemon's default.
type Options struct {
	// Reserve is the free space, in bytes, under which writes are refused
	// with ErrFull. 0 means the default (DefaultReserve).
	Reserve int64
	// Ballast is the size of the ballast file (ballast.go). 0 means the
	// default (DefaultBallast of the reserve); negative, none.
	Ballast int64
}

// ErrStore wraps every error of the store, so callers can tell a disk
// problem from a connector one.
var ErrStore = errors.New("store")

// ErrInUse is the error of a store another process holds.
var ErrInUse = errors.New("store in use")

// ErrDamaged is the error of a store that fails its checksums or does not
// open: its message names the directory and the next step.
var ErrDamaged = errors.New("store damaged")

// blockSize is the tables' block size: 32 KiB rather than Pebble's 4 KiB
// takes an export (a scan of the items) from about 170 to 120 ms per
// 200,000 items (fewer reads, block lookups and decompressions) and
// compresses the JSON better; a point read of the reference index reads a
// larger block. A flipped byte loses one block's items (about 40). A
// variable so BenchmarkExport can compare.
var blockSize = 32 << 10

// testNoCompactions keeps every flush in a table of its own (tests).
var testNoCompactions bool

// lockWait is how long Open waits for another process to release the
// store. A variable so tests can shorten it.
var lockWait = 15 * time.Second

// Open opens (creating if needed) the store at path with the default
// options. See OpenWith.
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith opens (creating if needed) the store at path, a directory, or
// an in-memory store for Memory. An older store (a SQLite file) is
// upgraded; a store written by a newer Switchboard is refused, and so is
// a damaged one, with the commands that inspect and salvage it. On a full
// disk the store opens read-only (ReadOnly says why).
func OpenWith(path string, o Options) (*Store, error) {
	s := &Store{path: path, dir: path, jobs: make(chan *job, jobQueue), keys: map[string]uint64{}, sessions: map[string]Session{}, counts: map[[2]uint64]int64{}, failedPages: map[string]error{}, filters: map[[2]uint64]*refFilter{}}
	if path == Memory {
		// A throw-away store is a directory in RAM (/dev/shm) or the temp
		// dir, deleted on Close: the same code path as a real one, off the
		// Go heap.
		base := os.TempDir()
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			base = "/dev/shm"
		}
		d, err := os.MkdirTemp(base, "switchboard-store-")
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		s.tmpDir, s.dir, s.noSync = d, d, true
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		if err := upgradeIfOld(path); err != nil {
			return nil, err
		}
		sp, err := newSpace(path, o.Reserve, o.Ballast)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		s.space = sp
		if err := sp.check(0); err != nil {
			s.readOnly = fmt.Sprintf("the disk holding %s was full when the daemon started (%s); free space and restart the daemon to write again", path, err)
		}
	}
	db, err := openPebble(s.dir, s.noSync, s.readOnly != "", s.memtableSize())
	if err != nil {
		s.removeTmp()
		return nil, s.openError(err)
	}
	s.db = db
	if err := s.load(); err != nil {
		db.Close()
		s.removeTmp()
		return nil, err
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// memtableSize keeps a flush well inside the reserve on a small disk.
func (s *Store) memtableSize() uint64 {
	const most = 16 << 20
	if s.space == nil {
		return most
	}
	return uint64(min(most, max(4<<20, s.space.reserve/4)))
}

func openPebble(dir string, noSync, readOnly bool, memtable uint64) (*pebble.DB, error) {
	if !readOnly {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, err
		}
	}
	opts := &pebble.Options{
		Logger: quietLogger{},
		// The plain file system: Pebble's default wraps it in a disk
		// health checker whose goroutines a failed Open leaves behind.
		FS:           privateFS{vfs.Default},
		MemTableSize: memtable,
		// Each flush adds a table of the random-keyed indexes spanning
		// their whole range to L0; compacting them into the base level
		// after 8 rather than 4 rewrites that level half as often (a
		// point read may look at a few more tables; the Bloom filters
		// answer most).
		L0CompactionThreshold: 8,
		Cache:                 pebble.NewCache(32 << 20),
		FormatMajorVersion:    pebble.FormatNewest,
		ReadOnly:              readOnly,
		DisableWAL:            noSync,
		// Tests that damage one table of several keep them apart.
		DisableAutomaticCompactions: testNoCompactions,
		EventListener: &pebble.EventListener{
			// Pebble's default is Logger.Fatalf: a damaged block would end
			// the daemon. The read that met it fails instead (ErrDamaged),
			// and the damage is logged once per file.
			DataCorruption: func(info pebble.DataCorruptionInfo) {
				if _, seen := reported.LoadOrStore(info.Path, true); seen {
					return
				}
				slog.Error("store: damaged file: run `switchboard store check` with the daemon stopped", "file", info.Path, "err", info.Details.Error())
			},
			BackgroundError: func(err error) {
				slog.Error("store: background work failed", "err", err.Error())
			},
		},
	}
	defer opts.Cache.Unref()
	// Every flushed or compacted table ends where the items begin and
	// where they end: a table of items never spans index keys, so the
	// items, appended in key order, move down the tree (keys.go).
	items := []byte{tagItem}
	opts.Experimental.SpanPolicyFunc = pebble.MakeStaticSpanPolicyFunc(bytes.Compare, pebble.KeyRange{Start: items, End: prefixEnd(items)}, pebble.SpanPolicy{})
	// Every item written looks its reference up (is it new?): most are
	// not there, which a Bloom filter answers without reading a block.
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		opts.Levels[i].BlockSize = blockSize
	}
	// JSON compresses: Snappy where data is rewritten soon, zstd at the
	// bottom of the tree where most of it lives.
	opts.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionBalanced })
	// One process at a time. A daemon that is restarted (the editor's
	// extension does when its settings change) meets the old one still
	// closing: it waits for it, a while.
	deadline := time.Now().Add(lockWait)
	for {
		db, err := pebble.Open(dir, opts)
		if err == nil {
			_ = os.Chmod(filepath.Join(dir, "LOCK"), 0o600) // made by Pebble's Lock, not Create
			return db, nil
		}
		if !isLocked(err) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: another switchboard process has this store open; stop it, or give this one another --store or --state-dir (export, import and sessions reach a running daemon without --store)", ErrInUse)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func isLocked(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "lock held") || strings.Contains(msg, "temporarily unavailable") || strings.Contains(msg, "resource temporarily")
}

// openError explains why the database did not open.
func (s *Store) openError(err error) error {
	if errors.Is(err, ErrInUse) {
		return fmt.Errorf("%w: %s: %w", ErrStore, s.path, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w: open %s: %v (the store directory is not writable)", ErrStore, s.path, err)
	}
	return damaged(s.path, err)
}

// damaged is the error of a store that does not open or fails its
// checksums: what failed, and what to run next.
func damaged(path string, err error) error {
	return fmt.Errorf("%w: %w: %s: %v; nothing was changed: run `switchboard store check --store %s` to see what is damaged, and `switchboard store salvage --store %s --out FILE` to export every readable item as JSON Lines", ErrStore, ErrDamaged, path, err, path, path)
}

// reported are the damaged files already logged.
var reported sync.Map

// privateFS creates the database's files owner-only, whatever the umask:
// secrets (session configs) live in them.
type privateFS struct{ vfs.FS }

func (p privateFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := p.FS.Create(name, category)
	if err == nil {
		err = os.Chmod(name, 0o600)
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, err
}

// quietLogger keeps Pebble's informational lines off the daemon's stderr.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)         {}
func (quietLogger) Errorf(string, ...any)        {}
func (quietLogger) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

// Path returns the store's directory, or Memory.
func (s *Store) Path() string { return s.path }

// ReadOnly says why the store refuses every write, or "" when it does not.
func (s *Store) ReadOnly() string { return s.readOnly }

// Close commits what is queued and closes the database.
func (s *Store) Close() error {
	s.cmu.Lock()
	if s.closed.Swap(true) {
		s.cmu.Unlock()
		return nil
	}
	close(s.jobs)
	s.cmu.Unlock()
	s.wg.Wait()
	var err error
	if s.readOnly == "" && !s.noSync {
		// Everything into checksummed tables: after a clean stop no item
		// depends on the WAL, whose damaged tail Pebble cannot tell from
		// a torn write.
		err = s.db.Flush()
	}
	err = errors.Join(err, s.db.Close())
	s.removeTmp()
	return err
}

func (s *Store) removeTmp() {
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

// Size returns the bytes the store takes on disk.
func (s *Store) Size() int64 { return dirSize(s.dir) }

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != BallastName {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrStore) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrStore, op, err)
}
