package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboardpay/switchboard/connector/conformance"
	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/daemon/review"
	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/protocol"
)

// connectorCheck answers connector/check: the conformance check of
// connector/conformance on the session's connector, called directly so that
// the session's cached states stay as they are. Every page is told to the
// requesting connection in a check/page notification, and to its progress
// token.
func (h handlers) ConnectorCheck(ctx context.Context, c *conn, p protocol.ConnectorCheckParams) (protocol.ConnectorCheckResult, error) {
	var none protocol.ConnectorCheckResult
	ss, err := c.session(p.SessionID)
	if err != nil {
		return none, err
	}
	for _, n := range p.PageSizes {
		if n <= 0 {
			return none, protocol.InvalidParams(protocol.FieldError{Field: "pageSizes", Message: "every page size must be positive"})
		}
	}
	if p.MaxPages < 0 || p.MaxParents < 0 {
		return none, protocol.InvalidParams(protocol.FieldError{Field: "maxPages", Message: "maxPages and maxParents must not be negative"})
	}
	for _, r := range p.Resources {
		capability := protocol.FetchCapability(strings.SplitN(r, "#", 2)[0])
		if capability == "" {
			return none, protocol.InvalidParams(protocol.FieldError{Field: "resources", Message: fmt.Sprintf("unknown resource %q: want one of %s", r, strings.Join(protocol.Resources, ", "))})
		}
		if !ss.Driver().Has(capability) {
			return none, protocol.CapabilityUnsupported(ss.Provider(), capability)
		}
	}
	prog, ctx := c.startProgress(ctx, p.WorkDoneToken, "Checking "+ss.Info().Name)
	pages, items := 0, 0
	rep, err := conformance.Check(ctx, ss.Connector(), conformance.Options{
		Provider: ss.Provider(), Logger: ss.Driver().Opts.Logger, CallTimeout: ss.Driver().Opts.Timeout, Resources: p.Resources, PageSizes: p.PageSizes, DefaultPageSize: ss.PageSize(),
		MaxPages: p.MaxPages, MaxParents: p.MaxParents,
		OnPage: func(e conformance.PageEvent) {
			pages++
			items += e.ItemCount
			// A full queue drops a notification, never the check.
			c.sub.Send(bus.EncodeNotification(protocol.NotifyCheckPage, protocol.CheckPageParams{
				SessionID: ss.ID(), Resource: e.Resource, Parent: e.Parent, PageSize: e.PageSize,
				Run: e.Run, Kind: e.Kind, Page: e.Page, ItemCount: e.ItemCount, State: e.State, HasMore: e.HasMore,
			}))
			prog.report(fmt.Sprintf("%s, page size %d, %s run %d: page %d; %s pages, %s items in all", e.Resource, e.PageSize, e.Kind, e.Run, e.Page, count(pages), count(items)))
		},
	})
	if err != nil {
		err = prog.end("check failed", err)
		c.flush()
		return none, err
	}
	res := checkResult(rep)
	if !p.SkipReview {
		if err := addReview(ctx, ss, p.Resources, &res); err != nil {
			err = prog.end("check failed", err)
			c.flush()
			return none, err
		}
	}
	verdict := "passed"
	if !res.Passed {
		verdict = "failed"
	}
	prog.end(fmt.Sprintf("%s pages, %s items; %s", count(pages), count(items), verdict), nil)
	c.flush()
	return res, nil
}

// checkResult converts a report to its wire form.
func checkResult(rep conformance.Report) protocol.ConnectorCheckResult {
	out := protocol.ConnectorCheckResult{Resources: []protocol.CheckResource{}, Passed: rep.Passed,
		DurationMs: float64(rep.Duration.Microseconds()) / 1000}
	for _, rr := range rep.Resources {
		w := protocol.CheckResource{Resource: rr.Resource, PageSizes: rr.PageSizes, Parents: rr.Parents,
			Runs: rr.Runs, Pages: rr.Pages, Items: rr.Items, Passed: rr.Passed, Findings: []protocol.CheckFinding{}}
		for _, f := range rr.Findings {
			w.Findings = append(w.Findings, protocol.CheckFinding{Resource: f.Resource, Check: f.Check, PageSize: f.PageSize,
				Parent: f.Parent, State: f.State, References: f.References, Message: f.Message, Warning: f.Warning})
		}
		out.Resources = append(out.Resources, w)
	}
	return out
}

// addReview runs the review rules on the session (on payments, or the one
// resource asked for) and adds their findings to res.
func addReview(ctx context.Context, ss *session.Session, resources []string, res *protocol.ConnectorCheckResult) error {
	resource := ""
	if len(resources) > 0 {
		resource = strings.SplitN(resources[0], "#", 2)[0]
		if len(resources) > 1 && slices.Contains(resources, protocol.ResourcePayments) {
			resource = protocol.ResourcePayments
		}
	}
	r, err := review.Run(ctx, review.Target{Provider: ss.Provider(), Conn: ss.Driver(), Faults: ss.Faults()}, resource)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The conformance findings stand; the review says why it is missing.
		r.Skipped = "not run: " + err.Error()
	}
	rules := r.Rules
	if rules == nil {
		rules = []string{}
	}
	res.Review = &protocol.CheckReview{Resource: r.Resource, Parent: r.Parent, Rules: rules, Skipped: r.Skipped}
	if len(r.Findings) == 0 {
		return nil
	}
	res.Passed = false
	for i := range res.Resources {
		if res.Resources[i].Resource == r.Resource {
			res.Resources[i].Findings = append(res.Resources[i].Findings, r.Findings...)
			res.Resources[i].Passed = false
			return nil
		}
	}
	res.Resources = append(res.Resources, protocol.CheckResource{Resource: r.Resource, PageSizes: []int{1}, Findings: r.Findings})
	return nil
}
