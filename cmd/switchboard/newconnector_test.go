package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// The author's first minutes, through the real binary: "new connector"
// writes a module, "stdio --connector" (what the VS Code extension spawns)
// builds and loads it before the first message, and its first page comes
// back from a demo bank.
func TestNewConnectorServedOverStdio(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a connector module")
	}
	dir := filepath.Join(t.TempDir(), "acme")
	out, _ := mustRun(t, "new", "connector", "acme", "--dir", dir)
	if !strings.Contains(out, "wrote ") {
		t.Fatalf("new connector printed:\n%s", out)
	}
	for _, f := range []string{"go.mod", "main.go", "connector.go", "connector_test.go", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("new connector did not write %s: %v", f, err)
		}
	}

	bank := demobank.New(demobank.Config{Seed: 3, Accounts: 2, PaymentsPerAccount: 30})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	c, err := client.Spawn(ctx, exe, []string{"--connector", dir, "--store", "memory"}, client.WithStderr(&stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Initialize(ctx, protocol.InitializeParams{ClientInfo: &protocol.ClientInfo{Name: "test"}}); err != nil {
		t.Fatalf("initialize: %v\nstderr:\n%s", err, stderr.String())
	}
	if err := c.Initialized(ctx); err != nil {
		t.Fatal(err)
	}
	providers, err := c.Providers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, p := range providers.Providers {
		names = append(names, p.Name)
	}
	if !slices.Contains(names, "acme") {
		t.Fatalf("providers %v lack the workspace connector acme\nstderr:\n%s", names, stderr.String())
	}
	cfg, _ := json.Marshal(map[string]string{"apiKey": bank.APIKey(), "baseUrl": url})
	sess, err := c.CreateSession(ctx, protocol.SessionCreateParams{Provider: "acme", Name: "first", Config: cfg})
	if err != nil {
		t.Fatalf("session/create: %v\nstderr:\n%s", err, stderr.String())
	}
	page, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: sess.ID, Resource: protocol.ResourceAccounts})
	if err != nil {
		t.Fatalf("fetch/next: %v\nstderr:\n%s", err, stderr.String())
	}
	if page.ItemCount != 2 {
		t.Errorf("first page of accounts has %d items, want the bank's 2", page.ItemCount)
	}
}
