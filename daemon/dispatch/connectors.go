package dispatch

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

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

// SetConnectorRoot confines connectors/add over websocket to directories
// under root (serve --connector-root); "" refuses it there. Over stdio the
// peer is the process that spawned the daemon, and any directory goes.
func (s *Server) SetConnectorRoot(root string) { s.connectorRoot = root }

func (h handlers) ConnectorsAdd(ctx context.Context, c *conn, p protocol.ConnectorsAddParams) (protocol.WorkspaceConnector, error) {
	if p.Dir == "" {
		return protocol.WorkspaceConnector{}, protocol.InvalidParams(protocol.FieldError{Field: "dir", Message: "is required"})
	}
	if c.stream.Networked() {
		if err := underRoot(h.s.connectorRoot, p.Dir); err != nil {
			return protocol.WorkspaceConnector{}, err
		}
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

// underRoot checks that dir, symlinks resolved, is root or below it. A
// connector directory is built and run as the daemon's user, so over the
// network only the directories the user chose at start may be added.
func underRoot(root, dir string) error {
	if root == "" {
		return protocol.PathRefused(dir, protocol.PathNoConnectorRoot,
			"connectors/add over websocket needs the daemon started with --connector-root DIR (a connector is built and run as the daemon's user); add it with serve --connector, or over stdio")
	}
	outside := protocol.PathRefused(dir, protocol.PathOutsideRoot,
		fmt.Sprintf("connectors/add over websocket accepts only directories under --connector-root %s (a connector is built and run as the daemon's user); %s is not", root, dir))
	r, err := realPath(root)
	if err != nil {
		return outside
	}
	d, err := realPath(dir)
	if err != nil {
		return outside
	}
	rel, err := filepath.Rel(r, d)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return outside
	}
	return nil
}

func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}
