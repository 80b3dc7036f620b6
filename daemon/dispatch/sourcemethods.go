package dispatch

import (
	"context"
	"path/filepath"

	"github.com/switchboardpay/switchboard/daemon/workspace"
	"github.com/switchboardpay/switchboard/protocol"
)

// ConnectorsMethods answers connectors/methods: the capability methods of
// each workspace connector's Go files, parsed afresh on every call (the
// editor asks when a file changes; a connector is a handful of files).
func (h handlers) ConnectorsMethods(ctx context.Context, c *conn, p protocol.ConnectorsMethodsParams) (protocol.ConnectorsMethodsResult, error) {
	res := protocol.ConnectorsMethodsResult{Connectors: []protocol.ConnectorMethods{}}
	if h.s.connectors == nil {
		return res, nil
	}
	want := ""
	if p.Dir != "" {
		abs, err := filepath.Abs(p.Dir)
		if err != nil {
			return res, protocol.InvalidParams(protocol.FieldError{Field: "dir", Message: err.Error()})
		}
		want = filepath.Clean(abs)
	}
	found := false
	for _, wc := range h.s.connectors.List() {
		if want != "" && filepath.Clean(wc.Dir) != want {
			continue
		}
		found = true
		methods, errs, err := workspace.SourceMethods(wc.Dir)
		if err != nil {
			return res, err
		}
		cm := protocol.ConnectorMethods{Dir: wc.Dir, Methods: methods, Errors: errs}
		if wc.Provider != nil {
			cm.Provider = wc.Provider.Name
		}
		res.Connectors = append(res.Connectors, cm)
	}
	if want != "" && !found {
		return res, protocol.InvalidParams(protocol.FieldError{Field: "dir", Message: want + " is not a workspace connector (add it with connectors/add)"})
	}
	return res, nil
}
