package remote

import (
	"sync"
	"sync/atomic"
	"time"
)

// idleStop stops a session's child once no call came for the launcher's
// IdleTimeout: an idle session holds no process, no pipe and no goroutine.
// The next call starts the child again with the session's config (the
// path a crashed child takes). A waiting timer holds no goroutine.
type idleStop struct {
	calls atomic.Int32 // calls in flight
	last  atomic.Int64 // unix nanos of the last call's end, or of the start

	mu    sync.Mutex
	timer *time.Timer // guarded by mu
}

// used records a call's end (or the child's start) and arms the timer.
func (c *Connector) used() {
	d := c.l.opts.IdleTimeout
	if d < 0 {
		return
	}
	c.idle.last.Store(time.Now().UnixNano())
	c.idle.arm(d, c.stopIfIdle)
}

func (s *idleStop) arm(d time.Duration, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer == nil {
		s.timer = time.AfterFunc(d, f)
		return
	}
	s.timer.Reset(d)
}

func (s *idleStop) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
}

// stopIfIdle stops the child if no call ran since the timer was armed and
// no run (fetch/all, sync/run) has it pinned; otherwise it looks again
// later.
func (c *Connector) stopIfIdle() {
	d := c.l.opts.IdleTimeout
	if c.idle.calls.Load() > 0 {
		return // the call's end arms the timer again
	}
	if since := time.Since(time.Unix(0, c.idle.last.Load())); since < d {
		c.idle.arm(d-since, c.stopIfIdle)
		return
	}
	c.mu.Lock()
	ch := c.ch
	if c.closed || ch == nil {
		c.mu.Unlock()
		return
	}
	if ch.refs.Load() > 0 || c.idle.calls.Load() > 0 {
		c.mu.Unlock()
		c.idle.arm(d, c.stopIfIdle)
		return
	}
	c.ch = nil
	c.mu.Unlock()
	ch.stop(500 * time.Millisecond)
}
