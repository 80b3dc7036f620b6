package dispatch

import (
	"context"

	"github.com/switchboardpay/switchboard/protocol"
)

// FaultsSet answers faults/set: rules added to (or replacing) those of the
// session's HTTP transport.
func (h handlers) FaultsSet(ctx context.Context, c *conn, p protocol.FaultsSetParams) (protocol.FaultsListResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.FaultsListResult{}, err
	}
	rules, err := ss.Faults().Set(p.Rules, p.Replace)
	if err != nil {
		return protocol.FaultsListResult{}, err
	}
	return protocol.FaultsListResult{Rules: rules}, nil
}

// FaultsList answers faults/list.
func (h handlers) FaultsList(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.FaultsListResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.FaultsListResult{}, err
	}
	return protocol.FaultsListResult{Rules: ss.Faults().List()}, nil
}

// FaultsClear answers faults/clear.
func (h handlers) FaultsClear(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.Empty, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.Empty{}, err
	}
	ss.Faults().Clear()
	return protocol.Empty{}, nil
}
