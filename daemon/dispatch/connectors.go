package dispatch

import (
	"context"

	"github.com/switchboardpay/switchboard/protocol"
)

// Connectors is the daemon's workspace of connector directories
// (daemon/workspace), behind connectors/add and connectors/list.
type Connectors interface {
	Add(ctx context.Context, dir string) (protocol.WorkspaceConnector, error)
	List() []protocol.WorkspaceConnector
}

// SetConnectors serves connectors/add and connectors/list with w. Call it
// before serving any connection.
func (s *Server) SetConnectors(w Connectors) { s.connectors = w }

func (s *Server) connectorsAdd(ctx context.Context, c *conn, p protocol.ConnectorsAddParams) (any, error) {
	if p.Dir == "" {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "dir", Message: "is required"})
	}
	if s.connectors == nil {
		return nil, &protocol.Error{Code: protocol.CodeInternalError, Message: "this daemon has no connector workspace"}
	}
	return s.connectors.Add(ctx, p.Dir)
}

func (s *Server) connectorsList(ctx context.Context, c *conn, p protocol.ConnectorsListParams) (any, error) {
	res := protocol.ConnectorsListResult{Connectors: []protocol.WorkspaceConnector{}}
	if s.connectors != nil {
		res.Connectors = append(res.Connectors, s.connectors.List()...)
	}
	return res, nil
}
