package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestExportImportSessions fills a store through a daemon, then reads it
// back with the commands, no daemon running.
func TestExportImportSessions(t *testing.T) {
	dir := t.TempDir()
	storeFile := filepath.Join(dir, "s.db")
	ctx := context.Background()
	d, err := daemon.Open(ctx, daemon.Options{StorePath: storeFile})
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Sessions().Create(ctx, protocol.SessionCreateParams{Provider: "demo", Config: json.RawMessage(`{"seed":2,"accounts":2,"paymentsPerAccount":60}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FetchAll(ctx, protocol.FetchAllParams{SessionID: s.ID(), Resource: "payments"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	sid := s.ID()
	d.Close()

	out, _ := mustRun(t, "sessions", "--store", storeFile)
	if !strings.Contains(out, sid) {
		t.Fatalf("sessions:\n%s", out)
	}
	file := filepath.Join(dir, "out.jsonl")
	out, _ = mustRun(t, "export", sid, "--out", file, "--resource", "payments", "--store", storeFile)
	if !strings.Contains(out, "exported 120 items") {
		t.Fatalf("export: %s", out)
	}
	b, _ := os.ReadFile(file)
	got := lines(string(b))
	if len(got) != 120 {
		t.Fatalf("%d lines", len(got))
	}
	var l protocol.ExportLine
	if err := json.Unmarshal([]byte(got[0]), &l); err != nil || l.Resource != "payments" {
		t.Errorf("first line %s", got[0])
	}
	out, _ = mustRun(t, "import", sid, file, "--store", storeFile)
	if !strings.Contains(out, "imported 120 items") {
		t.Fatalf("import: %s", out)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(got[0]+"\n{\"resource\":\"payments\",\"item\":{}}\n"), 0o600)
	if _, _, err := run(t, "import", sid, bad, "--store", storeFile); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad import: %v", err)
	}
}
