// Package bus fans notifications out from sessions to the connections
// subscribed to them.
//
// Each notification is encoded once (twice at most: with and without page
// items) whatever the number of subscribers. Each subscriber is one
// connection with one bounded queue and one writer goroutine; publishing
// never blocks. A subscriber whose queue is full is unsubscribed from the
// session with a final session/changed notice, so a slow client can never
// slow a sync or the other subscribers.
package bus

import (
	"encoding/json"
	"sync"

	"github.com/switchboardpay/switchboard/protocol"
)

// DefaultQueueSize is the number of notifications a subscriber may have
// waiting before it is dropped.
const DefaultQueueSize = 4096

// Bus routes session notifications to subscribers.
//
// Lock order: Bus.mu before Subscriber.mu.
type Bus struct {
	queueSize int

	mu   sync.RWMutex
	subs map[string]map[*Subscriber]struct{} // session id -> subscribers; guarded by mu
}

// New returns a bus whose subscribers queue at most queueSize notifications
// (DefaultQueueSize when queueSize <= 0).
func New(queueSize int) *Bus {
	if queueSize <= 0 {
		queueSize = DefaultQueueSize
	}
	return &Bus{queueSize: queueSize, subs: map[string]map[*Subscriber]struct{}{}}
}

// Subscribe makes s receive the session's notifications.
func (b *Bus) Subscribe(sessionID string, s *Subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.subs[sessionID]
	if m == nil {
		m = map[*Subscriber]struct{}{}
		b.subs[sessionID] = m
	}
	m[s] = struct{}{}
}

// Unsubscribe stops s receiving the session's notifications.
func (b *Bus) Unsubscribe(sessionID string, s *Subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unsubscribeLocked(sessionID, s)
}

func (b *Bus) unsubscribeLocked(sessionID string, s *Subscriber) {
	if m := b.subs[sessionID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(b.subs, sessionID)
		}
	}
}

// Subscribed reports whether s receives the session's notifications.
func (b *Bus) Subscribed(sessionID string, s *Subscriber) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.subs[sessionID][s]
	return ok
}

// Subscribers returns the number of subscribers of a session.
func (b *Bus) Subscribers(sessionID string) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs[sessionID])
}

// RemoveSubscriber unsubscribes s from every session (its connection is
// gone).
func (b *Bus) RemoveSubscriber(s *Subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id := range b.subs {
		b.unsubscribeLocked(id, s)
	}
}

// DropSession forgets every subscription of a closed session.
func (b *Bus) DropSession(sessionID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, sessionID)
}

// snapshot returns the session's subscribers without holding the lock
// while they are written to.
func (b *Bus) snapshot(sessionID string) []*Subscriber {
	b.mu.RLock()
	defer b.mu.RUnlock()
	m := b.subs[sessionID]
	if len(m) == 0 {
		return nil
	}
	out := make([]*Subscriber, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	return out
}

// publish enqueues a message to every subscriber of the session; full
// subscribers are dropped from it with a final notice.
func (b *Bus) publish(sessionID string, subs []*Subscriber, full, lite func() []byte) {
	var fullBody, liteBody []byte
	for _, s := range subs {
		var body []byte
		if lite == nil || s.PageItems() {
			if fullBody == nil {
				fullBody = full()
			}
			body = fullBody
		} else {
			if liteBody == nil {
				liteBody = lite()
			}
			body = liteBody
		}
		if !s.enqueue(body) {
			b.drop(sessionID, s)
		}
	}
}

func (b *Bus) drop(sessionID string, s *Subscriber) {
	b.mu.Lock()
	_, was := b.subs[sessionID][s]
	b.unsubscribeLocked(sessionID, s)
	b.mu.Unlock()
	if !was {
		return
	}
	body := encodeNotification(protocol.NotifySessionChanged, protocol.SessionChangedParams{
		Session: protocol.Session{ID: sessionID},
		Reason:  protocol.SessionChangedUnsubscribed,
	})
	s.finalNotice(body)
}

// Page publishes one fetch/page notification.
func (b *Bus) Page(p *protocol.FetchPageParams) {
	subs := b.snapshot(p.SessionID)
	if len(subs) == 0 {
		return
	}
	b.publish(p.SessionID, subs,
		func() []byte { return appendPageNotification(nil, p, true) },
		func() []byte { return appendPageNotification(nil, p, false) })
}

// SessionChanged publishes session/changed.
func (b *Bus) SessionChanged(s protocol.Session, reason string) {
	subs := b.snapshot(s.ID)
	if len(subs) == 0 {
		return
	}
	b.publish(s.ID, subs, func() []byte {
		return encodeNotification(protocol.NotifySessionChanged, protocol.SessionChangedParams{Session: s, Reason: reason})
	}, nil)
}

// Log publishes a log notification of a session.
func (b *Bus) Log(p protocol.LogParams) {
	subs := b.snapshot(p.SessionID)
	if len(subs) == 0 {
		return
	}
	b.publish(p.SessionID, subs, func() []byte { return encodeNotification(protocol.NotifyLog, p) }, nil)
}

// HTTPExchange publishes an http/exchange notification.
func (b *Bus) HTTPExchange(p protocol.HTTPExchangeParams) {
	subs := b.snapshot(p.SessionID)
	if len(subs) == 0 {
		return
	}
	b.publish(p.SessionID, subs, func() []byte { return encodeNotification(protocol.NotifyHTTPExchange, p) }, nil)
}

// encodeNotification encodes a whole notification message body.
func encodeNotification(method string, params any) []byte {
	p, err := json.Marshal(params)
	if err != nil {
		// Params are the daemon's own types: failing to encode them is a bug.
		panic("bus: encode " + method + ": " + err.Error())
	}
	return appendEnvelope(nil, method, p)
}

func appendEnvelope(buf []byte, method string, params []byte) []byte {
	buf = append(buf, `{"jsonrpc":"2.0","method":`...)
	buf = appendString(buf, method)
	buf = append(buf, `,"params":`...)
	buf = append(buf, params...)
	return append(buf, '}')
}

// EncodeNotification returns the body of a notification, for callers that
// send one message to one subscriber (progress).
func EncodeNotification(method string, params any) []byte { return encodeNotification(method, params) }
