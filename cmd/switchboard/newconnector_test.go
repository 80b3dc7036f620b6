package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/internal/scaffold"
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

// A connector fresh from "new connector" passes "check" against the bank
// "switchboard demobank" serves by default (finding 2: it failed the
// termination check at page size 1), and fetch, sync and check load it
// with --connector (finding 6). A broken one fails with the compiler's
// errors.
func TestNewConnectorPassesCheckWithConnectorFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a connector module")
	}
	dir := filepath.Join(t.TempDir(), "acme")
	mustRun(t, "new", "connector", "acme", "--dir", dir)

	stdout, _, _ := start(t, "demobank", "--listen", "127.0.0.1:0") // the default bank
	waitFor(t, "the bank's URL", func() bool { return strings.HasSuffix(stdout.String(), "\n") })
	cfg, _ := json.Marshal(map[string]string{"apiKey": demobank.DefaultAPIKey, "baseUrl": strings.TrimSpace(stdout.String())})

	out, errOut, err := run(t, "check", "acme", "--connector", dir, "--config", string(cfg))
	if err != nil || !strings.Contains(out, "acme: conformance check passed") || !strings.Contains(out, "PASS  payments") {
		t.Fatalf("check of the new connector: %v\n%s\nstderr:\n%s", err, out, errOut)
	}
	out, _ = mustRun(t, "fetch", "acme", "accounts", "--connector", dir, "--config", string(cfg), "--json")
	if n := len(lines(out)); n != 5 {
		t.Errorf("fetch --connector: %d accounts, want the default bank's 5", n)
	}
	out, _ = mustRun(t, "sync", "acme", "--connector", dir, "--config", string(cfg))
	if !strings.Contains(out, "6 task runs (0 failed)") || !strings.Contains(out, "1,255 items") {
		t.Errorf("sync --connector (accounts, then the payments of each of 5):\n%s", out)
	}

	broken := filepath.Join(t.TempDir(), "broken")
	mustRun(t, "new", "connector", "broken", "--dir", broken)
	src := filepath.Join(broken, "connector.go")
	b, _ := os.ReadFile(src)
	os.WriteFile(src, []byte(strings.Replace(string(b), "return out, nil", "return out, yes", 1)), 0o644)
	_, _, err = run(t, "fetch", "broken", "accounts", "--connector", broken)
	if err == nil || !strings.Contains(err.Error(), "build failed") || !strings.Contains(err.Error(), "connector.go:") || !strings.Contains(err.Error(), "undefined: yes") {
		t.Errorf("fetch --connector of a broken connector: %v", err)
	}
	if _, _, err := run(t, "fetch", "acme", "accounts", "--connector", dir, "--connect"); err == nil || !strings.Contains(err.Error(), "serve --connector") {
		t.Errorf("--connector with --connect: %v", err)
	}
}

// A daemon restarted with --connector restores the connector's sessions
// without first calling their provider unknown (finding 7).
func TestRestartWithConnectorRestoresQuietly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a connector module")
	}
	dir := filepath.Join(t.TempDir(), "acme")
	mustRun(t, "new", "connector", "acme", "--dir", dir)
	state := t.TempDir()
	serve, _, _ := spawnServe(t, state, "--connector", dir)
	id, _ := mustRun(t, "session", "create", "acme", "--config", `{"apiKey":"k","baseUrl":"http://127.0.0.1:1"}`, "--state-dir", state)
	id = strings.TrimSpace(id)
	if err := serve.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve after SIGINT: %v", err)
	}
	_, _, stderr := spawnServe(t, state, "--connector", dir)
	out, _ := mustRun(t, "session", "list", "--state-dir", state)
	if !strings.Contains(out, id) {
		t.Errorf("session %s not restored:\n%s", id, out)
	}
	if s := stderr.String(); strings.Contains(s, "not restored") || !strings.Contains(s, "sessions restored") || !strings.Contains(s, "sessions=1") {
		t.Errorf("restart log:\n%s", s)
	}
}

// A binary copied out of the checkout it was built in still points a new
// module at that checkout (finding 12: it wrote a go.mod that could not
// resolve), through the source path compiled into it.
func TestNewConnectorFromABinaryOutsideTheCheckout(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	copied := filepath.Join(elsewhere, "switchboard")
	raw, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copied, "new", "connector", "acme", "--dir", "acme", "--no-tidy")
	cmd.Dir = elsewhere
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	checkout := scaffold.FindCheckout(".")
	mod, _ := os.ReadFile(filepath.Join(elsewhere, "acme", "go.mod"))
	if !strings.Contains(string(mod), "replace github.com/switchboardpay/switchboard => "+checkout) {
		t.Errorf("go.mod of a scaffold by a copied binary:\n%s\noutput:\n%s", mod, out)
	}
}
