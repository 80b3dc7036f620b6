package workspace_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/daemon/workspace"
	"github.com/switchboardpay/switchboard/protocol"
)

// The scaffolded connector's methods, found where they are, over the real
// protocol; an unknown directory is a coded error.
func TestConnectorsMethods(t *testing.T) {
	dir := copyModule(t)
	d := newDaemon(t)
	c := serve(t, d)
	var added protocol.WorkspaceConnector
	c.must(t, protocol.MethodConnectorsAdd, protocol.ConnectorsAddParams{Dir: dir}, &added)

	var res protocol.ConnectorsMethodsResult
	c.must(t, protocol.MethodConnectorsMethods, protocol.ConnectorsMethodsParams{}, &res)
	path := filepath.Join(dir, "connector.go")
	want := []protocol.ConnectorMethods{{
		Dir:      added.Dir,
		Provider: "acme",
		Methods: []protocol.SourceMethod{
			{Name: "FetchAccounts", Receiver: "Connector", Capability: protocol.CapFetchAccounts, Resource: "accounts", File: path,
				Line: lineOf(t, path, "func (c *Connector) FetchAccounts("), Column: 1},
			{Name: "FetchPayments", Receiver: "Connector", Capability: protocol.CapFetchPayments, Resource: "payments", File: path,
				Line: lineOf(t, path, "func (c *Connector) FetchPayments("), Column: 1},
		},
		Errors: []protocol.Diagnostic{},
	}}
	if diff := cmp.Diff(want, res.Connectors, cmpopts.IgnoreFields(protocol.SourceMethod{}, "EndLine")); diff != "" {
		t.Fatalf("connectors/methods (-want +got):\n%s", diff)
	}
	for _, m := range res.Connectors[0].Methods {
		if m.EndLine <= m.Line {
			t.Errorf("%s ends at %d, before it starts at %d", m.Name, m.EndLine, m.Line)
		}
	}

	// Filtered by directory, as given.
	c.must(t, protocol.MethodConnectorsMethods, protocol.ConnectorsMethodsParams{Dir: dir}, &res)
	if len(res.Connectors) != 1 || len(res.Connectors[0].Methods) != 2 {
		t.Fatalf("filtered: %+v", res)
	}
	err := c.peer.Call(t.Context(), protocol.MethodConnectorsMethods, protocol.ConnectorsMethodsParams{Dir: t.TempDir()}, nil)
	var rpcErr *connrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != protocol.CodeInvalidParams {
		t.Fatalf("unknown dir: %v, want invalid params", err)
	}
}

// A file that does not parse is reported with its line, and the methods
// the parser recovered (the broken one too) are still found.
func TestSourceMethodsWithSyntaxError(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\ntype C struct{}\n\nfunc (c *C) FetchPayments() {}\n\nfunc (c C) CreateTransfer() {}\n\nfunc (c *C) helper() {}\n\nfunc (c *C) FetchAccounts( {\n"
	if err := os.WriteFile(filepath.Join(dir, "c.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c_test.go"), []byte("package x\nfunc (c *C) FetchBalances() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	methods, errs, err := workspace.SourceMethods(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range methods {
		got = append(got, m.Name+"@"+m.Receiver)
	}
	if diff := cmp.Diff([]string{"FetchPayments@C", "CreateTransfer@C", "FetchAccounts@C"}, got); diff != "" {
		t.Errorf("methods (-want +got):\n%s", diff)
	}
	if len(errs) == 0 || errs[0].File != "c.go" || errs[0].Line != 11 {
		t.Errorf("errors: %+v, want c.go:11", errs)
	}
	if _, _, err := workspace.SourceMethods(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory is no error")
	}
}

// A go that cannot run at all prints nothing; the failed build still says
// why, so the editor has something to show.
func TestBuildWithoutGoSaysWhy(t *testing.T) {
	w := workspace.New(workspace.Options{Registry: connector.NewRegistry(), GoCommand: filepath.Join(t.TempDir(), "no-go")})
	t.Cleanup(func() { w.Close() })
	wc, err := w.Add(t.Context(), copyModule(t))
	if err != nil {
		t.Fatal(err)
	}
	if wc.State != protocol.ConnectorStateFailed || wc.LastBuild == nil || wc.LastBuild.OK || !strings.Contains(wc.LastBuild.Output, "no-go") {
		t.Fatalf("build without go: %+v %+v", wc, wc.LastBuild)
	}
}
