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

func (h handlers) ConnectorsAdd(ctx context.Context, c *conn, p protocol.ConnectorsAddParams) (protocol.WorkspaceConnector, error) {
	if p.Dir == "" {
		return protocol.WorkspaceConnector{}, protocol.InvalidParams(protocol.FieldError{Field: "dir", Message: "is required"})
	}
	if h.s.connectors == nil {
		return protocol.WorkspaceConnector{}, &protocol.Error{Code: protocol.CodeInternalError, Message: "this daemon has no connector workspace"}
	}
	return h.s.connectors.Add(ctx, p.Dir)
}

func (h handlers) ConnectorsList(ctx context.Context, c *conn, p protocol.ConnectorsListParams) (protocol.ConnectorsListResult, error) {
	res := protocol.ConnectorsListResult{Connectors: []protocol.WorkspaceConnector{}}
	if h.s.connectors != nil {
		res.Connectors = append(res.Connectors, h.s.connectors.List()...)
	}
	return res, nil
}
