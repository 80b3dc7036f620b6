package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/demobank"
)

// A conformance check recorded against a demo bank passes again offline,
// the bank stopped, from the cassette alone.
func TestCheckReplayOffline(t *testing.T) {
	bank := demobank.New(demobank.Config{Seed: 5, Accounts: 2, PaymentsPerAccount: 12, ExternalAccounts: 2})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "check.yaml")
	cfg := `{"endpoint":"` + url + `","apiKey":"` + bank.APIKey() + `"}`
	out, _ := mustRun(t, "check", "demo", "--config", cfg, "--record", path)
	if !strings.Contains(out, "conformance check passed") {
		t.Fatalf("live check:\n%s", out)
	}
	bank.Close()
	out, _ = mustRun(t, "check", "--replay", path)
	if !strings.Contains(out, "demo: conformance check passed") || !strings.Contains(out, "PASS  payments: 24 items") {
		t.Fatalf("replayed check:\n%s", out)
	}
	// A page size the recorded check never used: the check fails and
	// names what is missing.
	out, _, err = run(t, "check", "--replay", path, "--page-sizes", "13", "--skip-review")
	if err == nil || !strings.Contains(out, "is not in cassette") || !strings.Contains(out, "limit=13") {
		t.Fatalf("check with a page size never recorded: err %v\n%s", err, out)
	}
}

// testgen writes a test into a scaffolded connector that passes as
// generated and fails after a one-line change of its mapping.
func TestTestgenPassesThenFailsAfterMappingChange(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a connector module")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := filepath.Join(t.TempDir(), "acme")
	mustRun(t, "new", "connector", "acme", "--dir", dir)
	// The author records a cassette with connectortest.Record in a test
	// of their own, against a loopback demo bank.
	rec := `package main

import (
	"os"
	"testing"

	"github.com/switchboardpay/switchboard/connector/connectortest"
)

func TestRecordCassette(t *testing.T) {
	if os.Getenv("BANK_URL") == "" {
		t.Skip("BANK_URL not set")
	}
	connectortest.Record(t, Provider, map[string]string{"apiKey": os.Getenv("BANK_KEY"), "baseUrl": os.Getenv("BANK_URL")}, os.Getenv("CASSETTE"), 10)
}
`
	if err := os.WriteFile(filepath.Join(dir, "record_cassette_test.go"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	goRun := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := goRun(nil, "mod", "tidy"); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	const key = "sk_acme_TESTGENsecret"
	bank := demobank.New(demobank.Config{Seed: 9, Accounts: 2, PaymentsPerAccount: 25, APIKey: key})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cassettePath := filepath.Join(t.TempDir(), "acme-bank.yaml")
	out, err := goRun([]string{"BANK_URL=" + url, "BANK_KEY=" + key, "CASSETTE=" + cassettePath}, "test", "-count=1", "-run", "^TestRecordCassette$", ".")
	bank.Close()
	if err != nil {
		t.Fatalf("recording: %v\n%s", err, out)
	}
	if raw, _ := os.ReadFile(cassettePath); strings.Contains(string(raw), key) || len(raw) == 0 {
		t.Fatalf("cassette of %d bytes, key inside: %v", len(raw), strings.Contains(string(raw), key))
	}

	out, _ = mustRun(t, "testgen", "--from", cassettePath, "--dir", dir)
	for _, f := range []string{"replay_acme_bank_test.go", "testdata/recordings/acme_bank.yaml", "testdata/recordings/acme_bank.golden.json"} {
		if !strings.Contains(out, "wrote "+f) {
			t.Errorf("testgen did not write %s:\n%s", f, out)
		}
	}
	if out, err := goRun(nil, "test", "-count=1", "-run", "^TestReplayAcmeBank$", "."); err != nil {
		t.Fatalf("the generated test fails as generated: %v\n%s", err, out)
	}
	// One line of the mapping changes.
	src, err := os.ReadFile(filepath.Join(dir, "connector.go"))
	if err != nil {
		t.Fatal(err)
	}
	const line = "Reference: a.ID, CreatedAt: a.CreatedAt, Name: a.Name,"
	if !strings.Contains(string(src), line) {
		t.Fatalf("the scaffold's account mapping is no longer %q", line)
	}
	changed := strings.Replace(string(src), line, "Reference: a.ID, CreatedAt: a.CreatedAt, Name: strings.ToUpper(a.Name),", 1)
	if err := os.WriteFile(filepath.Join(dir, "connector.go"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = goRun(nil, "test", "-count=1", "-run", "^TestReplayAcmeBank$", ".")
	if err == nil || !strings.Contains(out, "fetch/accounts page 1 differs") || !strings.Contains(out, `"name":`) {
		t.Fatalf("after the mapping change the generated test: err %v\n%s", err, out)
	}
	// -update accepts the change.
	if out, err := goRun(nil, "test", "-count=1", "-run", "^TestReplayAcmeBank$", ".", "-update"); err != nil {
		t.Fatalf("go test -update: %v\n%s", err, out)
	}
	if out, err := goRun(nil, "test", "-count=1", "-run", "^TestReplayAcmeBank$", "."); err != nil {
		t.Fatalf("after -update: %v\n%s", err, out)
	}
}

// record, replay and diff through the CLI: the replay runs with the bank
// stopped, and a diff against the same bank finds nothing.
func TestRecordReplayDiffCommands(t *testing.T) {
	bank := demobank.New(demobank.Config{Seed: 6, Accounts: 2, PaymentsPerAccount: 15, ExternalAccounts: 1})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "demo.yaml")
	cfg := `{"endpoint":"` + url + `","apiKey":"` + bank.APIKey() + `"}`
	out, _ := mustRun(t, "record", "demo", "--config", cfg, "--to", path, "--page-size", "10")
	if !strings.Contains(out, "recorded into "+path) || !strings.Contains(out, "0 failed") {
		t.Fatalf("record:\n%s", out)
	}
	out, _ = mustRun(t, "diff", "--from", path, "--config", cfg)
	if !strings.Contains(out, "0 schema drifts, 0 data drifts") {
		t.Fatalf("diff against the same bank:\n%s", out)
	}
	bank.Close()
	out, _ = mustRun(t, "replay", path)
	// 2 accounts, 2 balances, 30 payments, a beneficiary, 8 orders and 4
	// conversions, offline.
	if last := lastLine(out); !strings.Contains(last, "(0 failed): 10 pages, 47 items") {
		t.Fatalf("replay with the bank stopped:\n%s", out)
	}
	// Another page size: the tasks fail, naming the missing requests.
	out, _, _ = run(t, "replay", path, "--page-size", "4")
	if !strings.Contains(out, "is not in cassette") {
		t.Fatalf("replay with a page size never recorded:\n%s", out)
	}
}

func lastLine(s string) string {
	ls := lines(s)
	return ls[len(ls)-1]
}

// bench --replay records a sync, replays it and checks both fetched the
// same number of items (the ratio is measured, never asserted).
func TestBenchReplay(t *testing.T) {
	out, _ := mustRun(t, "bench", "--replay", "--payments", "600", "--accounts", "3", "--page-size", "50", "--json")
	var res replayBenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Payments != 600 || res.Items < 600 || res.LiveMs <= 0 || res.ReplayMs <= 0 || res.CassetteBytes == 0 || len(res.RoundRatios) != 1 {
		t.Errorf("bench --replay: %+v", res)
	}
}
