// Package stripe is the connector for Stripe, built on stripe-go v80.
//
// It fetches the platform account and its connected accounts, the balances
// and bank accounts of each, and payments from each account's balance
// transactions (charges, refunds, payouts, transfers, disputes, fees); it
// creates transfers and payouts.
//
// Every request goes through the *http.Client of the connector.Env, so the
// daemon captures (and redacts) all of the connector's traffic: the
// connector builds its own stripe-go backend around that client and a
// client.API of its own, and never touches stripe-go's package-level key or
// backends, so sessions share no state.
//
// # Pagination and state
//
// Stripe lists newest first with cursors: starting_after=ID continues
// towards older objects and ending_before=ID towards newer ones. The state
// of every list (connected accounts, external accounts, balance
// transactions, per account since the daemon keys state by fromPayload) is
//
//	{"lastId":"txn_old","newestId":"txn_new","caughtUp":true}
//
// The first sync walks back in time: each page asks starting_after=lastId
// and lastId becomes the oldest id seen, while newestId remembers the
// newest id of the very first page. When Stripe answers has_more=false the
// walk is over (caughtUp). From then on each call asks
// ending_before=newestId: Stripe answers with the objects just newer than
// it (up to the page size, closest first); newestId moves to the newest of
// them, and has_more says whether more new objects follow. So a second sync
// returns only what was created since, including what appeared while the
// first walk was running. Pages of new objects are returned oldest first;
// pages of the first walk newest first, as Stripe lists them.
//
// The accounts state adds "platformDone": the platform account
// (GET /v1/account) is the first item of the first page.
//
// # Mapping
//
// Amounts are integer minor units as Stripe gives them and assets are
// "CODE/DECIMALS" with Stripe's own exponent (see currency.go): JPY/0,
// KWD/3, USD/2, and ISK/2, HUF/2, TWD/2 since Stripe keeps those
// two-decimal in its API. The type and status mapping of balance
// transactions is documented at toPayment.
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	stripego "github.com/stripe/stripe-go/v80"
	"github.com/stripe/stripe-go/v80/client"

	"github.com/switchboardpay/switchboard/connector"
)

// ProviderName is the name the connector registers under.
const ProviderName = "stripe"

// maxPageSize is Stripe's cap on limit.
const maxPageSize = 100

// Config is the Stripe connector's configuration.
type Config struct {
	// APIKey is a Stripe secret or restricted key (sk_test_..., rk_live_...).
	APIKey string `json:"apiKey" secret:"true" jsonschema:"required,minLength=1,description=Stripe secret or restricted API key (sk_test_... or rk_test_...)"`
	// Endpoint overrides https://api.stripe.com, for stripe-mock or a proxy.
	Endpoint string `json:"endpoint,omitempty" jsonschema:"format=uri,description=Base URL replacing https://api.stripe.com (e.g. http://127.0.0.1:12111 for stripe-mock). Leave empty for Stripe itself."`
	// WebhookSecret is a webhook endpoint's signing secret (whsec_...),
	// used when CreateWebhooks gets none: stripe-mock answers none, and
	// an endpoint made elsewhere (the dashboard, stripe listen) has its
	// own. Unlike the one Stripe shows once, it survives a restart.
	WebhookSecret string `json:"webhookSecret,omitempty" secret:"true" jsonschema:"description=Webhook signing secret (whsec_...) when the endpoint's own is not known: stripe-mock answers none; an endpoint made in the dashboard or by stripe listen has its own."`
}

func init() {
	connector.Register(connector.Define(ProviderName, connector.Info{
		Description:     "Stripe (stripe-go v80): platform and connected accounts, balances, bank accounts, payments from balance transactions, transfers and payouts.",
		DefaultPageSize: 100,
	}, (*Connector)(nil), Open))
}

// Connector is an open connection to one Stripe account (the platform)
// and its connected accounts.
type Connector struct {
	api     *client.API
	backend stripego.Backend // api's, for the calls client.API has no context for
	key     string
	log     *slog.Logger

	mu            sync.Mutex
	platformID    string // guarded by mu; learnt from GET /v1/account
	webhookSecret string // guarded by mu; the endpoint's, from CreateWebhooks
}

var (
	_ connector.AccountsFetcher         = (*Connector)(nil)
	_ connector.BalancesFetcher         = (*Connector)(nil)
	_ connector.ExternalAccountsFetcher = (*Connector)(nil)
	_ connector.PaymentsFetcher         = (*Connector)(nil)
	_ connector.TransferCreator         = (*Connector)(nil)
	_ connector.PayoutCreator           = (*Connector)(nil)
	_ connector.Installer               = (*Connector)(nil)
)

// Open builds a stripe-go client of the session's own around
// env.HTTPClient. It sends no request.
func Open(ctx context.Context, cfg Config, env connector.Env) (connector.Connector, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, &connector.ConfigError{Fields: []connector.FieldError{{Field: "apiKey", Message: "is required"}}}
	}
	bc := &stripego.BackendConfig{
		HTTPClient:    env.HTTPClient,
		LeveledLogger: leveledLogger{env.Logger},
		// The daemon shows every failure as it happens and the caller
		// decides on retries: stripe-go's own retries sleep without
		// looking at the context.
		MaxNetworkRetries: stripego.Int64(0),
		// Telemetry would send the previous request's id and duration in
		// a header of the next one: noise in the captured traffic.
		EnableTelemetry: stripego.Bool(false),
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &connector.ConfigError{Fields: []connector.FieldError{{Field: "endpoint", Message: "must be an http(s) URL"}}}
		}
		bc.URL = stripego.String(strings.TrimRight(cfg.Endpoint, "/"))
	}
	// Without an endpoint each backend keeps its own default URL.
	backends := &stripego.Backends{
		API:     stripego.GetBackendWithConfig(stripego.APIBackend, bc),
		Connect: stripego.GetBackendWithConfig(stripego.ConnectBackend, bc),
		Uploads: stripego.GetBackendWithConfig(stripego.UploadsBackend, bc),
	}
	return &Connector{
		api:     client.New(cfg.APIKey, backends),
		backend: backends.API,
		key:     cfg.APIKey,
		log:     env.Logger,

		webhookSecret: cfg.WebhookSecret,
	}, nil
}

// Install returns the production task tree: the accounts, then for each
// account its balances, bank accounts and payments.
func (c *Connector) Install(ctx context.Context) ([]connector.Task, error) {
	return []connector.Task{
		{Resource: "accounts", Periodically: true, Next: []connector.Task{
			{Resource: "balances", Periodically: true},
			{Resource: "externalAccounts", Periodically: true},
			{Resource: "payments", Periodically: true},
		}},
	}, nil
}

// leveledLogger sends stripe-go's logs to the session's logger. Its
// per-request lines ("Requesting GET ...") go to Debug, since the HTTP
// capture shows the requests already; its Debugf dumps whole response
// bodies and is dropped for the same reason.
type leveledLogger struct{ l *slog.Logger }

func (l leveledLogger) log(level slog.Level, format string, v ...any) {
	if l.l == nil || !l.l.Enabled(context.Background(), level) {
		return
	}
	l.l.Log(context.Background(), level, "stripe-go: "+fmt.Sprintf(format, v...))
}

func (l leveledLogger) Debugf(string, ...any)          {}
func (l leveledLogger) Infof(format string, v ...any)  { l.log(slog.LevelDebug, format, v...) }
func (l leveledLogger) Warnf(format string, v ...any)  { l.log(slog.LevelWarn, format, v...) }
func (l leveledLogger) Errorf(format string, v ...any) { l.log(slog.LevelError, format, v...) }

// wrapErr turns what stripe-go returned into the error the daemon reports:
// the context's error when it was cancelled, a connector.Error with the
// HTTP status for an API error (429 and 5xx retryable), and a retryable
// connector.Error for a transport failure.
func wrapErr(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stripe: %s: %w", op, ctx.Err())
	}
	var se *stripego.Error
	if errors.As(err, &se) {
		msg := se.Msg
		if se.Code != "" {
			msg = string(se.Code) + ": " + msg
		}
		if se.Param != "" {
			msg += " (param " + se.Param + ")"
		}
		if se.Type != "" {
			msg = string(se.Type) + ": " + msg
		}
		status := se.HTTPStatusCode
		return &connector.Error{
			HTTPStatus: status,
			Retryable:  status == 429 || status >= 500,
			Message:    op + ": " + msg,
			Err:        err,
		}
	}
	return &connector.Error{Retryable: true, Message: op + ": " + err.Error(), Err: err}
}

// invalid is a request the connector refuses before calling Stripe.
func invalid(format string, args ...any) error {
	return &connector.Error{Message: fmt.Sprintf(format, args...)}
}

// platform returns the platform account's id, asking Stripe once per
// connector.
func (c *Connector) platform(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.platformID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	acc, err := c.getPlatform(ctx)
	if err != nil {
		return "", err
	}
	return acc.ID, nil
}

// getPlatform fetches the platform account, GET /v1/account (stripe-go's
// Accounts.Get takes no params, so no context: call its backend).
func (c *Connector) getPlatform(ctx context.Context) (*stripego.Account, error) {
	acc := &stripego.Account{}
	err := c.backend.Call(http.MethodGet, "/v1/account", c.key, &stripego.AccountParams{Params: stripego.Params{Context: ctx}}, acc)
	if err != nil {
		return nil, wrapErr(ctx, "GET /v1/account", err)
	}
	if acc.ID == "" || acc.LastResponse == nil {
		return nil, malformed("platform account", fmt.Errorf("no id"))
	}
	c.setPlatform(acc.ID)
	return acc, nil
}

func (c *Connector) setPlatform(id string) {
	if id == "" {
		return
	}
	c.mu.Lock()
	c.platformID = id
	c.mu.Unlock()
}

// parent is the account a child task runs for.
type parent struct {
	ID       string
	Platform bool
}

// parentAccount reads fromPayload: the protocol Account
// ({"reference":"acct_...","metadata":{...},"raw":{...}}) the daemon hands
// a child task, or Stripe's own account JSON ({"id":"acct_..."}). An empty
// payload means the platform account. The platform is recognised by the
// "stripe/platform" metadata FetchAccounts sets, or by its id.
func (c *Connector) parentAccount(ctx context.Context, payload json.RawMessage) (parent, error) {
	if len(payload) == 0 || string(payload) == "null" {
		id, err := c.platform(ctx)
		return parent{ID: id, Platform: true}, err
	}
	var p struct {
		Reference string            `json:"reference"`
		ID        string            `json:"id"`
		Metadata  map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return parent{}, invalid("stripe: fromPayload is not an account: %v", err)
	}
	id := p.Reference
	if id == "" {
		id = p.ID
	}
	if id == "" {
		return parent{}, invalid("stripe: fromPayload has no account reference")
	}
	if p.Metadata[metaPlatform] == "true" {
		c.setPlatform(id)
		return parent{ID: id, Platform: true}, nil
	}
	pid, err := c.platform(ctx)
	if err != nil {
		return parent{}, err
	}
	return parent{ID: id, Platform: id == pid}, nil
}

// listParams is the common part of every list request: one page only
// (stripe-go's iterator would otherwise walk every page), for the account
// when it is a connected one.
func listParams(ctx context.Context, acc parent, limit int) stripego.ListParams {
	lp := stripego.ListParams{Context: ctx, Single: true, Limit: stripego.Int64(int64(clampLimit(limit)))}
	if acc.ID != "" && !acc.Platform {
		lp.SetStripeAccount(acc.ID)
	}
	return lp
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return maxPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return n
}

// rawItems returns the raw JSON of each element of a list body's "data".
func rawItems(body []byte) ([]json.RawMessage, error) {
	var l struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, err
	}
	return l.Data, nil
}
