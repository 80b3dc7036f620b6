package bus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrDropped is returned by Flush when the subscriber's connection is gone.
var ErrDropped = errors.New("subscriber closed")

// Subscriber is one connection's outbound notification queue. Its writer
// goroutine writes queued message bodies to the connection in order.
type Subscriber struct {
	write     func(body []byte) error
	pageItems atomic.Bool
	queue     chan msg
	done      chan struct{}
	exited    chan struct{}
	kick      chan struct{}
	room      chan struct{} // signalled after each write, for enqueueWait
	closeOnce sync.Once
	maxBytes  int64
	queued    atomic.Int64 // bytes waiting in queue

	mu     sync.Mutex
	finals [][]byte // final notices owed after a drop; guarded by mu
	closed bool     // guarded by mu
}

type msg struct {
	body    []byte
	barrier chan struct{} // closed once everything before it is written
}

// NewSubscriber starts a subscriber that writes message bodies with write.
// pageItems false makes it receive pages without items. Close stops it.
func (b *Bus) NewSubscriber(write func(body []byte) error, pageItems bool) *Subscriber {
	s := &Subscriber{
		write:    write,
		queue:    make(chan msg, b.queueSize),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
		kick:     make(chan struct{}, 1),
		room:     make(chan struct{}, 1),
		maxBytes: b.queueBytes,
	}
	s.pageItems.Store(pageItems)
	go s.run()
	return s
}

// PageItems reports whether the subscriber gets page items.
func (s *Subscriber) PageItems() bool { return s.pageItems.Load() }

// SetPageItems says whether the subscriber gets page items from now on.
func (s *Subscriber) SetPageItems(v bool) { s.pageItems.Store(v) }

func (s *Subscriber) run() {
	defer close(s.exited)
	for {
		s.mu.Lock()
		finals := s.finals
		s.finals = nil
		s.mu.Unlock()
		for _, f := range finals {
			if s.write(f) != nil {
				s.fail()
				return
			}
		}
		select {
		case <-s.done:
			return
		case <-s.kick:
		case m := <-s.queue:
			if m.barrier != nil {
				close(m.barrier)
				continue
			}
			err := s.write(m.body)
			s.queued.Add(-int64(len(m.body)))
			select {
			case s.room <- struct{}{}:
			default:
			}
			if err != nil {
				s.fail()
				return
			}
		}
	}
}

// fail marks the subscriber closed after a write error and drains waiters.
func (s *Subscriber) fail() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	for {
		select {
		case m := <-s.queue:
			if m.barrier != nil {
				close(m.barrier)
			}
		default:
			return
		}
	}
}

// enqueue adds a body without blocking; false means the queue is full.
func (s *Subscriber) enqueue(body []byte) bool {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return true // nothing to deliver to; not a slow subscriber
	}
	// Bounded in bytes as well as in messages: a thousand large pages
	// must not pile up in memory behind a slow client. One message always
	// fits an empty queue, however large.
	n := int64(len(body))
	if q := s.queued.Add(n); q > s.maxBytes && q != n {
		s.queued.Add(-n)
		return false
	}
	select {
	case s.queue <- msg{body: body}:
		return true
	default:
		s.queued.Add(-n)
		return false
	}
}

// enqueueWait adds a body, waiting up to wait for room; false means the
// subscriber did not make room in time.
func (s *Subscriber) enqueueWait(body []byte, wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		if s.enqueue(body) {
			return true
		}
		select {
		case <-s.room:
		case <-s.exited:
			return true // gone: nothing to deliver to
		case <-t.C:
			return false
		}
	}
}

func (s *Subscriber) finalNotice(body []byte) {
	s.mu.Lock()
	s.finals = append(s.finals, body)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Send queues one message for this subscriber only (progress, requests the
// daemon makes of the client). It reports false when the queue is full and
// the message was not queued.
func (s *Subscriber) Send(body []byte) bool { return s.enqueue(body) }

// SendFinal queues a message that must not be dropped, as the end of a
// progress: it waits up to wait for room, then sends the message ahead of
// the queue rather than lose it.
func (s *Subscriber) SendFinal(body []byte, wait time.Duration) {
	if !s.enqueueWait(body, wait) {
		s.finalNotice(body)
	}
}

// Flush waits until everything queued before it has been written, so that a
// response can follow the notifications it caused.
func (s *Subscriber) Flush(ctx context.Context) error {
	b := make(chan struct{})
	select {
	case s.queue <- msg{barrier: b}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.exited:
		return ErrDropped
	}
	select {
	case <-b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.exited:
		return ErrDropped
	}
}

// Close stops the writer goroutine; queued messages are discarded.
func (s *Subscriber) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
	}
	s.mu.Unlock()
	s.closeOnce.Do(func() { close(s.done) })
	<-s.exited
}
