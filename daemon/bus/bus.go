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
	"sync"
	"time"

	fastjson "github.com/segmentio/encoding/json"

	"github.com/switchboardpay/switchboard/internal/jsonenc"
	"github.com/switchboardpay/switchboard/protocol"
)

// DefaultQueueSize is the number of notifications a subscriber may have
// waiting before it is dropped.
const DefaultQueueSize = 1024

// DefaultQueueBytes bounds the bytes a subscriber may have waiting.
const DefaultQueueBytes = 64 << 20

// RequesterWait bounds how long a notification waits for room in the
// queue of a connection running a request on the session before that
// connection is dropped too.
const RequesterWait = 30 * time.Second

// Bus routes session notifications to subscribers.
//
// Lock order: Bus.mu before Subscriber.mu.
type Bus struct {
	queueSize  int
	queueBytes int64

	mu         sync.RWMutex
	subs       map[string]map[*Subscriber]struct{} // session id -> subscribers; guarded by mu
	requesters map[string]map[*Subscriber]int      // session id -> connections with requests running on it; guarded by mu
}

// BeginRequest marks s as running a request on the session until the
// returned func is called. While it runs, the session's notifications wait
// (up to RequesterWait) for room in s's queue instead of dropping s: the
// client that asked for a sync gets every page and log of it at its own
// pace, while other subscribers still can never slow it.
func (b *Bus) BeginRequest(sessionID string, s *Subscriber) (end func()) {
	b.mu.Lock()
	m := b.requesters[sessionID]
	if m == nil {
		m = map[*Subscriber]int{}
		b.requesters[sessionID] = m
	}
	m[s]++
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if m := b.requesters[sessionID]; m != nil {
			if m[s]--; m[s] <= 0 {
				delete(m, s)
			}
			if len(m) == 0 {
				delete(b.requesters, sessionID)
			}
		}
	}
}

// New returns a bus whose subscribers queue at most queueSize notifications
// (DefaultQueueSize when queueSize <= 0).
func New(queueSize int) *Bus {
	if queueSize <= 0 {
		queueSize = DefaultQueueSize
	}
	return &Bus{queueSize: queueSize, queueBytes: DefaultQueueBytes, subs: map[string]map[*Subscriber]struct{}{}, requesters: map[string]map[*Subscriber]int{}}
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

// target is a subscriber of a publication; wait is set for connections
// with a request running on the session.
type target struct {
	s    *Subscriber
	wait bool
}

// snapshot returns the session's subscribers without holding the lock
// while they are written to.
func (b *Bus) snapshot(sessionID string) []target {
	b.mu.RLock()
	defer b.mu.RUnlock()
	m := b.subs[sessionID]
	if len(m) == 0 {
		return nil
	}
	req := b.requesters[sessionID]
	out := make([]target, 0, len(m))
	for s := range m {
		out = append(out, target{s: s, wait: req[s] > 0})
	}
	return out
}

// publish enqueues a message to every subscriber of the session; full
// subscribers are dropped from it with a final notice.
func (b *Bus) publish(sessionID string, subs []target, full, lite func() []byte) {
	var fullBody, liteBody []byte
	for _, t := range subs {
		s := t.s
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
		ok := false
		if t.wait {
			ok = s.enqueueWait(body, RequesterWait)
		} else {
			ok = s.enqueue(body)
		}
		if !ok {
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

// Page publishes one fetch/page notification: with items to subscribers
// that take them, without to those that said pageItems: false.
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
//
// segmentio's encoder writes what encoding/json does, faster on the large
// strings an http/exchange carries (its bodies): on a 1M-payment sync,
// encoding/json's string escaping was 0.5 s of the daemon's CPU.
func encodeNotification(method string, params any) []byte {
	p, err := fastjson.Marshal(params)
	if err != nil {
		// Params are the daemon's own types: failing to encode them is a bug.
		panic("bus: encode " + method + ": " + err.Error())
	}
	return appendEnvelope(nil, method, p)
}

func appendEnvelope(buf []byte, method string, params []byte) []byte {
	buf = append(buf, `{"jsonrpc":"2.0","method":`...)
	buf = jsonenc.AppendString(buf, method)
	buf = append(buf, `,"params":`...)
	buf = append(buf, params...)
	return append(buf, '}')
}

// EncodeNotification returns the body of a notification, for callers that
// send one message to one subscriber (progress).
func EncodeNotification(method string, params any) []byte { return encodeNotification(method, params) }

// WebhookReceived publishes a webhook/received notification.
func (b *Bus) WebhookReceived(p protocol.WebhookDelivery) {
	subs := b.snapshot(p.SessionID)
	if len(subs) == 0 {
		return
	}
	b.publish(p.SessionID, subs, func() []byte { return encodeNotification(protocol.NotifyWebhookReceived, p) }, nil)
}
