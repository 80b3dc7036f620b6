// Package review runs the payments review rules that need a connector
// broken on purpose: it injects faults into a session's HTTP transport
// (daemon/faults) around single pages fetched through the engine, and
// reports each rule a connector breaks as a check finding with the state to
// reproduce it from.
package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/daemon/faults"
	"github.com/switchboardpay/switchboard/protocol"
)

// Target is the session under review.
type Target struct {
	Provider string
	Conn     *driver.Conn
	// Faults is the session's injector: the connector's HTTP client goes
	// through it.
	Faults *faults.Injector
}

// Result is what a review found.
type Result struct {
	Resource string
	// Parent is the reference of the parent the resource was fetched for.
	Parent   string
	Findings []protocol.CheckFinding
	// Rules are the rules that ran.
	Rules []string
	// Skipped says why the fault rules did not run, if so.
	Skipped string
}

// Run reviews resource (payments when "" and supported, else the first
// root resource the connector fetches).
func Run(ctx context.Context, t Target, resource string) (Result, error) {
	if resource == "" {
		resource = protocol.ResourcePayments
		if !t.Conn.Has(protocol.CapFetchPayments) {
			resource = protocol.ResourceAccounts
		}
	}
	res := Result{Resource: resource}
	if !t.Conn.Has(protocol.FetchCapability(resource)) {
		res.Skipped = fmt.Sprintf("the connector does not fetch %s", resource)
		return res, nil
	}
	from, parent, err := parentOf(ctx, t, resource)
	if err != nil {
		return res, err
	}
	if from == nil && parent != "" {
		res.Skipped = fmt.Sprintf("the parent of %s has no item to fetch it for", resource)
		return res, nil
	}
	res.Parent = parent
	req := connector.FetchRequest{FromPayload: from, PageSize: 1}
	first, err := driver.Fetch(ctx, t.Conn, resource, req)
	if err != nil {
		return res, fmt.Errorf("review: the first page of %s: %w", resource, err)
	}
	if !first.HasMore {
		res.Skipped = fmt.Sprintf("%s has a single page of one item: the rules need a second page to break", resource)
		return res, nil
	}
	req.State = first.NewState
	finding := func(check, msg string) {
		res.Findings = append(res.Findings, protocol.CheckFinding{
			Resource: resource, Check: check, PageSize: 1, Parent: parent, State: first.NewState, References: []string{},
			Message: fmt.Sprintf("fetching %s from state %s with page size 1: %s", resource, clip(first.NewState), msg),
		})
	}
	if resource == protocol.ResourcePayments {
		ran, err := t.incremental(ctx, from, func(check string, state json.RawMessage, msg string) {
			res.Findings = append(res.Findings, protocol.CheckFinding{Resource: resource, Check: check, PageSize: walkPageSize, Parent: parent, State: state, References: []string{}, Message: fmt.Sprintf("page size %d: %s", walkPageSize, msg)})
		})
		if err != nil {
			return res, err
		}
		if ran {
			res.Rules = append(res.Rules, protocol.CheckIncremental)
		}
	}
	fired := false
	for _, rule := range []protocol.FaultRule{
		{Kind: protocol.FaultStatus, Status: 503},
		{Kind: protocol.FaultReset},
		{Kind: protocol.FaultTruncate},
	} {
		page, err, ok := t.under(ctx, rule, resource, req)
		if !ok {
			continue
		}
		fired = true
		if err == nil {
			finding(protocol.CheckFailedPage, fmt.Sprintf("the request answered with an injected %s, and the connector returned a page (%d items, hasMore %v, state %s) instead of an error: a sync stores that state and never fetches the items of the page that failed",
				describe(rule), page.Count, page.HasMore, clip(page.NewState)))
			break
		}
	}
	if !fired {
		res.Skipped = "the connector made no HTTP request through the session's client: faults cannot reach it"
		return res, nil
	}
	if _, err, ok := t.under(ctx, protocol.FaultRule{Kind: protocol.FaultStatus, Status: 401}, resource, req); ok {
		data, coded := connectorData(err)
		switch {
		case err == nil:
			finding(protocol.CheckAuthNotRetryable, "the request answered 401 (injected) and the connector returned a page instead of an error")
		case !coded || data.HTTPStatus != 401 || data.Retryable == nil || *data.Retryable:
			finding(protocol.CheckAuthNotRetryable, fmt.Sprintf("the request answered 401 (injected) and the connector's error says httpStatus %d, retryable %s: a 401 is not retryable (the credentials are wrong; retrying only hammers the PSP)", data.HTTPStatus, retryText(data.Retryable)))
		}
	}
	const retryAfter = 1
	start := time.Now()
	if _, err, ok := t.under(ctx, protocol.FaultRule{Kind: protocol.FaultStatus, Status: 429, RetryAfter: retryAfter}, resource, req); ok {
		took := time.Since(start)
		data, coded := connectorData(err)
		switch {
		case err == nil && took < retryAfter*time.Second:
			finding(protocol.CheckRateLimit, fmt.Sprintf("the request answered 429 with Retry-After: %d (injected) and the connector retried after %s, before the Retry-After", retryAfter, took.Round(time.Millisecond)))
		case err != nil && (!coded || data.HTTPStatus != 429 || data.Retryable == nil || !*data.Retryable):
			finding(protocol.CheckRateLimit, fmt.Sprintf("the request answered 429 with Retry-After: %d (injected) and the connector's error says httpStatus %d, retryable %s: a 429 is retryable, after its Retry-After", retryAfter, data.HTTPStatus, retryText(data.Retryable)))
		}
	}
	res.Rules = append(res.Rules, protocol.CheckFailedPage, protocol.CheckAuthNotRetryable, protocol.CheckRateLimit)
	if resource == protocol.ResourcePayments {
		t.payments(ctx, req, finding)
		res.Rules = append(res.Rules, protocol.CheckUnknownStatus, protocol.CheckAmountExact)
	}
	return res, nil
}

// unknownStatus and hugeAmount are what the payments rules write into a
// page: a status no PSP uses, and ten times the largest int64 plus change.
const (
	unknownStatus = "switchboard_unknown_status"
	hugeAmount    = "92233720368547758079"
)

// payments runs the rules that rewrite fields of a page of payments.
func (t Target) payments(ctx context.Context, req connector.FetchRequest, finding func(check, msg string)) {
	rule := protocol.FaultRule{Kind: protocol.FaultRewrite, Field: "status", Value: json.RawMessage(`"` + unknownStatus + `"`)}
	if page, err, ok := t.under(ctx, rule, protocol.ResourcePayments, req); ok && err == nil {
		for _, p := range wirePayments(page) {
			if slices.Contains(engine.KnownStatuses, p.Status) {
				finding(protocol.CheckUnknownStatus, fmt.Sprintf("the page's status fields were rewritten to %q (injected) and the connector mapped payment %s to the known status %s: an unknown status is OTHER (or an error), or a payment that is on hold shows as %s", unknownStatus, p.Reference, p.Status, p.Status))
				break
			}
		}
	}
	// The amount is tried as a JSON number and as a string: a PSP sends
	// one of them, and the other fails to decode, which is fine.
	for _, v := range []string{hugeAmount, `"` + hugeAmount + `"`} {
		rule := protocol.FaultRule{Kind: protocol.FaultRewrite, Field: "amount", Value: json.RawMessage(v)}
		page, err, ok := t.under(ctx, rule, protocol.ResourcePayments, req)
		if !ok || err != nil {
			continue
		}
		for _, p := range wirePayments(page) {
			if p.Amount != hugeAmount && p.Amount != "-"+hugeAmount {
				finding(protocol.CheckAmountExact, fmt.Sprintf("the page's amount fields were rewritten to %s (injected, beyond int64) and the connector returned payment %s with amount %s: amounts are kept exactly (big integers), or refused with an error", v, p.Reference, p.Amount))
				return
			}
		}
	}
}

func wirePayments(page driver.Result) []protocol.Payment {
	var ps []protocol.Payment
	_ = json.Unmarshal(page.Items, &ps)
	return ps
}

// under fetches one page with rule applied to the first request only; ok is
// false when the rule never fired.
func (t Target) under(ctx context.Context, rule protocol.FaultRule, resource string, req connector.FetchRequest) (driver.Result, error, bool) {
	rule.ID, rule.Times = fmt.Sprintf("review-%s-%d", rule.Kind, rule.Status), 1
	if _, err := t.Faults.Set([]protocol.FaultRule{rule}, false); err != nil {
		return driver.Result{}, err, false
	}
	defer t.Faults.Remove(rule.ID)
	page, err := driver.Fetch(ctx, t.Conn, resource, req)
	for _, st := range t.Faults.List() {
		if st.Rule.ID == rule.ID {
			return page, err, st.Fired > 0
		}
	}
	return page, err, false
}

// parentOf returns the first parent item of a child resource (nil and ""
// for a root resource).
func parentOf(ctx context.Context, t Target, resource string) (json.RawMessage, string, error) {
	if t.Conn.Installer == nil {
		return nil, "", nil
	}
	tasks, err := t.Conn.Installer.Install(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("review: install: %w", err)
	}
	parent, ok := connector.ParentResource(tasks, resource)
	if !ok {
		return nil, "", nil
	}
	page, err := driver.Fetch(ctx, t.Conn, parent, connector.FetchRequest{PageSize: 1})
	if err != nil {
		return nil, "", fmt.Errorf("review: the first %s, parent of %s: %w", parent, resource, err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(page.Items, &items); err != nil || len(items) == 0 || len(page.Records) == 0 {
		return nil, "-", nil
	}
	return items[0], page.Records[0].Ref, nil
}

func connectorData(err error) (protocol.ConnectorErrorData, bool) {
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeConnectorError {
		return protocol.ConnectorErrorData{}, false
	}
	d, ok := pe.Data.(protocol.ConnectorErrorData)
	return d, ok
}

func describe(r protocol.FaultRule) string {
	if r.Kind == protocol.FaultStatus {
		return fmt.Sprintf("status %d", r.Status)
	}
	return map[string]string{protocol.FaultReset: "connection reset", protocol.FaultTruncate: "body cut in half"}[r.Kind]
}

func retryText(r *bool) string {
	if r == nil {
		return "unset"
	}
	return fmt.Sprint(*r)
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
