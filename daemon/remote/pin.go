package remote

import (
	"context"
	"sync"
	"time"
)

// A run is one daemon request made of several connector calls (fetch/all,
// sync/run). Pinned, all its calls go to the process that served its first
// one, even when the command was swapped meanwhile: a reload never lands in
// the middle of a run. The old process is stopped when the last run that
// pinned it ends.
type run struct {
	mu   sync.Mutex
	used map[*Connector]*child // guarded by mu
}

// runKey stays a context value: a run's calls reach the proxy through
// the SDK's capability methods, whose only carrier is ctx.
type runKey struct{}

// Pin marks ctx as one run; call release when the run is over.
func Pin(ctx context.Context) (context.Context, func()) {
	r := &run{used: map[*Connector]*child{}}
	return context.WithValue(ctx, runKey{}, r), r.release
}

func runFrom(ctx context.Context) *run {
	r, _ := ctx.Value(runKey{}).(*run)
	return r
}

// pinned returns the child the run already uses with c, if it still lives.
func (r *run) pinned(c *Connector) *child {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch := r.used[c]; ch != nil && ch.alive() {
		return ch
	}
	return nil
}

// pin records that the run uses ch with c; c.mu is read-held.
func (r *run) pin(c *Connector, ch *child) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.used[c]; old == ch {
		return
	} else if old != nil {
		old.refs.Add(-1)
	}
	r.used[c] = ch
	ch.refs.Add(1)
}

func (r *run) release() {
	r.mu.Lock()
	used := r.used
	r.used = map[*Connector]*child{}
	r.mu.Unlock()
	for c, ch := range used {
		c.mu.Lock()
		retire := ch.refs.Add(-1) <= 0 && ch != c.ch
		if retire {
			delete(c.retired, ch)
		}
		c.mu.Unlock()
		if retire {
			ch.stop(200 * time.Millisecond)
		}
	}
}
