// Package demobank is a small HTTP API that behaves like a real payment
// service provider: accounts, balances, beneficiaries, transactions with
// cursor pagination, transfers and asynchronous payouts, API-key auth, and
// faults on demand. It is what the demo connector talks to and the workload
// of the benchmarks.
//
// Its generated transactions are a pure function of (seed, account,
// index), so a bank of a million payments holds almost nothing in memory;
// only transactions appended later (growth, transfers, payouts) are stored.
//
// Routes (all under Authorization: Bearer <key>):
//
//	GET  /v1/accounts                     list accounts
//	GET  /v1/accounts/{id}                one account
//	GET  /v1/accounts/{id}/balances       balances of an account
//	GET  /v1/accounts/{id}/transactions   transactions of an account
//	GET  /v1/transactions                 transactions of every account
//	GET  /v1/beneficiaries                list beneficiaries
//	GET  /v1/beneficiaries/{id}           one beneficiary
//	POST /v1/transfers                    create a transfer (settles at once)
//	GET  /v1/transfers/{id}               a transfer
//	POST /v1/payouts                      create a payout (202, pending)
//	GET  /v1/payouts/{id}                 poll a payout
//	POST /v1/webhook_endpoints            subscribe an URL to events (webhooks.go)
//	GET  /v1/webhook_endpoints            list subscriptions
//	POST /admin/grow?n=N                  append N transactions
//	GET|POST /admin/faults                read or set fault injection
//	GET  /admin/stats                     request and item counts
//	GET|POST /admin/clock                 read or advance the clock (new payments, groups sharing a timestamp)
//	GET  /admin/webhooks                  recent delivery attempts
//
// Lists take ?limit=N (default 100, at most 1000) and ?cursor=C and answer
// {"object":"list","data":[...],"has_more":bool,"next_cursor":"..."}.
// next_cursor is the position of the last item returned and is set even
// when has_more is false, so that a client can come back later for what
// was appended since. Transactions are ordered by created_at then id.
package demobank

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIKey is the API key of a bank whose Config names none.
const DefaultAPIKey = "demo-key"

// Config sizes and shapes a Bank. Counts are taken literally: a zero
// PaymentsPerAccount is a bank with no transactions until some are added.
type Config struct {
	// Seed makes the generated data; the same seed gives the same bank.
	Seed int64
	// Accounts is the number of accounts; at least one is made.
	Accounts int
	// PaymentsPerAccount is the number of generated transactions of each
	// account.
	PaymentsPerAccount int
	// ExternalAccounts is the number of beneficiaries.
	ExternalAccounts int
	// Start is the created_at of the first generated transaction;
	// zero means 2024-01-01T00:00:00Z.
	Start time.Time
	// CreatedAtSpread is the span over which each account's generated
	// transactions are spread; zero means 90 days.
	CreatedAtSpread time.Duration
	// APIKey is the bearer token clients must send; "" means DefaultAPIKey.
	APIKey string
	// DefaultPageSize is the page size when a list names no limit (100);
	// MaxPageSize caps limit (1000).
	DefaultPageSize, MaxPageSize int
	// Faults are injected from the start; see also SetFaults and
	// POST /admin/faults.
	Faults Faults
	// GrowEvery, when set, appends GrowBy transactions (default: one per
	// account) for every GrowEvery elapsed. Growth is applied lazily as
	// requests arrive, so a bank that is not asked runs nothing.
	GrowEvery time.Duration
	GrowBy    int
	// PayoutPendingPolls is how many polls of a new payout still answer
	// pending; zero settles it on its first poll.
	PayoutPendingPolls int
	// WebhookRetryBase is the wait before a failed delivery's first retry,
	// doubled after each (default 500ms); WebhookMaxAttempts bounds the
	// attempts of one delivery (default 6).
	WebhookRetryBase   time.Duration
	WebhookMaxAttempts int
	// WebhookEvents, when set, are the only event types delivered (as a
	// Stripe endpoint's enabled_events); empty means every event.
	WebhookEvents []string
	// Now is the clock for created items; nil means time.Now.
	Now func() time.Time
}

// Faults is what the bank does wrong on purpose, to /v1 requests only (the
// admin routes stay usable to turn faults off). Counting starts afresh
// whenever faults are set.
type Faults struct {
	// Latency is added before each answer.
	Latency time.Duration
	// ErrorEvery makes every Nth request fail with ErrorStatus (500 when
	// unset; 429 answers carry Retry-After).
	ErrorEvery  int
	ErrorStatus int
	// MalformedEvery makes every Nth request answer 200 with a truncated
	// JSON body.
	MalformedEvery int
	// WebhookBadSignature signs deliveries with a wrong secret;
	// WebhookDuplicate delivers every event twice.
	WebhookBadSignature bool
	WebhookDuplicate    bool
	// WebhookOutOfOrder holds each event back until the next one is sent:
	// events arrive pairwise swapped. WebhookDelay waits before each
	// delivery attempt.
	WebhookOutOfOrder bool
	WebhookDelay      time.Duration
}

// faultsJSON is Faults on the wire of /admin/faults.
type faultsJSON struct {
	LatencyMs      int64 `json:"latencyMs"`
	ErrorEvery     int   `json:"errorEvery"`
	ErrorStatus    int   `json:"errorStatus"`
	MalformedEvery int   `json:"malformedEvery"`

	WebhookBadSignature bool  `json:"webhookBadSignature"`
	WebhookDuplicate    bool  `json:"webhookDuplicate"`
	WebhookOutOfOrder   bool  `json:"webhookOutOfOrder"`
	WebhookDelayMs      int64 `json:"webhookDelayMs"`
}

// Bank is a demo PSP. It is an http.Handler; Start serves it on a loopback
// port. Its methods are safe for concurrent use.
type Bank struct {
	cfg   Config
	key   string
	start int64 // unix micros of the first generated transaction
	step  int64 // micros between generated transactions of one account
	gen   int   // generated transactions per account
	now   func() time.Time

	accounts []account
	accIndex map[string]int
	mux      *http.ServeMux

	faults   atomic.Pointer[Faults]
	faultSeq atomic.Int64 // /v1 requests since faults were set
	requests atomic.Int64 // every authenticated request
	nextGrow atomic.Int64 // unix nanos of the next lazy growth, 0 if none
	offset   atomic.Int64 // nanos the clock was advanced (Advance)

	mu       sync.RWMutex
	bens     []beneficiary
	benIndex map[string]int
	appended [][]*tx        // per account, after the generated ones
	byID     map[string]*tx // created transfers and payouts
	idem     map[string]*tx // by Idempotency-Key
	clock    int64          // created_at of the latest transaction, micros
	growNext int            // account the next grown transaction goes to
	created  uint64         // transfers and payouts created, for their ids
	lastGrow time.Time

	voids voids // voided transactions (markets.go)
	hooks hooks

	srvMu sync.Mutex
	srv   *http.Server
	url   string
	done  chan struct{}
}

// New makes a bank from cfg.
func New(cfg Config) *Bank {
	if cfg.Accounts < 1 {
		cfg.Accounts = 1
	}
	cfg.PaymentsPerAccount = max(cfg.PaymentsPerAccount, 0)
	cfg.ExternalAccounts = max(cfg.ExternalAccounts, 0)
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if cfg.CreatedAtSpread <= 0 {
		cfg.CreatedAtSpread = 90 * 24 * time.Hour
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = 100
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 1000
	}
	if cfg.GrowBy <= 0 {
		cfg.GrowBy = cfg.Accounts
	}
	b := &Bank{
		cfg:      cfg,
		key:      cfg.APIKey,
		start:    cfg.Start.UnixMicro(),
		gen:      cfg.PaymentsPerAccount,
		now:      cfg.Now,
		accIndex: map[string]int{},
		benIndex: map[string]int{},
		byID:     map[string]*tx{},
		idem:     map[string]*tx{},
	}
	if b.key == "" {
		b.key = DefaultAPIKey
	}
	base := b.now
	if base == nil {
		base = time.Now
	}
	// The clock moves forward with Advance (clock.go).
	b.now = func() time.Time { return base().Add(time.Duration(b.offset.Load())) }
	b.step = 1
	if b.gen > 0 {
		b.step = max(cfg.CreatedAtSpread.Microseconds()/int64(b.gen), 1)
	}
	// Every generated created_at is below start+gen*step: new transactions
	// are dated after that, so a cursor taken anywhere finds them.
	b.clock = b.start + int64(b.gen)*b.step
	for a := 0; a < cfg.Accounts; a++ {
		acc := genAccount(cfg.Seed, a, b.start)
		b.accIndex[acc.id] = a
		b.accounts = append(b.accounts, acc)
	}
	for j := 0; j < cfg.ExternalAccounts; j++ {
		be := genBeneficiary(cfg.Seed, j, b.start)
		b.benIndex[be.id] = j
		b.bens = append(b.bens, be)
	}
	b.appended = make([][]*tx, cfg.Accounts)
	f := cfg.Faults
	b.faults.Store(&f)
	if cfg.GrowEvery > 0 {
		b.lastGrow = b.now()
		b.nextGrow.Store(b.lastGrow.Add(cfg.GrowEvery).UnixNano())
	}
	b.routes()
	return b
}

// APIKey returns the bearer token the bank accepts.
func (b *Bank) APIKey() string { return b.key }

// URL returns the base URL Start serves on, or "" before Start.
func (b *Bank) URL() string {
	b.srvMu.Lock()
	defer b.srvMu.Unlock()
	return b.url
}

// AccountIDs returns the ids of the bank's accounts, in order.
func (b *Bank) AccountIDs() []string {
	out := make([]string, len(b.accounts))
	for i := range b.accounts {
		out[i] = b.accounts[i].id
	}
	return out
}

// BeneficiaryIDs returns the ids of the bank's beneficiaries, in order.
func (b *Bank) BeneficiaryIDs() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]string, len(b.bens))
	for i := range b.bens {
		out[i] = b.bens[i].id
	}
	return out
}

// TotalTransactions returns the number of transactions across accounts.
func (b *Bank) TotalTransactions() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := b.gen * len(b.accounts)
	for _, ap := range b.appended {
		n += len(ap)
	}
	return n
}

// Requests returns the number of authenticated requests served.
func (b *Bank) Requests() int64 { return b.requests.Load() }

// SetFaults replaces the injected faults and restarts their counting.
func (b *Bank) SetFaults(f Faults) {
	b.faults.Store(&f)
	b.faultSeq.Store(0)
}

// Faults returns the injected faults.
func (b *Bank) Faults() Faults { return *b.faults.Load() }

// Start serves the bank on addr ("" means 127.0.0.1:0) until Close and
// returns its base URL, e.g. "http://127.0.0.1:40123".
func (b *Bank) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("demobank: listen: %w", err)
	}
	return b.serve(ln)
}

// Serve serves the bank on ln until ctx is done or Close is called.
func (b *Bank) Serve(ctx context.Context, ln net.Listener) error {
	if _, err := b.serve(ln); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		_ = b.Close()
	case <-b.done:
	}
	return nil
}

func (b *Bank) serve(ln net.Listener) (string, error) {
	b.srvMu.Lock()
	defer b.srvMu.Unlock()
	if b.srv != nil {
		ln.Close()
		return "", errors.New("demobank: already started")
	}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	b.url = "http://" + ln.Addr().String()
	b.done = make(chan struct{})
	srv, done := b.srv, b.done
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // ErrServerClosed after Close
	}()
	return b.url, nil
}

// Close stops serving and closes open connections; it waits for the serving
// goroutine to end. It is a no-op on a bank never started.
func (b *Bank) Close() error {
	b.closeHooks()
	b.srvMu.Lock()
	srv, done := b.srv, b.done
	b.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-done
	return err
}

// AddTransactions appends n transactions, spread over the accounts in turn,
// each dated after every existing one, and returns the new total.
func (b *Bank) AddTransactions(n int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addLocked(n)
	total := b.gen * len(b.accounts)
	for _, ap := range b.appended {
		total += len(ap)
	}
	return total
}

func (b *Bank) addLocked(n int) {
	for range n {
		a := b.growNext
		b.growNext = (b.growNext + 1) % len(b.accounts)
		t := new(tx)
		// Grown transactions continue the account's generated sequence,
		// so they are as deterministic as the rest but for their date.
		b.genTx(a, int64(b.gen+len(b.appended[a])), t)
		t.createdAt = b.tickLocked()
		b.appended[a] = append(b.appended[a], t)
	}
}

// tickLocked returns a created_at later than every existing one.
func (b *Bank) tickLocked() int64 {
	b.clock = max(b.now().UnixMicro(), b.clock+1)
	return b.clock
}

// growLazily applies the growth due since the last request.
func (b *Bank) growLazily() {
	next := b.nextGrow.Load()
	if next == 0 || b.now().UnixNano() < next {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	ticks := int(now.Sub(b.lastGrow) / b.cfg.GrowEvery)
	if ticks <= 0 {
		return
	}
	// An idle bank catches up on a bounded number of ticks, not on days.
	b.addLocked(min(ticks, 1000) * b.cfg.GrowBy)
	b.lastGrow = b.lastGrow.Add(time.Duration(ticks) * b.cfg.GrowEvery)
	b.nextGrow.Store(b.lastGrow.Add(b.cfg.GrowEvery).UnixNano())
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
