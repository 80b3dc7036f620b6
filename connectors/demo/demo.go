// Package demo is the connector for the demo bank (package demobank): a
// real connector over HTTP, written the way a connector for a production
// PSP would be, and the reference for connector authors.
//
// With no endpoint configured it runs a demo bank of its own on a loopback
// port, so that `session/create {provider: "demo"}` works with no setup at
// all. That bank is made on the session's first request and listens only
// while it is used (bank.go): an idle session holds no socket and no
// goroutine. Close stops it.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/demobank"
)

// Defaults of the embedded demo bank: small enough to sync in a blink,
// big enough to page through.
const (
	DefaultAccounts           = 5
	DefaultPaymentsPerAccount = 250
	DefaultExternalAccounts   = 3
)

// maxPageSize is the demo bank's own cap on limit.
const maxPageSize = 1000

// maxBody bounds what is read of one response.
const maxBody = 64 << 20

// Config is the demo connector's configuration.
type Config struct {
	// Endpoint is the base URL of a running demo bank. Empty starts one
	// in-process, sized by the fields below.
	Endpoint string `json:"endpoint,omitempty" jsonschema:"format=uri,description=Base URL of a running demo bank (e.g. http://127.0.0.1:8081). Leave empty to start one in-process."`
	// APIKey is the bank's bearer token; required with Endpoint.
	APIKey string `json:"apiKey,omitempty" secret:"true" jsonschema:"description=API key of the demo bank. Required with endpoint; the in-process bank uses it when set (default demo-key)."`

	// The fields below size the in-process bank and are ignored with
	// Endpoint. Zero means the default.
	Seed               int64 `json:"seed,omitempty" jsonschema:"description=Seed of the in-process bank's generated data"`
	Accounts           int   `json:"accounts,omitempty" jsonschema:"minimum=0,maximum=10000,description=Accounts of the in-process bank (default 5)"`
	PaymentsPerAccount int   `json:"paymentsPerAccount,omitempty" jsonschema:"minimum=0,maximum=10000000,description=Generated payments per account of the in-process bank (default 250)"`
	ExternalAccounts   int   `json:"externalAccounts,omitempty" jsonschema:"minimum=0,maximum=100000,description=Beneficiaries of the in-process bank (default 3)"`
	GrowEverySeconds   int   `json:"growEverySeconds,omitempty" jsonschema:"minimum=0,description=When set the in-process bank appends one payment per account every so many seconds"`
}

func init() {
	connector.Register(connector.Define("demo", connector.Info{
		Description:     "Demo bank: accounts, balances, beneficiaries, payments, transfers and payouts over HTTP. Starts its own bank when no endpoint is given.",
		DefaultPageSize: 100,
	}, (*Connector)(nil), Open))
}

// Connector is an open connection to a demo bank.
type Connector struct {
	base   string // without trailing slash
	apiKey string
	http   *http.Client
	log    *slog.Logger
	bank   *lazyBank // the in-process bank, or nil with an endpoint

	whMu    sync.Mutex
	secrets map[string]string // webhook config name -> signing secret; guarded by whMu
}

var (
	_ connector.AccountsFetcher         = (*Connector)(nil)
	_ connector.BalancesFetcher         = (*Connector)(nil)
	_ connector.ExternalAccountsFetcher = (*Connector)(nil)
	_ connector.PaymentsFetcher         = (*Connector)(nil)
	_ connector.TransferCreator         = (*Connector)(nil)
	_ connector.TransferPoller          = (*Connector)(nil)
	_ connector.PayoutCreator           = (*Connector)(nil)
	_ connector.PayoutPoller            = (*Connector)(nil)
	_ connector.OrdersFetcher           = (*Connector)(nil)
	_ connector.ConversionsFetcher      = (*Connector)(nil)
	_ connector.Installer               = (*Connector)(nil)
	_ io.Closer                         = (*Connector)(nil)
)

// Open connects to cfg.Endpoint, or starts an in-process bank when it is
// empty.
func Open(ctx context.Context, cfg Config, env connector.Env) (connector.Connector, error) {
	c := &Connector{apiKey: cfg.APIKey, http: env.HTTPClient, log: env.Logger}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &connector.ConfigError{Fields: []connector.FieldError{{Field: "endpoint", Message: "must be an http(s) URL"}}}
		}
		if cfg.APIKey == "" {
			return nil, &connector.ConfigError{Fields: []connector.FieldError{{Field: "apiKey", Message: "is required with endpoint"}}}
		}
		c.base = strings.TrimRight(cfg.Endpoint, "/")
		return c, nil
	}
	bc := demobank.Config{
		Seed:               cfg.Seed,
		Accounts:           orDefault(cfg.Accounts, DefaultAccounts),
		PaymentsPerAccount: orDefault(cfg.PaymentsPerAccount, DefaultPaymentsPerAccount),
		ExternalAccounts:   orDefault(cfg.ExternalAccounts, DefaultExternalAccounts),
		APIKey:             cfg.APIKey,
		GrowEvery:          time.Duration(cfg.GrowEverySeconds) * time.Second,
	}
	// Nothing starts here: a daemon restoring 10,000 sessions opens them
	// all, and most are idle.
	c.bank = &lazyBank{cfg: bc, log: env.Logger, client: env.HTTPClient}
	return c, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Close stops the in-process bank, if any.
func (c *Connector) Close() error {
	if c.bank != nil {
		c.bank.close()
	}
	return nil
}

// Endpoint returns the base URL the connector talks to: the configured
// one, or the in-process bank's while it listens ("" while it is idle).
func (c *Connector) Endpoint() string {
	if c.bank != nil {
		return c.bank.listening()
	}
	return c.base
}

// Install returns the production task tree: accounts, then balances and
// payments of each account; beneficiaries beside them.
func (c *Connector) Install(ctx context.Context) ([]connector.Task, error) {
	return []connector.Task{
		{Resource: "accounts", Periodically: true, Next: []connector.Task{
			{Resource: "balances", Periodically: true},
			{Resource: "payments", Periodically: true},
		}},
		{Resource: "externalAccounts", Periodically: true},
		{Resource: "orders", Periodically: true},
		{Resource: "conversions", Periodically: true},
	}, nil
}

// apiError is the bank's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// do sends one request, decodes a 2xx JSON answer into out and returns the
// body.
func (c *Connector) do(ctx context.Context, method, path string, query url.Values, body any, hdr http.Header, out any) ([]byte, error) {
	base, key := c.base, c.apiKey
	if c.bank != nil {
		var release func()
		var err error
		if base, key, release, err = c.bank.acquire(); err != nil {
			return nil, err
		}
		defer release()
	}
	u := base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("demo: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("demo: %s %s: %w", method, path, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &connector.Error{Retryable: true, Message: fmt.Sprintf("%s %s: %v", method, path, err), Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &connector.Error{Retryable: true, Message: fmt.Sprintf("%s %s: reading body: %v", method, path, err), Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.TrimSpace(string(raw))
		var ae apiError
		if json.Unmarshal(raw, &ae) == nil && ae.Error.Message != "" {
			msg = ae.Error.Code + ": " + ae.Error.Message
		}
		return nil, connector.HTTPError(resp.StatusCode, msg)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, &connector.Error{
			Retryable: true,
			Message:   fmt.Sprintf("malformed response body from %s %s: %v", method, path, err),
			Err:       err,
		}
	}
	return raw, nil
}

// listPage is the bank's list shape.
type listPage[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

// state is the connector's opaque state for every paged resource: the
// bank's cursor after the last item seen. It survives has_more=false, so a
// later fetch returns only what the bank appended since.
type state struct {
	Cursor string `json:"cursor,omitempty"`
	// Voided is the cursor of the bank's voided transactions, read at the
	// end of the payments (markets.go).
	Voided string `json:"voided,omitempty"`
}

func parseState(raw json.RawMessage) (state, error) {
	var s state
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return s, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("demo: state %s: %w: %v", raw, connector.ErrInvalidState, err)
	}
	return s, nil
}

// list fetches one page of path continuing from the state: the decoded
// items, each item's raw JSON, whether more follow and the new state.
func list[T any](ctx context.Context, c *Connector, path string, req connector.FetchRequest) ([]T, []json.RawMessage, bool, json.RawMessage, error) {
	st, err := parseState(req.State)
	if err != nil {
		return nil, nil, false, nil, err
	}
	limit := req.PageSize
	if limit <= 0 {
		limit = 100
	}
	q := url.Values{"limit": {strconv.Itoa(min(limit, maxPageSize))}}
	if st.Cursor != "" {
		q.Set("cursor", st.Cursor)
	}
	var page listPage[T]
	body, err := c.do(ctx, http.MethodGet, path, q, nil, nil, &page)
	if err != nil {
		return nil, nil, false, nil, err
	}
	raws, err := dataItems(body)
	if err != nil || len(raws) != len(page.Data) {
		return nil, nil, false, nil, &connector.Error{Retryable: true, Message: fmt.Sprintf("malformed response body from GET %s: %v", path, err)}
	}
	if page.NextCursor != "" {
		st.Cursor = page.NextCursor
	}
	newState, err := json.Marshal(st)
	if err != nil {
		return nil, nil, false, nil, err
	}
	return page.Data, raws, page.HasMore, newState, nil
}

// parentAccount reads the account a child task runs for. The daemon hands
// the protocol Account ({"reference":..., "raw":...}); the bank's own
// account JSON ({"id":...}) is accepted too.
func parentAccount(payload json.RawMessage) (string, error) {
	var p struct {
		Reference string          `json:"reference"`
		ID        string          `json:"id"`
		Raw       json.RawMessage `json:"raw"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("demo: fromPayload is not an account: %v", err)
	}
	switch {
	case p.Reference != "":
		return p.Reference, nil
	case p.ID != "":
		return p.ID, nil
	case len(p.Raw) > 0:
		return parentAccount(p.Raw)
	}
	return "", errors.New("demo: fromPayload has no account reference")
}
