// Package store keeps the daemon's sessions, their pagination states and
// every item their connectors fetched, so that a restart, or a crash,
// loses nothing. Sessions and states are in one SQLite file (pure Go,
// through modernc.org/sqlite); items, which a long sync writes by the
// million, are appended to a log per session and found through a Pebble
// index beside it (items.go).
//
// The one rule that makes crash recovery work: a page's state is never
// saved before its items are. After any crash the store holds the items of
// every page whose state it saved, so resuming from that state refetches
// at most the pages that were lost, and items, upserted by reference, are
// never duplicated.
//
// Pages are committed by one writer goroutine in the order they were
// fetched, so a sync does not wait for the disk on every page; callers that
// must know a page is durable wait for it (Commit's done channel, Flush).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Memory is the --store value of a throw-away store held in memory.
const Memory = "memory"

// Store is one SQLite database.
type Store struct {
	db     *sql.DB
	wconn  *sql.Conn // the writer's connection
	path   string    // as given: a file or Memory
	file   string    // the database file
	tmpDir string    // removed on Close for Memory

	jobs   chan *job
	wg     sync.WaitGroup
	cmu    sync.RWMutex // held for reading while sending on jobs, for writing to close it
	closed atomic.Bool

	mu      sync.Mutex
	lastErr error // the latest failed asynchronous commit, reported once; guarded by mu

	keyMu sync.Mutex
	keys  map[string]int64 // session id -> items' session key; guarded by keyMu

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared statements by SQL; guarded by stmtMu

	items *itemStore // the items' logs and index (items.go)
}

// Open opens (creating if needed) the store at path, or an in-memory store
// for Memory, and migrates it to the current schema. A file written by a
// newer Switchboard is refused.
func Open(path string) (*Store, error) {
	file := path
	sync := "NORMAL"
	var tmpDir string
	if path == Memory {
		// A throw-away store is a file in RAM (/dev/shm) or the temp dir,
		// deleted on Close: the same SQLite code path as a real one, so
		// readers never wait for the writer.
		base := os.TempDir()
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			base = "/dev/shm"
		}
		d, err := os.MkdirTemp(base, "switchboard-store-")
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		tmpDir = d
		file = filepath.Join(d, "switchboard.db")
		sync = "OFF"
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f.Close()
	// Secrets live here: owner only, whatever the umask.
	if err := os.Chmod(file, 0o600); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// temp_store(MEMORY): upserts keep a statement journal, which would
	// otherwise be a temporary file written on every page.
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=temp_store(MEMORY)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(6)
	s := &Store{db: db, path: path, file: file, tmpDir: tmpDir, jobs: make(chan *job, jobQueue), stmts: map[string]*sql.Stmt{}, keys: map[string]int64{}}
	if err := s.openItems(path == Memory); err != nil {
		s.closeDB()
		return nil, err
	}
	// Every write goes through one connection owned by the writer
	// goroutine: SQLite has one writer anyway, and statements prepared on
	// it stay usable inside its transactions.
	s.wconn, err = db.Conn(context.Background())
	if err != nil {
		s.closeDB()
		return nil, wrap("open", err)
	}
	// SQLite holds sessions and states only (items are in their logs):
	// its default cache and automatic checkpoints, run inside the
	// committing call, are enough for commits of a few state rows.
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Chmod(file+suffix, 0o600)
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// Path returns the file path, or Memory.
func (s *Store) Path() string { return s.path }

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
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmtMu.Unlock()
	if s.wconn != nil {
		s.wconn.Close()
	}
	return s.closeDB()
}

func (s *Store) closeDB() error {
	var err error
	if s.items != nil {
		err = s.items.close()
	}
	err = errors.Join(err, s.db.Close())
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
	return err
}

// Size returns the bytes the store takes on disk: its SQLite file and
// WAL, and the items' logs and index.
func (s *Store) Size() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.file + suffix); err == nil {
			n += fi.Size()
		}
	}
	_ = filepath.WalkDir(s.file+".items", func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += diskBytes(fi) // a compacted log has holes
			}
		}
		return nil
	})
	return n
}

// ErrStore wraps every error of the store, so callers can tell a disk
// problem from a connector one.
var ErrStore = errors.New("store")

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: %v", ErrStore, op, explain(err))
}

// explain turns SQLite's terse codes into advice.
func explain(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SQLITE_FULL") || strings.Contains(msg, "database or disk is full"):
		return msg + " (the disk is full: free space, or start the daemon with --store memory)"
	case strings.Contains(msg, "SQLITE_READONLY") || strings.Contains(msg, "readonly database"):
		return msg + " (the store file or its directory is read-only)"
	}
	return msg
}
