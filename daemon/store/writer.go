package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// wtx is what a job writes with: the group's batch, and what the group
// wrote that the database does not show yet. The writer goroutine's own.
type wtx struct {
	s *Store
	b *pebble.Batch
	// refs are the references the group wrote: ref key -> its latest
	// (seq, created), which a lookup in the database would not see.
	refs map[string][2]uint64
	// counts are the item counts the group changed: (key, kind) -> count.
	counts map[[2]uint64]int64
	// cleared are the counts a deletion in the group dropped.
	cleared []func()
	// freeing marks a group that deletes (its job runs alone): a full disk
	// does not refuse it, since it is how space is given back.
	freeing bool
	kbuf    []byte
	ibuf    []byte
	vbuf    []byte

	// Point writes wait here, to go into the batch in key order: the
	// memtable's skiplist then inserts each next to the one before instead
	// of searching from its head, which at random references was the
	// largest cost of a commit. Range deletions go to the batch at once
	// (their jobs run alone).
	arena []byte
	ops   []op
}

// op is a point write waiting in its group's arena: arena[k:v] is the key,
// arena[v:end] the value; del deletes.
type op struct {
	k, v, end int
	del       bool
}

func (tx *wtx) set(k, v []byte) {
	o := op{k: len(tx.arena)}
	tx.arena = append(tx.arena, k...)
	o.v = len(tx.arena)
	tx.arena = append(tx.arena, v...)
	o.end = len(tx.arena)
	tx.ops = append(tx.ops, o)
}

func (tx *wtx) del(k []byte) {
	o := op{k: len(tx.arena), del: true}
	tx.arena = append(tx.arena, k...)
	o.v, o.end = len(tx.arena), len(tx.arena)
	tx.ops = append(tx.ops, o)
}

// flush moves the waiting writes into the batch, sorted by key; of two
// writes of one key, the later stays later, and wins.
func (tx *wtx) flush() {
	a := tx.arena
	slices.SortStableFunc(tx.ops, func(x, y op) int { return bytes.Compare(a[x.k:x.v], a[y.k:y.v]) })
	for _, o := range tx.ops {
		if o.del {
			tx.b.Delete(a[o.k:o.v], nil)
		} else {
			tx.b.Set(a[o.k:o.v], a[o.v:o.end], nil)
		}
	}
	tx.ops, tx.arena = tx.ops[:0], tx.arena[:0]
}

// job is one transaction for the writer goroutine.
type job struct {
	fn   func(tx *wtx) error
	done chan error // receives the outcome; buffered
	// page marks a page commit nobody waits on: the writer may hold it a
	// few milliseconds to commit it with the pages that follow.
	page bool
	// alone runs the job in a batch of its own, after the jobs before it
	// are committed: it reads what they wrote (deletions).
	alone bool
	// session is the session of a page job.
	session string
}

// writer commits jobs in order, several per batch (group commit). A batch
// is opened for the first job and each job writes into it as soon as it
// arrives; a job that fails before writing gets its error and the others
// of the group still commit.
//
// Page jobs keep the batch open while pages keep coming (maxLinger
// between two, maxOpen in all, maxGroup pages): one synced commit for
// many pages. Any other job commits the group at once: its caller waits.
func (s *Store) writer() {
	defer s.wg.Done()
	linger := time.NewTimer(maxLinger)
	linger.Stop()
	var next *job
	for {
		j := next
		if j == nil {
			var ok bool
			if j, ok = <-s.jobs; !ok {
				return
			}
		}
		var open bool
		next, open = s.runGroup(j, linger)
		if !open && next == nil {
			return
		}
	}
}

// runGroup runs first and the jobs that follow it in one batch and
// delivers their outcomes. It returns a job that must start the next
// group, and false once the job queue is closed.
func (s *Store) runGroup(first *job, linger *time.Timer) (next *job, open bool) {
	open = true
	tx := s.newTx()
	defer s.releaseTx(tx)
	var group []*job
	errs := map[*job]error{}
	run := func(j *job) {
		group = append(group, j)
		if err := j.fn(tx); err != nil {
			errs[j] = wrap("write", err)
		}
		j.fn = nil // its page's items are in the batch now
	}
	run(first)
	// A page that waits is a sync going on: the group waits for the next
	// one a little (maxLinger), but not longer than maxOpen in all. Jobs
	// already waiting always join.
	lingering := first.page
	started := time.Now()
collect:
	for len(group) < maxGroup && !first.alone {
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
			wait := min(maxLinger, maxOpen-time.Since(started))
			if wait <= 0 {
				break collect
			}
			linger.Reset(wait)
			select {
			case j, ok = <-s.jobs:
				// Since Go 1.23 a stopped timer delivers nothing stale.
				linger.Stop()
			case <-linger.C:
				break collect
			}
		}
		if !ok {
			open = false
			break
		}
		if j.alone {
			next = j
			break
		}
		run(j)
		lingering = lingering && j.page && time.Since(started) < maxOpen
	}
	if err := s.commit(tx); err != nil {
		s.fail(group, err)
		// The pages queued after a failed one were fetched from states
		// the store does not hold: they must not commit (a state ahead of
		// lost items), until the session has read its states back.
		s.mu.Lock()
		for _, j := range group {
			if j.page {
				s.failedPages[j.session] = err
			}
		}
		s.mu.Unlock()
		return next, open
	}
	for _, j := range group {
		err := errs[j]
		if err != nil {
			s.setErr(err)
		}
		j.done <- err
	}
	return next, open
}

// newTx returns the writer's transaction, its buffers kept from the last
// group: growing them from nothing for every group was a tenth of the
// writer's CPU.
func (s *Store) newTx() *wtx {
	tx := s.spare
	if tx == nil {
		tx = &wtx{s: s, refs: map[string][2]uint64{}, counts: map[[2]uint64]int64{}}
	}
	s.spare = nil
	tx.b = s.db.NewBatch()
	return tx
}

func (s *Store) releaseTx(tx *wtx) {
	tx.b.Close()
	tx.b = nil
	clear(tx.refs)
	clear(tx.counts)
	tx.cleared, tx.freeing = tx.cleared[:0], false
	tx.ops, tx.arena = tx.ops[:0], tx.arena[:0]
	if cap(tx.arena) > 64<<20 {
		tx.arena, tx.ops = nil, nil
	}
	s.spare = tx
}

// commit commits the group's batch, synced, unless the disk is short of
// space; on failure it forgets what the group changed in memory.
func (s *Store) commit(tx *wtx) error {
	tx.flush()
	if tx.b.Empty() {
		return nil
	}
	var err error
	if !tx.freeing || tx.b.Len() > 1<<20 {
		err = s.space.check(int64(tx.b.Len()))
	}
	if err == nil {
		err = wrap("commit", tx.b.Commit(s.syncOpt()))
	}
	if err != nil {
		s.forget()
		return err
	}
	for _, f := range tx.cleared {
		f()
	}
	for k, n := range tx.counts {
		s.counts[k] = n
	}
	return nil
}

// forget drops the in-memory views a failed commit made wrong: the
// counts are read again, and the sessions.
func (s *Store) forget() {
	clear(s.counts)
	s.keyMu.Lock()
	clear(s.keys)
	clear(s.sessions)
	s.keyMu.Unlock()
	if err := s.load(); err != nil {
		s.setErr(err)
	}
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
// waits for the next page, and maxOpen how long it stays open in all: the
// pages a crash can take back. jobQueue is small: a group's pages are
// written into its batch as they arrive, not held in the queue.
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
	if s.readOnly != "" {
		return nil, fmt.Errorf("%w: %w: %s", ErrStore, ErrFull, s.readOnly)
	}
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
	if s.closed.Load() || s.readOnly != "" {
		return
	}
	select {
	case s.jobs <- &job{fn: func(*wtx) error { return nil }, done: make(chan error, 1)}:
	default:
		// A full queue is a busy writer, not one waiting for more pages.
	}
}

// run executes fn in a batch after everything queued before it, and
// returns once that batch is durable.
func (s *Store) run(ctx context.Context, fn func(tx *wtx) error) error {
	return s.wait(ctx, &job{fn: fn, done: make(chan error, 1)})
}

// runAlone is run with a batch of its own (see job.alone).
func (s *Store) runAlone(ctx context.Context, fn func(tx *wtx) error) error {
	return s.wait(ctx, &job{fn: fn, alone: true, done: make(chan error, 1)})
}

func (s *Store) wait(ctx context.Context, j *job) error {
	done, err := s.enqueueJob(ctx, j)
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
	if s.readOnly != "" {
		return s.TakeError()
	}
	if err := s.run(ctx, func(*wtx) error { return nil }); err != nil {
		return err
	}
	return s.TakeError()
}

// ResumePages lets a session commit pages again after a failed page
// commit: the caller has read its states back from the store (States) and
// fetches on from them. Until then its pages are refused.
func (s *Store) ResumePages(sessionID string) {
	s.mu.Lock()
	delete(s.failedPages, sessionID)
	s.mu.Unlock()
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
// that follows them, in one atomic batch. The channel gets the outcome
// once the batch is durable.
func (s *Store) CommitPage(ctx context.Context, resource string, items []Item, st State) (<-chan error, error) {
	return s.CommitPageDeleting(ctx, resource, items, nil, st)
}
