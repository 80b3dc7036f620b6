// Package testconnector provides a provider for the daemon's own tests: an
// in-memory connector whose misbehaviour is chosen by config (panic, fail
// with an HTTP status, hang until cancelled, return broken state, stall).
// It is registered only in registries that tests build, or in the binary
// when SWITCHBOARD_TEST_PROVIDERS=1, never by default.
package testconnector

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/switchboardpay/switchboard/connector"
)

// Release ends every "deaf" and "leak" goroutine: tests close it at the
// end so goleak sees what the daemon left, not what the connector did.
var Release = make(chan struct{})

// Name is the provider name.
const Name = "test"

// Config chooses the connector's data and behaviour.
type Config struct {
	// Payments is the number of payments to serve (default 250).
	Payments int `json:"payments,omitempty" jsonschema:"minimum=0"`
	// Accounts is the number of accounts (default 3).
	Accounts int `json:"accounts,omitempty" jsonschema:"minimum=0"`
	// Secret exists to test redaction.
	Secret string `json:"secret,omitempty" secret:"true"`
	// Behave picks a misbehaviour: "", "panic", "error", "hang" (until
	// cancelled), "deaf" (hangs ignoring its context), "badstate", "stall"
	// (same state, hasMore forever), "slow", "noref" (items without
	// references), "dupref" (a reference twice in a page), "leak" (leaves a
	// goroutine behind per call).
	Behave string `json:"behave,omitempty" jsonschema:"enum=,enum=panic,enum=error,enum=hang,enum=deaf,enum=badstate,enum=stall,enum=slow,enum=noref,enum=dupref,enum=leak"`
	// Status is the HTTP status of "error" (default 503).
	Status int `json:"status,omitempty"`
	// SleepMs is the delay of each fetch for "slow".
	SleepMs int `json:"sleepMs,omitempty" jsonschema:"minimum=0"`
}

// Connector serves generated payments and accounts.
type Connector struct {
	cfg Config
	env connector.Env
}

var (
	_ connector.AccountsFetcher = (*Connector)(nil)
	_ connector.PaymentsFetcher = (*Connector)(nil)
	_ connector.BalancesFetcher = (*Connector)(nil)
	_ connector.Installer       = (*Connector)(nil)
)

// Provider returns the test provider.
func Provider() *connector.Provider {
	return connector.Define(Name, connector.Info{Description: "test-only connector with chosen misbehaviour", DefaultPageSize: 100},
		(*Connector)(nil), func(ctx context.Context, cfg Config, env connector.Env) (connector.Connector, error) {
			if cfg.Payments == 0 {
				cfg.Payments = 250
			}
			if cfg.Accounts == 0 {
				cfg.Accounts = 3
			}
			if cfg.Status == 0 {
				cfg.Status = 503
			}
			return &Connector{cfg: cfg, env: env}, nil
		})
}

// Registry returns a registry holding the test provider and extra.
func Registry(extra ...*connector.Provider) *connector.Registry {
	r := connector.NewRegistry()
	r.Register(Provider())
	for _, p := range extra {
		r.Register(p)
	}
	return r
}

type state struct {
	Offset int `json:"offset"`
}

func (c *Connector) behave(ctx context.Context) error {
	switch c.cfg.Behave {
	case "panic":
		panic("test connector told to panic")
	case "error":
		return connector.HTTPError(c.cfg.Status, `{"error":"provider unavailable"}`)
	case "hang":
		<-ctx.Done()
		return ctx.Err()
	case "deaf":
		select {
		case <-time.After(time.Duration(max(c.cfg.SleepMs, 2000)) * time.Millisecond):
		case <-Release:
		}
	case "leak":
		go func() { <-Release }()
	case "slow":
		select {
		case <-time.After(time.Duration(c.cfg.SleepMs) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func page[T any](c *Connector, req connector.FetchRequest, total int, item func(i int) T) (connector.Page[T], error) {
	var st state
	if len(req.State) > 0 && string(req.State) != "null" {
		if err := json.Unmarshal(req.State, &st); err != nil {
			return connector.Page[T]{}, fmt.Errorf("%w: %v", connector.ErrInvalidState, err)
		}
	}
	if c.cfg.Behave == "badstate" {
		return connector.Page[T]{NewState: json.RawMessage(`{"offset":`), HasMore: true}, nil
	}
	if c.cfg.Behave == "stall" {
		return connector.Page[T]{NewState: json.RawMessage(`{"offset":0}`), HasMore: true}, nil
	}
	end := min(st.Offset+req.PageSize, total)
	items := make([]T, 0, max(end-st.Offset, 0))
	for i := st.Offset; i < end; i++ {
		items = append(items, item(i))
	}
	if c.cfg.Behave == "dupref" && len(items) > 1 {
		items[1] = items[0]
	}
	ns, _ := json.Marshal(state{Offset: end})
	return connector.Page[T]{Items: items, NewState: ns, HasMore: end < total}, nil
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// FetchAccounts implements connector.AccountsFetcher.
func (c *Connector) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	if err := c.behave(ctx); err != nil {
		return connector.Page[connector.Account]{}, err
	}
	return page(c, req, c.cfg.Accounts, func(i int) connector.Account {
		ref := "acc_" + strconv.Itoa(i)
		return connector.Account{Reference: ref, CreatedAt: epoch.Add(time.Duration(i) * time.Hour), Name: "Account " + strconv.Itoa(i),
			DefaultAsset: "EUR/2", Raw: json.RawMessage(`{"id":"` + ref + `"}`)}
	})
}

// FetchBalances implements connector.BalancesFetcher.
func (c *Connector) FetchBalances(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Balance], error) {
	if err := c.behave(ctx); err != nil {
		return connector.Page[connector.Balance]{}, err
	}
	var parent struct {
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(req.FromPayload, &parent)
	if parent.Reference == "acc_1" && c.cfg.Behave == "" {
		// One parent always fails, so tests see a failing child task.
		return connector.Page[connector.Balance]{}, connector.HTTPError(500, "balances of acc_1 are broken")
	}
	return page(c, req, 1, func(i int) connector.Balance {
		return connector.Balance{AccountReference: parent.Reference, Asset: "EUR/2", Amount: big.NewInt(100000), CreatedAt: epoch}
	})
}

// FetchPayments implements connector.PaymentsFetcher.
func (c *Connector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	if err := c.behave(ctx); err != nil {
		return connector.Page[connector.Payment]{}, err
	}
	c.env.Logger.Debug("fetching payments", "pageSize", req.PageSize)
	return page(c, req, c.cfg.Payments, func(i int) connector.Payment {
		ref := "pay_" + strconv.Itoa(i)
		if c.cfg.Behave == "noref" {
			ref = ""
		}
		return connector.Payment{
			Reference: ref, CreatedAt: epoch.Add(time.Duration(i) * time.Minute), Type: connector.PaymentTypePayIn,
			Amount: big.NewInt(int64(1000 + i)), Asset: "EUR/2", Scheme: "sepa", Status: connector.PaymentStatusSucceeded,
			DestinationAccountReference: "acc_0", Metadata: map[string]string{"n": strconv.Itoa(i)},
			Raw: json.RawMessage(`{"id":"` + ref + `"}`),
		}
	})
}

// Install implements connector.Installer.
func (c *Connector) Install(ctx context.Context) ([]connector.Task, error) {
	return []connector.Task{
		{Resource: "accounts", Periodically: true, Next: []connector.Task{{Resource: "balances", Periodically: true}}},
		{Resource: "payments", Periodically: true},
	}, nil
}
