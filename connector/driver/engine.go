// Package driver calls one connector: one page of one resource, or one
// payment-initiation call, with panics contained, errors coded, and the
// connector's items converted to wire items and encoded once. A connector
// in another process (WireFetcher) hands over wire JSON, which is
// validated and kept as it came.
//
// It is the layer the daemon, conformance and connectortest share, so it
// depends on the SDK only: nothing of sessions, stores, capture or
// JSON-RPC. Callers own state and notifications.
package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/protocol"
)

// Result is one fetched page.
type Result struct {
	// Items is the page's items as a JSON array of wire items.
	Items json.RawMessage
	Count int
	// NewState is valid JSON ("null" when the connector returned none).
	NewState json.RawMessage
	HasMore  bool
	// Duration runs from the connector call's start, which for a
	// prefetched page is before Fetch was called.
	Duration time.Duration
	// Records describe each item, in order, for the store.
	Records []Record
	// Warnings are problems of the page that do not stop it (duplicate
	// references).
	Warnings []string
	// Delete and Cancel are the references of stored payments a payments
	// page deletes or marks CANCELLED.
	Delete []string
	Cancel []string

	started time.Time // of the connector call, when prefetched
}

// Record is one fetched item: its wire JSON and the fields a store indexes.
type Record struct {
	Ref       string
	CreatedAt time.Time
	Status    string
	Type      string
	Asset     string
	Accounts  []string
	JSON      json.RawMessage
}

// Fetch fetches one page of resource from d. Errors are *protocol.Error:
// capability unsupported, connector error or connector panic; a cancelled
// ctx comes back as ctx.Err() wrapped.
func Fetch(ctx context.Context, d *Conn, resource string, req connector.FetchRequest) (Result, error) {
	return FetchAhead(ctx, d, nil, resource, req)
}

// FetchAhead is Fetch in a walk that fetches one page ahead: ahead holds
// the page made ahead, and gets the next one started when this one has
// more (see prefetch.go). A nil ahead fetches nothing ahead.
func FetchAhead(ctx context.Context, d *Conn, ahead *Prefetcher, resource string, req connector.FetchRequest) (Result, error) {
	start := time.Now()
	provider := d.Opts.Provider
	var (
		res Result
		err error
	)
	op := "fetch/" + resource
	unsupported := func() (Result, error) {
		return res, protocol.CapabilityUnsupported(provider, protocol.FetchCapability(resource))
	}
	if d.Wire != nil {
		capability := protocol.FetchCapability(resource)
		if capability != "" && !d.Has(capability) {
			return unsupported()
		}
		res, err = fetchWire(ctx, d.Opts, ahead, d.Wire, resource, op, req)
		if res.started.IsZero() {
			res.started = start
		}
		res.Duration = time.Since(res.started)
		return res, err
	}
	switch resource {
	case protocol.ResourceAccounts:
		if d.Accounts == nil {
			return unsupported()
		}
		res, err = fetchPage(ctx, d.Opts, ahead, op, req, d.Accounts.FetchAccounts, wire.AccountToWire, AppendAccount, accountRecord)
	case protocol.ResourceExternalAccounts:
		if d.ExternalAccounts == nil {
			return unsupported()
		}
		res, err = fetchPage(ctx, d.Opts, ahead, op, req, d.ExternalAccounts.FetchExternalAccounts, wire.AccountToWire, AppendAccount, accountRecord)
	case protocol.ResourceBalances:
		if d.Balances == nil {
			return unsupported()
		}
		res, err = fetchPage(ctx, d.Opts, ahead, op, req, d.Balances.FetchBalances, wire.BalanceToWire, AppendBalance, balanceRecord)
	case protocol.ResourcePayments:
		if d.Payments == nil {
			return unsupported()
		}
		res, err = fetchPage(ctx, d.Opts, ahead, op, req, d.Payments.FetchPayments, wire.PaymentToWire, AppendPayment, paymentRecord)
	case protocol.ResourceOthers:
		if d.Others == nil {
			return unsupported()
		}
		res, err = fetchPage(ctx, d.Opts, ahead, op, req, d.Others.FetchOthers, wire.OtherToWire, AppendOther, otherRecord)
	case protocol.ResourceOrders:
		if d.Orders == nil {
			return unsupported()
		}
		res, err = fetchPage(ctx, d.Opts, ahead, op, req, d.Orders.FetchOrders, wire.OrderToWire, AppendOrder, orderRecord)
	case protocol.ResourceConversions:
		if d.Conversions == nil {
			return unsupported()
		}
		res, err = fetchPage(ctx, d.Opts, ahead, op, req, d.Conversions.FetchConversions, wire.ConversionToWire, AppendConversion, conversionRecord)
	default:
		return res, protocol.InvalidParams(protocol.FieldError{Field: "resource", Message: fmt.Sprintf("unknown resource %q", resource)})
	}
	if res.started.IsZero() {
		res.started = start
	}
	res.Duration = time.Since(res.started)
	return res, err
}

func fetchPage[T, W any](ctx context.Context, o Opts, pf *Prefetcher, op string, req connector.FetchRequest,
	fetch func(context.Context, connector.FetchRequest) (connector.Page[T], error), conv func(T) W, enc func([]byte, *W) ([]byte, error), rec func(*W) Record) (Result, error) {
	provider := o.Provider
	var (
		page    connector.Page[T]
		err     error
		started time.Time
	)
	if ahead := pf.take(op, req); ahead != nil {
		page, started, err = awaitPrefetch[T](ctx, ahead)
	} else {
		page, err = Call(ctx, o, op, func(ctx context.Context) (connector.Page[T], error) { return fetch(ctx, req) })
	}
	if err != nil {
		return Result{}, err
	}
	state := page.NewState
	if len(state) == 0 {
		state = json.RawMessage("null")
	} else if !json.Valid(state) {
		return Result{}, connectorError(provider, op, fmt.Errorf("returned a new state that is not valid JSON: %.200q", state))
	}
	if page.HasMore && pf.allowed() {
		next := req
		next.State = NormalizeState(state)
		startPrefetch(ctx, pf, o, op, next, fetch)
	}
	// Each item is encoded once: the page's array is the items' own bytes
	// joined, and the store keeps the same bytes per item.
	records := make([]Record, len(page.Items))
	items := make([]byte, 0, 64+400*len(page.Items))
	items = append(items, '[')
	for i := range page.Items {
		w := conv(page.Items[i])
		if i > 0 {
			items = append(items, ',')
		}
		start := len(items)
		var err error
		if items, err = enc(items, &w); err != nil {
			return Result{}, connectorError(provider, op, fmt.Errorf("item %d has invalid raw JSON: %w", i, err))
		}
		records[i] = rec(&w)
		records[i].JSON = items[start:len(items):len(items)]
	}
	items = append(items, ']')
	warnings, err := checkRecords(records)
	if err != nil {
		return Result{}, connectorError(provider, op, err)
	}
	if err := checkRemovals(op, page.PaymentsToDelete, page.PaymentsToCancel); err != nil {
		return Result{}, connectorError(provider, op, err)
	}
	return Result{Items: items, Count: len(page.Items), NewState: state, HasMore: page.HasMore, Records: records, Warnings: warnings,
		Delete: page.PaymentsToDelete, Cancel: page.PaymentsToCancel, started: started}, nil
}

// Opts say how the driver runs a connector's calls. They are the
// session's, set at open, and travel as a value, not in the context.
type Opts struct {
	Provider string
	// Logger gets contained panics and calls left running; nil is
	// slog.Default().
	Logger *slog.Logger
	// Timeout bounds each call; 0 is none.
	Timeout time.Duration
}

func (o Opts) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// checkRecords refuses items without a reference (they cannot be stored or
// told apart) and reports references repeated within the page.
func checkRecords(recs []Record) (warnings []string, err error) {
	seen := make(map[string]int, len(recs))
	for i, r := range recs {
		if r.Ref == "" || r.Ref == "/" {
			return nil, fmt.Errorf("item %d of the page has no reference", i)
		}
		if j, dup := seen[r.Ref]; dup {
			warnings = append(warnings, fmt.Sprintf("items %d and %d of the page have the same reference %q: the store keeps the last", j, i, r.Ref))
			continue
		}
		seen[r.Ref] = i
	}
	return warnings, nil
}

// Call runs one connector call with its panics contained: a panic becomes
// CodeConnectorPanicked (logged with its stack), an error becomes
// CodeConnectorError with the HTTP status of a *connector.Error, and a
// cancelled context stays a context error.
//
// The call runs on its own goroutine so that a connector that ignores its
// context cannot hold the request: on cancellation Call returns at once, and
// past the call timeout (Opts.Timeout) it returns a coded timeout error;
// the stuck goroutine is the connector's, and is logged.
func Call[T any](ctx context.Context, o Opts, op string, fn func(context.Context) (T, error)) (T, error) {
	provider, timeout := o.Provider, o.Timeout
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, errCallTimeout)
		defer cancel()
	}
	type result struct {
		out T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				o.logger().Error("connector panicked", "provider", provider, "operation", op, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				r.err = &protocol.Error{
					Code:    protocol.CodeConnectorPanicked,
					Message: fmt.Sprintf("connector %s panicked in %s: %v", provider, op, p),
					Data:    protocol.PanicData{Provider: provider, Operation: op},
				}
			}
			ch <- r
		}()
		r.out, r.err = fn(ctx)
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		// Give a connector that honours its context a moment to return its
		// own answer; one that does not is left behind.
		select {
		case r = <-ch:
		case <-time.After(50 * time.Millisecond):
			o.logger().Warn("connector call did not return after its context ended", "provider", provider, "operation", op)
			r.err = ctx.Err()
		}
	}
	if r.err == nil {
		return r.out, nil
	}
	var pe *protocol.Error
	if errors.As(r.err, &pe) {
		return r.out, r.err
	}
	if ni := notImplemented(provider, op, r.err); ni != nil {
		return r.out, ni
	}
	if ctx.Err() != nil {
		if context.Cause(ctx) == errCallTimeout {
			retry := true
			return r.out, &protocol.Error{
				Code:    protocol.CodeConnectorError,
				Message: fmt.Sprintf("connector %s did not answer %s within %s (the call timeout)", provider, op, timeout),
				Data:    protocol.ConnectorErrorData{Provider: provider, Operation: op, Message: "call timeout " + timeout.String(), Retryable: &retry},
			}
		}
		if errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded) || errors.Is(r.err, ctx.Err()) {
			return r.out, fmt.Errorf("%s: %w", op, ctx.Err())
		}
	}
	return r.out, connectorError(provider, op, r.err)
}

var errCallTimeout = errors.New("connector call timeout")

func connectorError(provider, op string, err error) *protocol.Error {
	data := protocol.ConnectorErrorData{Provider: provider, Operation: op, Message: err.Error()}
	var ce *connector.Error
	if errors.As(err, &ce) {
		data.HTTPStatus = ce.HTTPStatus
		r := ce.Retryable
		data.Retryable = &r
	}
	return &protocol.Error{
		Code:    protocol.CodeConnectorError,
		Message: fmt.Sprintf("connector %s failed in %s: %v", provider, op, err),
		Data:    data,
	}
}
