package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/switchboardpay/switchboard/daemon/faults"
	"github.com/switchboardpay/switchboard/protocol"
)

// ruleFlags is --fault, repeatable: rules set on the command's session
// (faults/set) before it fetches.
type ruleFlags struct {
	specs []string
}

func (f *ruleFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.specs, "fault", nil, `break the connector's HTTP on purpose (repeatable): KIND or STATUS, then key=value pairs, e.g. "429,page=2,retryAfter=3", "503,every=3", "reset,probability=0.1,seed=7", "truncate,url=/transactions", "timeout,delayMs=200", "duplicate,page=2", "reorder", 'rewrite,field=status,value="on_hold"'; keys: status, retryAfter, delayMs, field, value, operation, url, page, every, probability, seed, times, id`)
}

// rules parses the flags before anything starts, so a typo fails fast.
func (f *ruleFlags) rules() ([]protocol.FaultRule, error) {
	out := make([]protocol.FaultRule, 0, len(f.specs))
	for _, s := range f.specs {
		r, err := faults.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("--fault: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// apply sets the rules on the session.
func (f *ruleFlags) apply(ctx context.Context, c *conn, sessionID string, rules []protocol.FaultRule) error {
	if len(rules) == 0 {
		return nil
	}
	if _, err := c.FaultsSet(ctx, protocol.FaultsSetParams{SessionID: sessionID, Rules: rules}); err != nil {
		return fmt.Errorf("faults/set: %w", err)
	}
	return nil
}

// report prints how each rule fared, on w.
func (f *ruleFlags) report(ctx context.Context, w io.Writer, c *conn, sessionID string) {
	if len(f.specs) == 0 {
		return
	}
	l, err := c.FaultsList(ctx, protocol.SessionParams{SessionID: sessionID})
	if err != nil {
		return
	}
	for _, r := range l.Rules {
		fmt.Fprintf(w, "fault %s (%s): fired %d of %d matching requests\n", r.Rule.ID, r.Rule.Kind, r.Fired, r.Matched)
	}
}
