// Package brokenconnector provides deliberately broken providers, and one
// correct one, for the tests of the pagination conformance check: each
// carries one classic pagination bug in its payments. They are registered
// only in registries that tests build, never by default.
//
// Every provider serves accounts, the balances of each account and the
// payments of each account (the task tree is accounts -> balances,
// payments); only payments are broken.
package brokenconnector

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/connector"
)

// Bug is a pagination bug of the payments fetcher.
type Bug string

// The bugs.
const (
	// None paginates correctly: an offset cursor kept after the last page.
	None Bug = ""
	// TimestampCursor pages by "created after the last item's timestamp",
	// while several payments (more than a small page) share a timestamp:
	// items at page boundaries are skipped.
	TimestampCursor Bug = "timestamp-cursor"
	// OffByOneRepeat advances its offset one short: each page repeats the
	// last item of the one before (and with pages of 1 never advances).
	OffByOneRepeat Bug = "off-by-one-repeat"
	// OffByOneSkip advances its offset one too far: one item per page is
	// skipped.
	OffByOneSkip Bug = "off-by-one-skip"
	// DropsLast drops the last item of every page but advances its state
	// past it.
	DropsLast Bug = "drops-last"
	// IgnoresPageSize returns 10 items a page whatever the page size.
	IgnoresPageSize Bug = "ignores-page-size"
	// MemoryCursor keeps its position in the connector instead of the
	// state: it reads the state only to see whether it is null.
	MemoryCursor Bug = "memory-cursor"
	// FinalStateLost returns a null state with its last page, so a later
	// run starts over.
	FinalStateLost Bug = "final-state-lost"
	// ForgetsGrowth ends with a state past any possible item: a second run
	// returns nothing, even after new payments came.
	ForgetsGrowth Bug = "forgets-growth"
	// TwoDecimalsEverywhere paginates correctly but gives every currency
	// two decimals: its yen payments are JPY/2, its dinar ones KWD/2.
	TwoDecimalsEverywhere Bug = "two-decimals-everywhere"
)

// Bugs lists every bug, None first.
var Bugs = []Bug{None, TimestampCursor, OffByOneRepeat, OffByOneSkip, DropsLast, IgnoresPageSize, MemoryCursor, FinalStateLost, TwoDecimalsEverywhere, ForgetsGrowth}

// Name returns the provider name of a bug: "correct" for None, else
// "broken-<bug>".
func Name(b Bug) string {
	if b == None {
		return "correct"
	}
	return "broken-" + string(b)
}

// Config sizes the data.
type Config struct {
	// Accounts is the number of accounts (default 2).
	Accounts int `json:"accounts,omitempty" jsonschema:"minimum=0"`
	// Payments is the number of payments per account (default 25).
	Payments int `json:"payments,omitempty" jsonschema:"minimum=0"`
}

// Connector serves accounts, balances and payments with one bug.
type Connector struct {
	bug Bug
	cfg Config

	mu    sync.Mutex
	mem   map[string]int // MemoryCursor's positions by account; guarded by mu
	grown map[string]int // payments added by Grow, by account; guarded by mu
}

var _ connector.Grower = (*Connector)(nil)

// Grow implements connector.Grower: n more payments of the parent account.
func (c *Connector) Grow(ctx context.Context, parent json.RawMessage, n int) error {
	acc, err := parentRef(parent)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grown == nil {
		c.grown = map[string]int{}
	}
	c.grown[acc] += n
	return nil
}

// payments returns the number of payments of an account.
func (c *Connector) payments(acc string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Payments + c.grown[acc]
}

var (
	_ connector.AccountsFetcher = (*Connector)(nil)
	_ connector.BalancesFetcher = (*Connector)(nil)
	_ connector.PaymentsFetcher = (*Connector)(nil)
	_ connector.Installer       = (*Connector)(nil)
)

// New returns a connector with bug.
func New(bug Bug, cfg Config) *Connector {
	if cfg.Accounts == 0 {
		cfg.Accounts = 2
	}
	if cfg.Payments == 0 {
		cfg.Payments = 25
	}
	return &Connector{bug: bug, cfg: cfg, mem: map[string]int{}}
}

// Provider returns the provider of bug, named Name(bug).
func Provider(bug Bug) *connector.Provider {
	return connector.Define(Name(bug), connector.Info{
		Description:     fmt.Sprintf("test-only connector with the pagination bug %q", bug),
		DefaultPageSize: 100,
	}, (*Connector)(nil), func(ctx context.Context, cfg Config, env connector.Env) (connector.Connector, error) {
		return New(bug, cfg), nil
	})
}

// Registry returns a registry holding the provider of every bug, HTTP bugs
// included.
func Registry() *connector.Registry {
	r := connector.NewRegistry()
	for _, b := range Bugs {
		r.Register(Provider(b))
	}
	for _, b := range HTTPBugs {
		r.Register(HTTPProvider(b))
	}
	return r
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sameTimestamp is how many consecutive payments share a timestamp.
const sameTimestamp = 4

// Install implements connector.Installer.
func (c *Connector) Install(ctx context.Context) ([]connector.Task, error) {
	return []connector.Task{{Resource: "accounts", Periodically: true, Next: []connector.Task{
		{Resource: "balances", Periodically: true},
		{Resource: "payments", Periodically: true},
	}}}, nil
}

type offsetState struct {
	Offset int `json:"offset"`
}

type timeState struct {
	After time.Time `json:"after"`
}

func parse(raw json.RawMessage, v any) (bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("%w: %v", connector.ErrInvalidState, err)
	}
	return true, nil
}

// offsetPage is a correct offset page of total items.
func offsetPage[T any](req connector.FetchRequest, total int, item func(int) T) (connector.Page[T], error) {
	var st offsetState
	if _, err := parse(req.State, &st); err != nil {
		return connector.Page[T]{}, err
	}
	size := req.PageSize
	if size <= 0 {
		size = 100
	}
	end := min(st.Offset+size, total)
	var items []T
	for i := st.Offset; i < end; i++ {
		items = append(items, item(i))
	}
	ns, _ := json.Marshal(offsetState{Offset: max(end, st.Offset)})
	return connector.Page[T]{Items: items, NewState: ns, HasMore: end < total}, nil
}

func accountRef(i int) string { return fmt.Sprintf("acc_%d", i) }

// FetchAccounts implements connector.AccountsFetcher, correctly.
func (c *Connector) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	return offsetPage(req, c.cfg.Accounts, func(i int) connector.Account {
		ref := accountRef(i)
		return connector.Account{Reference: ref, CreatedAt: epoch.Add(time.Duration(i) * time.Hour), Name: "Account " + ref,
			DefaultAsset: "EUR/2", Raw: json.RawMessage(`{"id":"` + ref + `"}`)}
	})
}

func parentRef(payload json.RawMessage) (string, error) {
	var p struct {
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.Reference == "" {
		return "", fmt.Errorf("fromPayload must be an account, got %.100s", payload)
	}
	return p.Reference, nil
}

// FetchBalances implements connector.BalancesFetcher, correctly: two
// balances per account.
func (c *Connector) FetchBalances(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Balance], error) {
	acc, err := parentRef(req.FromPayload)
	if err != nil {
		return connector.Page[connector.Balance]{}, err
	}
	assets := []string{"EUR/2", "USD/2"}
	return offsetPage(req, len(assets), func(i int) connector.Balance {
		return connector.Balance{AccountReference: acc, Asset: assets[i], Amount: big.NewInt(100000), CreatedAt: epoch}
	})
}

func (c *Connector) payment(acc string, i int) connector.Payment {
	ref := fmt.Sprintf("%s_pay_%03d", acc, i)
	return connector.Payment{
		Reference: ref, CreatedAt: epoch.Add(time.Duration(i/sameTimestamp) * time.Minute), Type: connector.PaymentTypePayIn,
		Amount: big.NewInt(int64(1000 + i)), Asset: c.asset(i), Scheme: "sepa", Status: connector.PaymentStatusSucceeded,
		DestinationAccountReference: acc, Raw: json.RawMessage(`{"id":"` + ref + `"}`),
	}
}

// asset is payment i's: every fifth in yen, every seventh in Kuwaiti
// dinars, the rest in euros; TwoDecimalsEverywhere gets the decimals wrong.
func (c *Connector) asset(i int) string {
	code, dec := "EUR", 2
	switch {
	case i%5 == 4:
		code, dec = "JPY", 0
	case i%7 == 6:
		code, dec = "KWD", 3
	}
	if c.bug == TwoDecimalsEverywhere {
		dec = 2
	}
	return fmt.Sprintf("%s/%d", code, dec)
}

// FetchPayments implements connector.PaymentsFetcher, with the bug.
func (c *Connector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	acc, err := parentRef(req.FromPayload)
	if err != nil {
		return connector.Page[connector.Payment]{}, err
	}
	total := c.payments(acc)
	item := func(i int) connector.Payment { return c.payment(acc, i) }
	size := req.PageSize
	if size <= 0 {
		size = 100
	}
	type page = connector.Page[connector.Payment]
	switch c.bug {
	case TimestampCursor:
		var st timeState
		if _, err := parse(req.State, &st); err != nil {
			return page{}, err
		}
		var items []connector.Payment
		more := false
		for i := 0; i < total; i++ {
			p := item(i)
			if !p.CreatedAt.After(st.After) {
				continue
			}
			if len(items) == size {
				more = true
				break
			}
			items = append(items, p)
		}
		if len(items) > 0 {
			st.After = items[len(items)-1].CreatedAt
		}
		ns, _ := json.Marshal(st)
		return page{Items: items, NewState: ns, HasMore: more}, nil
	case OffByOneRepeat, OffByOneSkip, DropsLast, IgnoresPageSize, MemoryCursor, FinalStateLost, ForgetsGrowth:
		var st offsetState
		given, err := parse(req.State, &st)
		if err != nil {
			return page{}, err
		}
		if c.bug == IgnoresPageSize {
			size = 10
		}
		if c.bug == MemoryCursor {
			c.mu.Lock()
			if !given {
				c.mem[acc] = 0
			}
			st.Offset = c.mem[acc]
			c.mu.Unlock()
		}
		end := min(st.Offset+size, total)
		var items []connector.Payment
		for i := st.Offset; i < end; i++ {
			items = append(items, item(i))
		}
		next := end
		switch c.bug {
		case OffByOneRepeat:
			if end < total && next > 0 {
				next = end - 1
			}
		case OffByOneSkip:
			if end < total {
				next = end + 1
			}
		case DropsLast:
			if len(items) > 0 {
				items = items[:len(items)-1]
			}
		case MemoryCursor:
			c.mu.Lock()
			c.mem[acc] = end
			c.mu.Unlock()
		}
		hasMore := next < total
		ns, _ := json.Marshal(offsetState{Offset: next})
		if c.bug == FinalStateLost && !hasMore {
			ns = nil
		}
		if c.bug == ForgetsGrowth && !hasMore {
			ns, _ = json.Marshal(offsetState{Offset: 1 << 30})
		}
		return page{Items: items, NewState: ns, HasMore: hasMore}, nil
	}
	return offsetPage(req, total, item)
}
