// Command gen generates the TypeScript protocol types and the protocol
// reference from the Go package protocol. It runs from protocol/generate.go:
//
//	go generate ./protocol/
//
// It parses the package's Go files (go/parser, no type checker needed: the
// package imports only encoding/json and time) and fails when a Method* or
// Notify* constant lacks its "// Params -> Result" comment (see Load), when
// a field has a type it cannot map to JSON, or when a comment names a type
// that does not exist.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", ".", "directory of the protocol package")
	ts := flag.String("ts", "", "TypeScript output file")
	md := flag.String("md", "", "Markdown output file")
	flag.Parse()
	if err := run(*dir, *ts, *md); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Generate returns the TypeScript module and the Markdown reference.
func Generate(dir string) (ts, md []byte, err error) {
	m, err := Load(dir)
	if err != nil {
		return nil, nil, err
	}
	return TS(m), Markdown(m), nil
}

func run(dir, tsPath, mdPath string) error {
	ts, md, err := Generate(dir)
	if err != nil {
		return err
	}
	for _, out := range []struct {
		path string
		data []byte
	}{{tsPath, ts}, {mdPath, md}} {
		if out.path == "" {
			continue
		}
		if old, err := os.ReadFile(out.path); err == nil && bytes.Equal(old, out.data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(out.path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out.path, out.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
