package bus

import "sync"

// Every connection of a bus, for notifications that concern them all
// (provider/reloaded). Kept outside Bus so the fan-out path is untouched.
var (
	joinedMu sync.Mutex
	joined   = map[*Bus]map[*Subscriber]struct{}{} // guarded by joinedMu
)

// Join makes s receive broadcasts until leave is called.
func (b *Bus) Join(s *Subscriber) (leave func()) {
	joinedMu.Lock()
	m := joined[b]
	if m == nil {
		m = map[*Subscriber]struct{}{}
		joined[b] = m
	}
	m[s] = struct{}{}
	joinedMu.Unlock()
	return func() {
		joinedMu.Lock()
		defer joinedMu.Unlock()
		if m := joined[b]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(joined, b)
			}
		}
	}
}

// Broadcast sends a notification to every joined connection. A full queue
// drops this one message for that connection only.
func (b *Bus) Broadcast(method string, params any) {
	joinedMu.Lock()
	subs := make([]*Subscriber, 0, len(joined[b]))
	for s := range joined[b] {
		subs = append(subs, s)
	}
	joinedMu.Unlock()
	if len(subs) == 0 {
		return
	}
	body := encodeNotification(method, params)
	for _, s := range subs {
		s.enqueue(body)
	}
}
