package brokenconnector

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connectors/demo"
)

// HTTPBug is an error-handling bug of a connector that talks HTTP: the
// demo connector (and its bank) with its errors mishandled, for the review
// rules that inject faults into the session's transport.
type HTTPBug string

// The HTTP bugs.
const (
	// SwallowsErrors turns a failed page (5xx, a network error, a cut body)
	// into an empty last page: the failed page's items are dropped.
	SwallowsErrors HTTPBug = "swallows-errors"
	// AllRetryable reports every error as retryable, a 401 included.
	AllRetryable HTTPBug = "all-retryable"
	// NeverRetryable reports every error as not retryable, a 429 included.
	NeverRetryable HTTPBug = "never-retryable"
	// UnknownIsSucceeded maps a status it does not know to SUCCEEDED.
	UnknownIsSucceeded HTTPBug = "unknown-is-succeeded"
	// FloatAmounts passes amounts through a float64: exact up to 2^53.
	FloatAmounts HTTPBug = "float-amounts"
	// RetriesAtOnce retries a 429 at once, ignoring its Retry-After.
	RetriesAtOnce HTTPBug = "retries-at-once"
)

// HTTPBugs lists every HTTP bug.
var HTTPBugs = []HTTPBug{SwallowsErrors, AllRetryable, NeverRetryable, UnknownIsSucceeded, FloatAmounts, RetriesAtOnce}

// HTTPName returns the provider name of an HTTP bug: "broken-<bug>".
func HTTPName(b HTTPBug) string { return "broken-" + string(b) }

// HTTPConnector is the demo connector with one error-handling bug in its
// fetches.
type HTTPConnector struct {
	*demo.Connector
	bug HTTPBug
}

// HTTPProvider returns the provider of an HTTP bug; its config is the demo
// connector's.
func HTTPProvider(b HTTPBug) *connector.Provider {
	return connector.Define(HTTPName(b), connector.Info{
		Description:     fmt.Sprintf("test-only demo connector with the error-handling bug %q", b),
		DefaultPageSize: 25,
	}, (*HTTPConnector)(nil), func(ctx context.Context, cfg demo.Config, env connector.Env) (connector.Connector, error) {
		c, err := demo.Open(ctx, cfg, env)
		if err != nil {
			return nil, err
		}
		return &HTTPConnector{Connector: c.(*demo.Connector), bug: b}, nil
	})
}

// FetchAccounts implements connector.AccountsFetcher, with the bug.
func (c *HTTPConnector) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	p, err := c.Connector.FetchAccounts(ctx, req)
	return mishandle(c.bug, req, p, err)
}

// FetchPayments implements connector.PaymentsFetcher, with the bug.
func (c *HTTPConnector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	p, err := c.Connector.FetchPayments(ctx, req)
	var ce *connector.Error
	if c.bug == RetriesAtOnce && errors.As(err, &ce) && ce.HTTPStatus == 429 {
		p, err = c.Connector.FetchPayments(ctx, req)
	}
	for i := range p.Items {
		it := &p.Items[i]
		switch {
		case c.bug == UnknownIsSucceeded && it.Status == connector.PaymentStatusOther:
			it.Status = connector.PaymentStatusSucceeded
		case c.bug == FloatAmounts && it.Amount != nil:
			f, _ := new(big.Float).SetInt(it.Amount).Float64()
			it.Amount, _ = big.NewFloat(f).Int(nil)
		}
	}
	return mishandle(c.bug, req, p, err)
}

func mishandle[T any](bug HTTPBug, req connector.FetchRequest, p connector.Page[T], err error) (connector.Page[T], error) {
	if err == nil {
		return p, nil
	}
	var ce *connector.Error
	isCE := errors.As(err, &ce)
	switch bug {
	case SwallowsErrors:
		if !isCE || ce.HTTPStatus == 0 || ce.HTTPStatus >= 500 {
			return connector.Page[T]{NewState: req.State, HasMore: false}, nil
		}
	case AllRetryable, NeverRetryable:
		if isCE {
			bad := *ce
			bad.Retryable = bug == AllRetryable
			return p, &bad
		}
	}
	return p, err
}
