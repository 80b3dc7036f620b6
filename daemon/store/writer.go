package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// wtx is what a job writes with: the group's SQLite transaction and the
// items written with it (see items.go for the order they commit in).
type wtx struct {
	*sql.Tx
	items *itemGroup
}

// job is one transaction for the writer goroutine.
type job struct {
	fn   func(tx *wtx) error
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
// syncs the item logs once and writes each SQLite page of states once.
// Any other job commits the group at once: its caller waits.
//
// A job that fails is undone by SQLite; items it appended stay in their
// log without its state, so a resume fetches them again and, upserted by
// reference, they are not duplicated.
//
// Once the store has been idle for idleTruncate after writing, the WAL is
// copied into the database and truncated (it could otherwise stay large
// until the daemon stops), and item logs that are mostly superseded
// records are compacted (items.go).
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
			if err := s.items.compactIdle(); err != nil {
				s.setErr(wrap("compact item logs", err))
			}
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
	sqlTx, err := s.wconn.BeginTx(context.Background(), nil)
	if err != nil {
		s.fail([]*job{first}, wrap("begin", err))
		return true
	}
	tx := &wtx{Tx: sqlTx, items: s.items.newGroup()}
	defer tx.items.release()
	errs := map[*job]error{}
	run := func(j *job) {
		group = append(group, j)
		if err := j.fn(tx); err != nil {
			errs[j] = wrap("write", err)
		}
		j.fn = nil // its page's items are in the log now
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
	// Items first: a state must never be saved without its page's items.
	// Every job of the group fails with a failed commit: a commit fails
	// for the disk's reasons (full, read-only, I/O), which no retry cures,
	// and the jobs' pages are not kept for one, to bound the memory a long
	// group holds.
	if err := tx.items.commit(); err != nil {
		tx.items.discard()
		_ = tx.Rollback()
		s.fail(group, wrap("commit items", err))
		return open
	}
	if err := tx.Commit(); err != nil {
		s.fail(group, wrap("commit", err))
		return open
	}
	if err := tx.items.afterCommit(); err != nil {
		s.setErr(wrap("delete item log", err))
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
	maxOpen   = 50 * time.Millisecond // half of session.CommitWindow: a group commits before a walk waits for it
	jobQueue  = 64
)

// enqueue hands a transaction to the writer; the returned channel gets its
// outcome. It blocks while the queue is full: that is the backpressure that
// keeps a sync from outrunning the disk by more than a few pages.
func (s *Store) enqueue(ctx context.Context, fn func(tx *wtx) error) (<-chan error, error) {
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
	case s.jobs <- &job{fn: func(*wtx) error { return nil }, done: make(chan error, 1)}:
	default:
		// A full queue is a busy writer, not one waiting for more pages.
	}
}

// run executes fn in a transaction after everything queued before it.
func (s *Store) run(ctx context.Context, fn func(tx *wtx) error) error {
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
	if err := s.run(ctx, func(*wtx) error { return nil }); err != nil {
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
// that follows them, committed together. The channel gets the outcome.
func (s *Store) CommitPage(ctx context.Context, resource string, items []Item, st State) (<-chan error, error) {
	return s.enqueueJob(ctx, &job{page: true, done: make(chan error, 1), fn: func(tx *wtx) error {
		if err := s.putItems(ctx, tx, st.SessionID, resource, items); err != nil {
			return err
		}
		return s.putState(context.Background(), tx.Tx, st)
	}})
}

// preparedSQL prepares a statement once. It is prepared on the pool, not
// on the writer's *sql.Conn: database/sql re-prepares a Conn's statement
// in every transaction that uses it (Tx.Stmt). A pool statement is
// prepared once per connection and reused by every transaction on it.
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
	s.stmts[q] = st
	return st, nil
}

// accountsColumn stores references space-delimited on both ends, so that
// a filter finds whole references only.
func accountsColumn(refs []string) string {
	if len(refs) == 0 {
		return ""
	}
	return " " + strings.Join(refs, " ") + " "
}
