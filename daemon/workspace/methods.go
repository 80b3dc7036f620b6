package workspace

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/switchboardpay/switchboard/protocol"
)

// capabilityMethods maps the method names of connector's capability
// interfaces to the capability they serve, and the resource of a fetch.
var capabilityMethods = map[string]struct{ capability, resource string }{
	"FetchAccounts":         {protocol.CapFetchAccounts, "accounts"},
	"FetchBalances":         {protocol.CapFetchBalances, "balances"},
	"FetchExternalAccounts": {protocol.CapFetchExternalAccounts, "externalAccounts"},
	"FetchPayments":         {protocol.CapFetchPayments, "payments"},
	"FetchOthers":           {protocol.CapFetchOthers, "others"},
	"CreateBankAccount":     {protocol.CapCreateBankAccount, ""},
	"CreateTransfer":        {protocol.CapCreateTransfer, ""},
	"PollTransfer":          {protocol.CapPollTransfer, ""},
	"ReverseTransfer":       {protocol.CapReverseTransfer, ""},
	"CreatePayout":          {protocol.CapCreatePayout, ""},
	"PollPayout":            {protocol.CapPollPayout, ""},
	"ReversePayout":         {protocol.CapReversePayout, ""},
}

// SourceMethods parses the Go files of dir (not its subdirectories, not
// its _test.go files) and returns the capability methods declared on any
// type, in file then line order. A file that does not parse is reported
// in errors with the parser's positions; what it declared before the error
// is still listed, so the lenses stay while the author types.
func SourceMethods(dir string) (methods []protocol.SourceMethod, errs []protocol.Diagnostic, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	methods, errs = []protocol.SourceMethod{}, []protocol.Diagnostic{}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		path := filepath.Join(dir, name)
		f, perr := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if perr != nil {
			errs = append(errs, ParseDiagnostics(dir, perr.Error())...)
		}
		if f == nil {
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			c, ok := capabilityMethods[fn.Name.Name]
			if !ok {
				continue
			}
			start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
			methods = append(methods, protocol.SourceMethod{
				Name:       fn.Name.Name,
				Receiver:   receiverName(fn.Recv.List[0].Type),
				Capability: c.capability,
				Resource:   c.resource,
				File:       path,
				Line:       start.Line,
				Column:     start.Column,
				EndLine:    end.Line,
			})
		}
	}
	sort.SliceStable(methods, func(i, j int) bool {
		if methods[i].File != methods[j].File {
			return methods[i].File < methods[j].File
		}
		return methods[i].Line < methods[j].Line
	})
	return methods, errs, nil
}

// receiverName is T for receivers T, *T, T[P] and *T[P].
func receiverName(x ast.Expr) string {
	for {
		switch t := x.(type) {
		case *ast.StarExpr:
			x = t.X
		case *ast.IndexExpr:
			x = t.X
		case *ast.IndexListExpr:
			x = t.X
		case *ast.ParenExpr:
			x = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}
