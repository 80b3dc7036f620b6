package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed outputs, relative to this package.
const (
	committedTS = "../../clients/typescript/src/protocol.ts"
	committedMD = "../../docs/protocol.md"
)

// TestGeneratedFilesUpToDate regenerates into a temporary directory and
// compares with what is committed, so that `go test ./...` catches a
// protocol change that was not regenerated.
func TestGeneratedFilesUpToDate(t *testing.T) {
	tmp := t.TempDir()
	ts, md := filepath.Join(tmp, "protocol.ts"), filepath.Join(tmp, "protocol.md")
	if err := run("..", ts, md); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ fresh, committed string }{{ts, committedTS}, {md, committedMD}} {
		want, err := os.ReadFile(c.fresh)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(c.committed)
		if err != nil {
			t.Errorf("%s: %v: generated files are stale: run go generate ./protocol/", c.committed, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what protocol/gen makes (first difference at line %d): generated files are stale: run go generate ./protocol/",
				strings.TrimPrefix(c.committed, "../../"), firstDiffLine(got, want))
		}
	}
}

func firstDiffLine(a, b []byte) int {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// TestModel checks what the generator reads from the real package.
func TestModel(t *testing.T) {
	m, err := Load("..")
	if err != nil {
		t.Fatal(err)
	}
	find := func(wire string) *Method {
		for _, me := range m.Methods {
			if me.Wire == wire {
				return me
			}
		}
		t.Fatalf("method %s not found", wire)
		return nil
	}
	for _, c := range []struct {
		wire, params, result string
		notification         bool
		dir                  Direction
	}{
		{"initialize", "InitializeParams", "InitializeResult", false, ClientToServer},
		{"initialized", "{}", "", true, ClientToServer},
		{"shutdown", "none", "null", false, ClientToServer},
		{"$/cancelRequest", "CancelParams", "", true, ClientToServer},
		{"fetch/next", "FetchNextParams", "Page", false, ClientToServer},
		{"fetch/page", "FetchPageParams", "", true, ServerToClient},
		{"window/workDoneProgress/create", "WorkDoneProgressCreateParams", "null", false, ServerToClient},
	} {
		me := find(c.wire)
		if me.Params != c.params || me.Result != c.result || me.Notification != c.notification || me.Dir != c.dir {
			t.Errorf("%s: got params %q result %q notification %v dir %v", c.wire, me.Params, me.Result, me.Notification, me.Dir)
		}
	}
	if got := m.ErrorData["CodeSessionNotFound"]; got != "SessionNotFoundData" {
		t.Errorf("data of CodeSessionNotFound: %q", got)
	}
	sd := m.Type("SessionDetail")
	if sd == nil || len(sd.Embeds) != 1 || sd.Embeds[0] != "Session" {
		t.Errorf("SessionDetail should embed Session: %+v", sd)
	}
	ts := string(TS(m))
	for _, want := range []string{
		`"fetch/next": { params: FetchNextParams; result: Page };`,
		`"fetch/page": FetchPageParams;`,
		"export interface SessionDetail extends Session {",
		"  pageItems?: boolean;",
		"  metadata: Record<string, string>;",
		"  fields?: Record<string, unknown>;",
		"  createdAt: string;",
		"  items?: JsonValue;",
		"  states: StateEntry[];",
		"export const CodeSessionNotFound = -32001;",
		"[CodeSessionNotFound]: SessionNotFoundData;",
		"export interface ErrorObject {",
	} {
		if !strings.Contains(ts, want) {
			t.Errorf("TypeScript lacks %q", want)
		}
	}
}

// TestConventionEnforced: a method constant without its comment, or naming
// an unknown type, fails generation.
func TestConventionEnforced(t *testing.T) {
	for name, src := range map[string]string{
		"no comment":       "const MethodX = \"x\"\n",
		"no result":        "const MethodX = \"x\" // Empty\n",
		"unknown params":   "const MethodX = \"x\" // Nope -> Empty\n",
		"unknown result":   "const MethodX = \"x\" // Empty -> Nope\n",
		"notify result":    "const NotifyX = \"x\" // Empty -> Empty\n",
		"notification res": "const MethodX = \"x\" // notification: Empty -> Empty\n",
		"unknown field":    "type T struct { F Nope `json:\"f\"` }\n",
		"unsupported type": "type T struct { F chan int `json:\"f\"` }\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			body := "package protocol\n\n// Empty is empty.\ntype Empty struct{}\n\n" + src
			if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir); err == nil {
				t.Fatalf("Load accepted %q", src)
			} else {
				t.Log(err)
			}
		})
	}
	dir := t.TempDir()
	ok := "package protocol\n\ntype Empty struct{}\n\nconst (\n\tMethodX = \"x\" // Empty -> Empty\n\tMethodY = \"y\" // notification: none\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(ok), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
}
