package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/protocol"
)

// TestGeneratedFilesUpToDate regenerates and compares with what is
// committed, so that `go test ./...` catches a protocol change that was not
// regenerated, in every generated file.
func TestGeneratedFilesUpToDate(t *testing.T) {
	outs, err := Generate("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 5 {
		t.Errorf("%d generated files, want 5", len(outs))
	}
	for rel, want := range outs {
		got, err := os.ReadFile(filepath.Join("../..", rel))
		if err != nil {
			t.Errorf("%s: %v: generated files are stale: run go generate ./protocol/", rel, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what protocol/gen makes (first difference at line %d): generated files are stale: run go generate ./protocol/",
				rel, firstDiffLine(got, want))
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
	m, err := Load("..", protocol.Table())
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
		{"window/workDoneProgress/cancel", "WorkDoneProgressCancelParams", "", true, ClientToServer},
		{"connectors/add", "ConnectorsAddParams", "WorkspaceConnector", false, ClientToServer},
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

// TestTableEnforced: a method constant missing from the table, a table
// entry without its constant or naming an unknown type, and an unmappable
// field fail generation.
func TestTableEnforced(t *testing.T) {
	typ := func(name string) reflect.Type {
		switch name {
		case "Empty":
			return reflect.TypeFor[protocol.Empty]()
		case "Page":
			return reflect.TypeFor[protocol.Page]()
		}
		return reflect.TypeFor[protocol.None]()
	}
	x := protocol.Spec{Name: "x", Params: typ("Empty"), Result: typ("Empty")}
	for name, c := range map[string]struct {
		src   string
		specs []protocol.Spec
	}{
		"constant not in the table": {"const MethodX = \"x\"\nconst MethodY = \"y\"\n", []protocol.Spec{x}},
		"entry without constant":    {"", []protocol.Spec{x}},
		"unknown params":            {"const MethodX = \"x\"\n", []protocol.Spec{{Name: "x", Params: typ("Page"), Result: typ("Empty")}}},
		"unknown error code":        {"const MethodX = \"x\"\n", []protocol.Spec{{Name: "x", Params: typ("Empty"), Result: typ("Empty"), Errors: []int64{-1}}}},
		"unknown field":             {"type T struct { F Nope `json:\"f\"` }\n", nil},
		"unsupported type":          {"type T struct { F chan int `json:\"f\"` }\n", nil},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			body := "package protocol\n\n// Empty is empty.\ntype Empty struct{}\n\n" + c.src
			if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir, c.specs); err == nil {
				t.Fatalf("Load accepted %q with %v", c.src, c.specs)
			} else {
				t.Log(err)
			}
		})
	}
	dir := t.TempDir()
	ok := "package protocol\n\ntype Empty struct{}\n\nconst (\n\tMethodX = \"x\"\n\tMethodY = \"y\"\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(ok), 0o644); err != nil {
		t.Fatal(err)
	}
	y := protocol.Spec{Name: "y", Notification: true, Params: typ("None")}
	if _, err := Load(dir, []protocol.Spec{x, y}); err != nil {
		t.Fatal(err)
	}
}
