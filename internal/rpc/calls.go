package rpc

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrCallsClosed is returned by Calls.Start once the table is closed: the
// connection is gone.
var ErrCallsClosed = errors.New("connection closed")

// Calls is the table of one end's outgoing requests waiting for their
// answers: ids, the pending map, and the end of the connection failing
// them all. R is what an answer is to the caller; the flag of a call is
// the caller's own (the Go client marks the calls whose result is a page,
// to decode their answer in one pass).
//
// Invariant: an id is in pending from Start until exactly one of Finish,
// Forget or Close takes it out; its channel then gets at most one value.
type Calls[R any] struct {
	next atomic.Uint64

	mu      sync.Mutex // a leaf
	pending map[uint64]pendingCall[R]
	closed  bool
}

type pendingCall[R any] struct {
	ch   chan R
	flag bool
}

// Start allocates the next id (1, 2, ...) and registers its call. The
// channel gets the call's answer, or the value given to Close.
func (c *Calls[R]) Start(flag bool) (uint64, <-chan R, error) {
	id := c.next.Add(1)
	ch := make(chan R, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, nil, ErrCallsClosed
	}
	if c.pending == nil {
		c.pending = map[uint64]pendingCall[R]{}
	}
	c.pending[id] = pendingCall[R]{ch: ch, flag: flag}
	return id, ch, nil
}

// Flag reports the flag of a pending call; false for an unknown id.
func (c *Calls[R]) Flag(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending[id].flag
}

// Finish hands r to the call id; false when no call waits for that id
// (it was forgotten, or the peer answered an id never sent).
func (c *Calls[R]) Finish(id uint64, r R) bool {
	c.mu.Lock()
	p, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		p.ch <- r
	}
	return ok
}

// Forget drops a call that stopped waiting; a late answer is then
// unknown.
func (c *Calls[R]) Forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Close fails every pending call with final, and every later Start. Only
// the first Close does anything; it reports whether it was the first.
func (c *Calls[R]) Close(final R) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, p := range pending {
		p.ch <- final
	}
	return true
}

// Closed reports whether Close was called.
func (c *Calls[R]) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Await is the cancellation rule of every calling end: wait for the
// answer; when ctx is done first, send the peer a cancel
// ($/cancelRequest, by cancel) and wait up to grace for its answer, which
// is normally a RequestCancelled error but may be the real outcome if the
// call had finished anyway. ok is false when no answer came: then err is
// ctx's error (and the caller should Forget the id).
func Await[R any](ctx context.Context, ch <-chan R, cancel func() error, grace time.Duration) (r R, ok bool, err error) {
	select {
	case r = <-ch:
		return r, true, nil
	case <-ctx.Done():
	}
	ctxErr := ctx.Err()
	if cancel() != nil {
		return r, false, ctxErr
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case r = <-ch:
		return r, true, ctxErr
	case <-t.C:
		return r, false, ctxErr
	}
}
