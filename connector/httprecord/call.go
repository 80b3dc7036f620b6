package httprecord

import (
	"context"
	"sync"
)

// The call travels in the request's context because that is the only
// thing an http.RoundTripper gets: the connector makes the request, the
// transport must know which call (operation, page) it belongs to.

// Call is the connector call in progress, carried by the context of every
// request the connector makes during it.
type Call struct {
	Operation string
	Page      int

	mu  sync.Mutex
	ids []string
}

type callKey struct{}

// WithCall returns ctx carrying the call.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// CallFrom returns the call of ctx, or nil.
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Add makes exchange id one of the call's.
func (c *Call) Add(id string) {
	c.mu.Lock()
	c.ids = append(c.ids, id)
	c.mu.Unlock()
}

// Adopt makes the exchanges of other, a call made ahead for this one (a
// prefetched page), this call's.
func (c *Call) Adopt(other *Call) {
	ids := other.Exchanges()
	c.mu.Lock()
	c.ids = append(c.ids, ids...)
	c.mu.Unlock()
}

// Exchanges returns the ids of the exchanges made during the call.
func (c *Call) Exchanges() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ids...)
}
