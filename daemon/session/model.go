package session

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"golang.org/x/time/rate"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/protocol"
)

// The parts of Formance's connector model beyond fetching: a capability
// whose method answers "not implemented", payments a page cancels,
// Uninstall at close, bootstrap-on-install tasks and the payout throttle.

// Capabilities returns the session's capabilities as they stand.
func (s *Session) Capabilities() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps
}

// noteNotImplemented drops from the session's capabilities the one err
// says answered "not implemented", and tells subscribers. caps is
// replaced, never changed in place: Info hands it out.
func (s *Session) noteNotImplemented(err error) {
	c, ok := driver.IsNotImplemented(err)
	if !ok {
		return
	}
	s.mu.Lock()
	i := slices.Index(s.caps, c)
	if i >= 0 {
		s.caps = slices.Delete(slices.Clone(s.caps), i, i+1)
	}
	s.mu.Unlock()
	if i >= 0 {
		s.warn(fmt.Sprintf("%s answered \"not implemented\": reported as absent from now on", c), "capability", c)
		s.notifier.SessionChanged(s.Info(), protocol.SessionChangedCapabilities)
	}
}

// applyCancels turns res.Cancel into records of the payments with status
// CANCELLED: the page's own item when it holds the reference, else the
// stored one. A reference the daemon never stored is skipped with a
// warning: there is nothing to cancel.
func (s *Session) applyCancels(ctx context.Context, res *driver.Result) error {
	if len(res.Cancel) == 0 {
		return nil
	}
	inPage := make(map[string]int, len(res.Records))
	for i, r := range res.Records {
		inPage[r.Ref] = i
	}
	for _, ref := range res.Cancel {
		if i, ok := inPage[ref]; ok {
			r, err := driver.CancelPayment(res.Records[i].JSON)
			if err != nil {
				return err
			}
			res.Records[i] = r
			continue
		}
		var stored json.RawMessage
		if s.store != nil {
			// The page before may still be queued: it is committed first.
			if err := s.waitPending(ctx); err != nil {
				return err
			}
			item, ok, err := s.store.Get(ctx, s.id, protocol.ResourcePayments, ref)
			if err != nil {
				return storeError(err)
			}
			if ok {
				stored = item
			}
		}
		if stored == nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("paymentsToCancel names %q, which is not stored: nothing to cancel", ref))
			continue
		}
		r, err := driver.CancelPayment(stored)
		if err != nil {
			return err
		}
		inPage[ref] = len(res.Records)
		res.Records = append(res.Records, r)
	}
	return nil
}

// uninstall calls the connector's Uninstall as its session closes. Its
// error is logged and returned; the session closes all the same.
func (s *Session) uninstall(ctx context.Context) error {
	u, ok := s.conn.(connector.Uninstaller)
	if !ok {
		return nil
	}
	_, err := callTracked(ctx, s, "uninstall", nil, func(ctx context.Context) (struct{}, error) { return struct{}{}, u.Uninstall(ctx) })
	return err
}

// bootstrap returns the resources to fetch to completion before the first
// sync of the session (connector.Bootstrapper), once.
func (s *Session) bootstrap() []string {
	b, ok := s.conn.(connector.Bootstrapper)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bootstrapped {
		return nil
	}
	s.bootstrapped = true
	return b.BootstrapOnInstall()
}

// runBootstrap fetches each bootstrap resource to completion; the runs are
// reported as tasks "bootstrap:<resource>".
func (s *Session) runBootstrap(ctx context.Context, lim engine.Limits, onPage engine.PageFunc) ([]protocol.TaskRun, error) {
	var runs []protocol.TaskRun
	for _, r := range s.bootstrap() {
		if protocol.FetchCapability(r) == "" {
			return runs, protocol.InvalidParams(protocol.FieldError{Field: "bootstrapOnInstall", Message: fmt.Sprintf("the connector names unknown resource %q", r)})
		}
		res, err := engine.Sync(ctx, s, []protocol.Task{{Resource: r, Next: []protocol.Task{}}}, 0, lim, onPage)
		for _, t := range res.Tasks {
			t.Path = "bootstrap:" + t.Path
			runs = append(runs, t)
		}
		if err != nil {
			return runs, err
		}
	}
	return runs, nil
}

// payoutLimiter returns the connector's payout throttle, or nil.
func payoutLimiter(c connector.Connector) *rate.Limiter {
	t, ok := c.(connector.PayoutThrottler)
	if !ok {
		return nil
	}
	pps := t.PayoutsPerSecond()
	if pps <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(pps), 1)
}

// throttle waits for the payout throttle's next slot (payout/create and
// transfer/create, as Formance's dedicated task queue does).
func (s *Session) throttle(ctx context.Context) error {
	if s.payouts == nil {
		return nil
	}
	if err := s.payouts.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the payout throttle: %w", ctx.Err())
	}
	return nil
}
