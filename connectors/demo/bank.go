package demo

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/demobank"
)

// bankIdle is how long the in-process bank keeps listening after its last
// request. A variable so tests can shorten it.
var bankIdle = 30 * time.Second

// errClosed is the answer of a connector used after Close.
var errClosed = errors.New("demo: connector closed")

// lazyBank is the in-process demo bank of a session that names no
// endpoint. An idle session costs nothing: the bank is made on the
// session's first request, listens only while requests come (and bankIdle
// after the last), and stops listening when idle, closing its connections
// and the client's. Its data stays: a later request serves it again, on the
// same port when that is still free.
//
// Invariant: srv != nil exactly while the bank listens; the idle timer
// runs only while it listens and active is 0. Lock order: mu is a leaf.
type lazyBank struct {
	cfg    demobank.Config
	log    *slog.Logger
	client *http.Client // the connector's: its idle connections go with the listener

	mu     sync.Mutex
	bank   *demobank.Bank // nil until first use; guarded by mu
	srv    *http.Server   // guarded by mu
	done   chan struct{}  // closed when srv's Serve returns; guarded by mu
	addr   string         // the last address listened on; guarded by mu
	url    string         // guarded by mu
	active int            // requests in flight; guarded by mu
	idle   *time.Timer    // guarded by mu
	closed bool           // guarded by mu
}

// acquire returns the bank's base URL and API key, making and starting it
// if needed; release must be called once the request is answered.
func (l *lazyBank) acquire() (base, key string, release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return "", "", nil, errClosed
	}
	if l.bank == nil {
		l.bank = demobank.New(l.cfg)
	}
	if l.srv == nil {
		if err := l.listenLocked(); err != nil {
			return "", "", nil, err
		}
	}
	l.active++
	if l.idle != nil {
		l.idle.Stop()
	}
	return l.url, l.bank.APIKey(), l.release, nil
}

func (l *lazyBank) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active--
	if l.active > 0 || l.srv == nil {
		return
	}
	// A timer waiting holds no goroutine; its function runs only if the
	// bank stays idle that long.
	if l.idle == nil {
		l.idle = time.AfterFunc(bankIdle, l.stopIfIdle)
	} else {
		l.idle.Reset(bankIdle)
	}
}

func (l *lazyBank) listenLocked() error {
	var ln net.Listener
	var err error
	if l.addr != "" {
		// The same URL again, so that a user who opened the bank's admin
		// routes finds it where it was.
		ln, err = net.Listen("tcp", l.addr)
	}
	if ln == nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("demo: start in-process bank: %w", err)
	}
	l.addr = ln.Addr().String()
	l.url = "http://" + l.addr
	l.srv = &http.Server{Handler: l.bank, ReadHeaderTimeout: 10 * time.Second}
	l.done = make(chan struct{})
	srv, done := l.srv, l.done
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // ErrServerClosed after Close
	}()
	// The URL lets a user reach the bank's admin routes (faults, growth).
	l.log.Info("demo bank listening in-process", "url", l.url,
		"accounts", l.cfg.Accounts, "paymentsPerAccount", l.cfg.PaymentsPerAccount, "externalAccounts", l.cfg.ExternalAccounts)
	return nil
}

// stopIfIdle stops listening if no request came since the timer was set.
func (l *lazyBank) stopIfIdle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active > 0 || l.srv == nil {
		return
	}
	l.stopLocked()
	l.log.Debug("demo bank idle: stopped listening", "url", l.url)
}

// stopLocked closes the listener and every connection, the client's idle
// ones included, and waits for the serving goroutine.
func (l *lazyBank) stopLocked() {
	if l.idle != nil {
		l.idle.Stop()
	}
	if l.srv == nil {
		return
	}
	_ = l.srv.Close()
	<-l.done
	l.srv, l.done = nil, nil
	if l.client != nil {
		l.client.CloseIdleConnections()
	}
}

// close stops the bank for good; requests after it fail.
func (l *lazyBank) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.stopLocked()
}

// listening returns the bank's URL while it listens, "" otherwise.
func (l *lazyBank) listening() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv == nil {
		return ""
	}
	return l.url
}

// advance moves the in-process bank's clock (connector.Grower), making the
// bank if needed; it needs no listener.
func (l *lazyBank) advance(a demobank.Advance) (demobank.AdvanceResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return demobank.AdvanceResult{}, errClosed
	}
	if l.bank == nil {
		l.bank = demobank.New(l.cfg)
	}
	return l.bank.Advance(a), nil
}
