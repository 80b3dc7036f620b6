package session

import (
	"context"
	"github.com/switchboardpay/switchboard/connector/driver"
	"slices"
	"time"

	"github.com/switchboardpay/switchboard/daemon/store"
)

// CommitWindow bounds how far the pages a client has been sent may run
// ahead of the store. A page is published (fetch/page) only once every
// commit queued more than CommitWindow before it is done, so after a
// kill -9 at any moment the restored states are at most CommitWindow of
// pages behind the last fetch/page sent. The store groups the pages of a
// walk into fewer commits within that window; a reply that acknowledges
// a write waits for all of them (waitPending).
const CommitWindow = 100 * time.Millisecond

// commit is one page commit queued in the store.
type commit struct {
	done   <-chan error
	queued time.Time
}

// commitPage queues the page's items and state for the store; the outcome
// is collected by checkPending, holdWindow or waitPending.
func (s *Session) commitPage(ctx context.Context, resource string, recs []driver.Record, deleted []string, st store.State) error {
	if s.store == nil {
		return nil
	}
	done, err := s.store.CommitPageDeleting(context.WithoutCancel(ctx), resource, toItems(recs), deleted, st)
	if err != nil {
		return storeError(err)
	}
	s.pmu.Lock()
	s.pending = append(s.pending, commit{done: done, queued: time.Now()})
	s.pmu.Unlock()
	return nil
}

// checkPending collects the commits already done and returns the first
// error among them.
func (s *Session) checkPending() error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	var first error
	keep := s.pending[:0]
	for _, c := range s.pending {
		select {
		case err := <-c.done:
			if err != nil && first == nil {
				first = err
			}
		default:
			keep = append(keep, c)
		}
	}
	clear(s.pending[len(keep):])
	s.pending = keep
	if first != nil {
		s.pmu.Unlock()
		s.storeFailed()
		s.pmu.Lock()
	}
	return storeError(first)
}

// holdWindow waits for the commits queued more than CommitWindow ago: the
// page about to be published may not run further ahead of the store.
func (s *Session) holdWindow(ctx context.Context) error {
	return s.waitQueued(ctx, time.Now().Add(-CommitWindow))
}

// waitPending waits for every queued commit of the session.
func (s *Session) waitPending(ctx context.Context) error {
	return s.waitQueued(ctx, time.Time{})
}

// waitQueued waits for the commits queued before cutoff, or for all of
// them with a zero cutoff, and returns the first error among them.
func (s *Session) waitQueued(ctx context.Context, cutoff time.Time) error {
	s.pmu.Lock()
	n := len(s.pending)
	if !cutoff.IsZero() {
		// Queued in order, under pmu: the old ones are a prefix.
		for n = 0; n < len(s.pending) && s.pending[n].queued.Before(cutoff); n++ {
		}
	}
	if n == 0 {
		s.pmu.Unlock()
		return nil
	}
	wait := slices.Clone(s.pending[:n])
	s.pending = slices.Delete(s.pending, 0, n)
	s.pmu.Unlock()
	// The writer may be holding these pages back to commit them with
	// more; someone waits for them now.
	s.store.Kick()
	var first error
	for _, c := range wait {
		select {
		case err := <-c.done:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if first != nil {
		s.storeFailed()
	}
	return storeError(first)
}

// storeFailed follows a failed page commit. A page's state is set in
// memory before its commit, so the states ran ahead of the store: they are
// read back from it once the session's other commits are done, and the
// next page resumes from what is durable. Nothing fetched is skipped.
func (s *Session) storeFailed() {
	s.pmu.Lock()
	pending := s.pending
	s.pending = nil
	s.pmu.Unlock()
	for _, c := range pending {
		<-c.done
	}
	states, err := s.store.States(context.Background(), s.id)
	if err != nil {
		return // the store refuses the session's pages until it can be read
	}
	s.mu.Lock()
	clear(s.states)
	for _, st := range states {
		s.states[st.Key] = &stateEntry{
			resource: st.Resource, name: st.Name, fromPayload: st.FromPayload, state: st.State,
			hasMore: st.HasMore, pages: st.Pages, items: st.Items, updatedAt: st.UpdatedAt,
		}
	}
	s.mu.Unlock()
	s.store.ResumePages(s.id)
}
