package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"
)

// job is one transaction for the writer goroutine.
type job struct {
	fn   func(tx *sql.Tx) error
	done chan error // receives the outcome; buffered
	// page marks a page commit nobody waits on: the writer may hold it a
	// few milliseconds to commit it with the pages that follow.
	page bool
}

// writer commits jobs in order, several per transaction (group commit).
// A transaction is opened for the first job and each job runs as soon as
// it arrives; a job that fails gets its error and the others of the group
// still commit.
//
// Page jobs keep the transaction open while pages keep coming (maxLinger
// between two, maxOpen in all, maxGroup pages): one commit for many pages
// is the store's largest saving, since each commit writes every database
// page it dirtied and keys with random values dirty index pages all over
// the file. Any other job commits the group at once: its caller waits.
//
// A failed statement is undone by SQLite. A page refused for a key
// collision after some of its items were written keeps those items but not
// its state, so a resume fetches it again and nothing is duplicated; a
// savepoint per page would undo it whole, but tripled the statement
// journal's cost on a large store.
//
// Once the store has been idle for idleTruncate after writing, the WAL is
// copied into the database and truncated: a long sync leaves a WAL of
// hundreds of megabytes, which would otherwise stay on disk until the
// daemon stops.
func (s *Store) writer() {
	defer s.wg.Done()
	linger := time.NewTimer(maxLinger)
	linger.Stop()
	idle := time.NewTimer(idleTruncate)
	idle.Stop()
	for {
		select {
		case j, ok := <-s.jobs:
			if !ok {
				return
			}
			idle.Stop()
			if !s.runGroup(j, linger) {
				return
			}
			idle.Reset(idleTruncate)
		case <-idle.C:
			_, _ = s.wconn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
			s.walLong.Store(false)
		}
	}
}

// idleTruncate is how long the writer waits, idle, before truncating the
// WAL. A variable so tests can shorten it.
var idleTruncate = 3 * time.Second

// runGroup runs first and the jobs that follow it in one transaction and
// delivers their outcomes. It returns false once the job queue is closed.
func (s *Store) runGroup(first *job, linger *time.Timer) (open bool) {
	open = true
	var group []*job
	tx, err := s.wconn.BeginTx(context.Background(), nil)
	if err != nil {
		s.fail([]*job{first}, wrap("begin", err))
		return true
	}
	errs := map[*job]error{}
	run := func(j *job) {
		group = append(group, j)
		if err := j.fn(tx); err != nil {
			errs[j] = wrap("write", err)
		}
		j.fn = nil // its page's items are in SQLite now
	}
	run(first)
	// A page that waits is a sync going on: the group waits for the next
	// one a little (maxLinger), but not longer than maxOpen in all. Jobs
	// already waiting always join.
	lingering := first.page
	started := time.Now()
collect:
	for len(group) < maxGroup {
		var (
			j  *job
			ok bool
		)
		select {
		case j, ok = <-s.jobs:
		default:
			if !lingering {
				break collect
			}
			linger.Reset(maxLinger)
			select {
			case j, ok = <-s.jobs:
				// Since Go 1.23 a stopped timer delivers nothing stale.
				linger.Stop()
			case <-linger.C:
				lingering = false
				continue
			}
		}
		if !ok {
			open = false
			break
		}
		run(j)
		lingering = lingering && j.page && time.Since(started) < maxOpen
	}
	if err := tx.Commit(); err != nil {
		// Every job of the group fails with it: a commit fails for the
		// disk's reasons (full, read-only, I/O), which no retry cures, and
		// the jobs' pages are not kept for one, to bound the memory a
		// long group holds.
		s.fail(group, wrap("commit", err))
		return open
	}
	s.commits++
	if s.commits%checkpointEvery == 0 {
		s.afterCommit()
	}
	for _, j := range group {
		err := errs[j]
		if err != nil {
			s.setErr(err)
		}
		j.done <- err
	}
	return open
}

func (s *Store) fail(jobs []*job, err error) {
	s.setErr(err)
	for _, j := range jobs {
		j.done <- err
	}
}

func (s *Store) setErr(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

// maxGroup bounds a group commit; maxLinger is how long a group of pages
// waits for the next page, and maxOpen how long it stays open in all (the
// pages a crash could take back). jobQueue is small: a group's pages are
// written as they arrive, not held in the queue.
const (
	maxGroup  = 256
	maxLinger = 50 * time.Millisecond
	maxOpen   = time.Second
	jobQueue  = 64
	// checkpointEvery: the WAL is copied into the database after this
	// many group commits, not after each: pages that several commits
	// dirtied (index pages, on a large store) are copied once.
	checkpointEvery = 4
)

// walRestartFrames is the WAL length, in pages, past which the writer
// restarts the WAL itself: passive checkpoints copy what is committed but
// cannot rewind a WAL that a busy writer keeps appending to.
var walRestartFrames = 65536

// checkpointer runs a passive checkpoint after commits, on its own
// connection: it never blocks the writer or readers.
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	for range s.ckWake {
		var busy, logFrames, copied int
		err := s.ckConn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied)
		if err == nil && logFrames > walRestartFrames {
			s.walLong.Store(true)
		}
	}
}

// afterCommit wakes the checkpointer, and restarts a WAL that has grown
// too long: little is left to copy by then, the checkpointer having
// copied the rest.
func (s *Store) afterCommit() {
	if s.walLong.Load() {
		// Busy when the checkpointer is at work: try again next commit.
		var busy, logFrames, copied int
		err := s.wconn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &logFrames, &copied)
		if err == nil && busy == 0 {
			s.walLong.Store(false)
		}
	}
	select {
	case s.ckWake <- struct{}{}:
	default:
	}
}

// enqueue hands a transaction to the writer; the returned channel gets its
// outcome. It blocks while the queue is full: that is the backpressure that
// keeps a sync from outrunning the disk by more than a few pages.
func (s *Store) enqueue(ctx context.Context, fn func(tx *sql.Tx) error) (<-chan error, error) {
	return s.enqueueJob(ctx, &job{fn: fn, done: make(chan error, 1)})
}

func (s *Store) enqueueJob(ctx context.Context, j *job) (<-chan error, error) {
	s.cmu.RLock()
	defer s.cmu.RUnlock()
	if s.closed.Load() {
		return nil, fmt.Errorf("%w: closed", ErrStore)
	}
	select {
	case s.jobs <- j:
		return j.done, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Kick has the writer commit the pages it holds back now, without waiting
// for them: a caller is about to wait for their outcome.
func (s *Store) Kick() {
	s.cmu.RLock()
	defer s.cmu.RUnlock()
	if s.closed.Load() {
		return
	}
	select {
	case s.jobs <- &job{fn: func(*sql.Tx) error { return nil }, done: make(chan error, 1)}:
	default:
		// A full queue is a busy writer, not one waiting for more pages.
	}
}

// run executes fn in a transaction after everything queued before it.
func (s *Store) run(ctx context.Context, fn func(tx *sql.Tx) error) error {
	done, err := s.enqueue(ctx, fn)
	if err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush waits until every commit queued before it is done, and returns the
// first asynchronous commit error not yet reported.
func (s *Store) Flush(ctx context.Context) error {
	if err := s.run(ctx, func(*sql.Tx) error { return nil }); err != nil {
		return err
	}
	return s.TakeError()
}

// TakeError returns, once, the latest asynchronous commit error.
func (s *Store) TakeError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.lastErr
	s.lastErr = nil
	return err
}

// CommitPage queues one page: its items upserted by reference and the state
// that follows them, in one transaction. The channel gets the outcome.
func (s *Store) CommitPage(ctx context.Context, resource string, items []Item, st State) (<-chan error, error) {
	return s.enqueueJob(ctx, &job{page: true, done: make(chan error, 1), fn: func(tx *sql.Tx) error {
		if err := s.upsertItems(ctx, tx, st.SessionID, resource, items); err != nil {
			return err
		}
		return s.putState(context.Background(), tx, st)
	}})
}

// upsertItems writes items in multi-row statements: per-statement overhead,
// not SQLite, dominates one-row inserts through database/sql.
func (s *Store) upsertItems(ctx context.Context, tx *sql.Tx, sessionID, resource string, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	key, ok, err := s.sessionKey(ctx, tx, sessionID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("session %s is not in the store", sessionID)
	}
	kind := resourceKind(resource)
	for len(items) > 0 {
		n := min(len(items), itemsPerStatement)
		args := make([]any, 0, n*columnsPerItem)
		for _, it := range items[:n] {
			args = append(args, key, kind, refKey(resource, it.Ref), resource, it.Ref, it.CreatedAt.UnixNano(), it.Status, it.Type, it.Asset,
				accountsColumn(it.Accounts), []byte(it.Data))
		}
		stmt, err := s.prepared(n)
		if err != nil {
			return err
		}
		res, err := tx.Stmt(stmt).Exec(args...)
		if err != nil {
			return err
		}
		// Every row is inserted or updates its own earlier row; one that
		// did neither met another reference with the same key.
		if changed, err := res.RowsAffected(); err == nil && changed < int64(n) {
			return s.keyCollision(ctx, tx, key, resource, items[:n])
		}
		items = items[n:]
	}
	return nil
}

// keyCollision names the references whose keys collide, for the error
// that refuses the page.
func (s *Store) keyCollision(ctx context.Context, tx *sql.Tx, key int64, resource string, items []Item) error {
	for _, it := range items {
		var other string
		err := tx.QueryRowContext(ctx, "SELECT ref FROM items WHERE session_id = ? AND rkey = ? AND NOT (kind = ? AND ref = ?)",
			key, refKey(resource, it.Ref), resourceKind(resource), it.Ref).Scan(&other)
		if err == nil {
			return fmt.Errorf("reference %q of %s has the same store key as %q, already stored: it is not stored, nor is the state after its page", it.Ref, resource, other)
		}
	}
	return fmt.Errorf("a page of %s was not stored whole and no reference collision was found", resource)
}

// prepared returns the upsert of n rows, prepared once: parsing a
// statement of a thousand placeholders costs as much as running it.
func (s *Store) prepared(n int) (*sql.Stmt, error) { return s.preparedSQL(upsertSQL(n)) }

// preparedSQL prepares a statement once. It is prepared on the pool, not
// on the writer's *sql.Conn: database/sql re-prepares a Conn's statement
// in every transaction that uses it (Tx.Stmt), and parsing the 100-row
// upsert cost as much as running it. A pool statement is prepared once
// per connection and reused by every transaction on it.
func (s *Store) preparedSQL(q string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, err
	}
	if len(s.stmts) > 64 {
		// Odd page sizes come and go; keep the cache bounded.
		for k, old := range s.stmts {
			old.Close()
			delete(s.stmts, k)
		}
	}
	s.stmts[q] = st
	return st, nil
}

// itemsPerStatement keeps a statement under SQLite's 32766 variables.
const (
	columnsPerItem    = 11
	itemsPerStatement = 500
)

var upsertCache sync.Map // int -> string

func upsertSQL(n int) string {
	if q, ok := upsertCache.Load(n); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO items (session_id, kind, rkey, resource, ref, created_at, status, type, asset, accounts, data) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(upsertTail)
	q := b.String()
	upsertCache.Store(n, q)
	return q
}

// upsertTail updates the row of the same reference; a row that only
// shares the key (a hash collision) is left alone, which the caller sees
// in the count of changed rows.
const upsertTail = ` ON CONFLICT (session_id, rkey) DO UPDATE SET created_at = excluded.created_at, status = excluded.status,
		type = excluded.type, asset = excluded.asset, accounts = excluded.accounts, data = excluded.data
		WHERE items.kind = excluded.kind AND items.ref = excluded.ref`

// accountsColumn stores references space-delimited on both ends, so that
// a LIKE '% ref %' finds whole references only.
func accountsColumn(refs []string) string {
	if len(refs) == 0 {
		return ""
	}
	return " " + strings.Join(refs, " ") + " "
}
