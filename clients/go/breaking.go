package client

import (
	"context"

	"github.com/switchboardpay/switchboard/protocol"
)

// FaultsSet adds fault rules to a session's HTTP transport (or replaces
// them with params.Replace) and returns every rule.
func (c *Client) FaultsSet(ctx context.Context, params protocol.FaultsSetParams) (protocol.FaultsListResult, error) {
	var res protocol.FaultsListResult
	err := c.Call(ctx, protocol.MethodFaultsSet, params, &res)
	return res, err
}

// FaultsList returns a session's fault rules and how often each fired.
func (c *Client) FaultsList(ctx context.Context, sessionID string) (protocol.FaultsListResult, error) {
	var res protocol.FaultsListResult
	err := c.Call(ctx, protocol.MethodFaultsList, protocol.SessionParams{SessionID: sessionID}, &res)
	return res, err
}

// FaultsClear removes a session's fault rules.
func (c *Client) FaultsClear(ctx context.Context, sessionID string) error {
	return c.Call(ctx, protocol.MethodFaultsClear, protocol.SessionParams{SessionID: sessionID}, nil)
}

// StepNext fetches one page of a walk paused in step mode and pauses it
// again (step/paused tells where).
func (c *Client) StepNext(ctx context.Context, sessionID, stepID string) error {
	return c.Call(ctx, protocol.MethodStepNext, protocol.StepParams{SessionID: sessionID, StepID: stepID}, nil)
}

// StepContinue runs a paused walk on to its next breakpoint or its end.
func (c *Client) StepContinue(ctx context.Context, sessionID, stepID string) error {
	return c.Call(ctx, protocol.MethodStepContinue, protocol.StepParams{SessionID: sessionID, StepID: stepID}, nil)
}

// StepAbort ends a paused walk; its request answers CodeRequestCancelled.
func (c *Client) StepAbort(ctx context.Context, sessionID, stepID string) error {
	return c.Call(ctx, protocol.MethodStepAbort, protocol.StepParams{SessionID: sessionID, StepID: stepID}, nil)
}
