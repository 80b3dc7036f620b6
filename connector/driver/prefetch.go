package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/httprecord"
)

// A walk (PageAll) has the connector fetch the next page while the page it
// just returned is converted, published and stored: as soon as a page's
// new state is known, fetchPage starts the call for it, and the walk's
// next fetch takes that call's result if it asks for the very same
// request. The provider's latency and the connector's decoding then
// overlap the daemon's own work on the page before, on another core.
//
// Nothing is applied ahead: a prefetched page is only a connector answer
// held until asked for. State, store and notifications advance when the
// walk takes it, so a cancelled or stopped walk, a limit reached or a
// stall discards it (its HTTP exchange stays in the capture, as made).

// Prefetcher is a walk's one page ahead. allow says whether the walk may
// want another page after the one being fetched.
type Prefetcher struct {
	mu      sync.Mutex
	allow   bool      // guarded by mu
	pending *prefetch // guarded by mu
}

// prefetch is one connector call made ahead.
type prefetch struct {
	op      string
	req     connector.FetchRequest
	call    *httprecord.Call // where its HTTP exchanges were recorded
	started time.Time
	cancel  context.CancelFunc
	done    chan struct{} // closed when out and err are set
	out     any           // a connector.Page of the resource's item type
	err     error
}

// NewPrefetcher returns a walk's prefetcher, handed to every FetchAhead
// of the walk; Close it when the walk ends.
func NewPrefetcher() *Prefetcher { return &Prefetcher{} }

func (p *Prefetcher) SetAllow(b bool) {
	p.mu.Lock()
	p.allow = b
	p.mu.Unlock()
}

func (p *Prefetcher) allowed() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.allow && p.pending == nil
}

// take returns the call made ahead for op and req, if any; a call made for
// anything else is cancelled and waited for.
func (p *Prefetcher) take(op string, req connector.FetchRequest) *prefetch {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	ahead := p.pending
	p.pending = nil
	p.mu.Unlock()
	if ahead == nil {
		return nil
	}
	if ahead.op == op && sameRequest(ahead.req, req) {
		return ahead
	}
	ahead.cancel()
	<-ahead.done
	return nil
}

// close cancels a call made ahead and waits for it: the walk is over.
func (p *Prefetcher) Close() {
	p.mu.Lock()
	ahead := p.pending
	p.pending = nil
	p.allow = false
	p.mu.Unlock()
	if ahead != nil {
		ahead.cancel()
		<-ahead.done
	}
}

// sameRequest compares requests as the session makes them: states and
// payloads already normalized (NormalizeState), as the prefetch's own.
func sameRequest(a, b connector.FetchRequest) bool {
	return bytes.Equal(a.State, b.State) && bytes.Equal(a.FromPayload, b.FromPayload) &&
		a.Name == b.Name && a.PageSize == b.PageSize
}

// startPrefetch calls fetch(req) ahead, recording its HTTP exchanges in a
// call of its own (the next page's).
func startPrefetch[T any](ctx context.Context, p *Prefetcher, o Opts, op string, req connector.FetchRequest,
	fetch func(context.Context, connector.FetchRequest) (connector.Page[T], error)) {
	cctx, cancel := context.WithCancel(ctx)
	ahead := &prefetch{op: op, req: req, started: time.Now(), cancel: cancel, done: make(chan struct{})}
	if cur := httprecord.CallFrom(ctx); cur != nil {
		ahead.call = &httprecord.Call{Operation: cur.Operation, Page: cur.Page + 1}
		cctx = httprecord.WithCall(cctx, ahead.call)
	}
	p.mu.Lock()
	p.pending = ahead
	p.mu.Unlock()
	go func() {
		defer close(ahead.done)
		out, err := Call(cctx, o, op, func(ctx context.Context) (connector.Page[T], error) { return fetch(ctx, req) })
		ahead.out, ahead.err = out, err
	}()
}

// awaitPrefetch waits for a call made ahead and makes its exchanges those
// of ctx's call.
func awaitPrefetch[T any](ctx context.Context, ahead *prefetch) (connector.Page[T], time.Time, error) {
	select {
	case <-ahead.done:
	case <-ctx.Done():
		ahead.cancel()
		<-ahead.done
	}
	if cur := httprecord.CallFrom(ctx); cur != nil && ahead.call != nil {
		cur.Adopt(ahead.call)
	}
	if ahead.err != nil {
		var zero connector.Page[T]
		return zero, ahead.started, ahead.err
	}
	page, _ := ahead.out.(connector.Page[T])
	return page, ahead.started, nil
}

// NormalizeState is a state as the daemon keeps and sends it: compact
// JSON, or nil for none (empty or null).
func NormalizeState(v json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(v)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, t); err != nil {
		return nil
	}
	return b.Bytes()
}
