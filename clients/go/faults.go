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
