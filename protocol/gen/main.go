// Command gen generates, from the Go package protocol, the TypeScript
// protocol types, the protocol reference, the daemon's dispatch, the Go
// client's methods and the web console's method module. It runs from
// protocol/generate.go:
//
//	go generate ./protocol/
//
// The methods come from the package's method table (protocol.Table, in
// protocol/table.go); the types, constants and docs from its Go files,
// parsed with go/parser. It fails when a Method* or Notify* constant is not
// in the table, when a field has a type it cannot map to JSON, or when the
// table names a type that does not exist.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/switchboardpay/switchboard/protocol"
)

func main() {
	dir := flag.String("dir", ".", "directory of the protocol package")
	root := flag.String("root", "..", "root of the repository, where the outputs go")
	flag.Parse()
	if err := run(*dir, *root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Generate returns every generated file, by path from the repository root.
func Generate(dir string) (map[string][]byte, error) {
	m, err := Load(dir, protocol.Table())
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"clients/typescript/src/protocol.ts": TS(m),
		"docs/protocol.md":                   Markdown(m),
		"daemon/dispatch/handlers_gen.go":    Dispatch(m),
		"clients/go/methods_gen.go":          ClientMethods(m),
		"clients/web/static/protocol.js":     JS(m),
	}, nil
}

func run(dir, root string) error {
	outs, err := Generate(dir)
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(outs))
	for p := range outs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, rel := range paths {
		path := filepath.Join(root, rel)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, outs[rel]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, outs[rel], 0o644); err != nil {
			return err
		}
	}
	return nil
}
