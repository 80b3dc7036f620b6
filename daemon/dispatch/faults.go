package dispatch

import (
	"context"

	"github.com/switchboardpay/switchboard/protocol"
)

// faultMethods serves faults/set, faults/list and faults/clear.
func (s *Server) faultMethods() map[string]handlerFunc {
	return map[string]handlerFunc{
		protocol.MethodFaultsSet: handle(func(ctx context.Context, c *conn, p protocol.FaultsSetParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			rules, err := ss.Faults().Set(p.Rules, p.Replace)
			if err != nil {
				return nil, err
			}
			return protocol.FaultsListResult{Rules: rules}, nil
		}),
		protocol.MethodFaultsList: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return protocol.FaultsListResult{Rules: ss.Faults().List()}, nil
		}),
		protocol.MethodFaultsClear: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			ss.Faults().Clear()
			return protocol.Empty{}, nil
		}),
	}
}
