package connectortest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connectortest"
	_ "github.com/switchboardpay/switchboard/connectors/demo"
	"github.com/switchboardpay/switchboard/demobank"
)

// A cassette recorded from a demo bank replays with the bank stopped:
// the golden file written on the first replay matches the second, and a
// golden file edited by hand (as a mapping change would) fails the test.
func TestRecordThenReplayGolden(t *testing.T) {
	demo, _ := connector.Default().Lookup("demo")
	const key = "sk_demo_goldenKEY123"
	bank := demobank.New(demobank.Config{Seed: 4, Accounts: 2, PaymentsPerAccount: 23, ExternalAccounts: 1, APIKey: key})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bank.yaml")
	connectortest.Record(t, demo, map[string]string{"endpoint": url, "apiKey": key}, path, 10, "accounts", "payments")
	bank.Close()
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), key) {
		t.Fatal("the key is in the cassette")
	}
	golden := filepath.Join(dir, "bank.golden.json")
	calls := connectortest.ReplayGolden(t, demo, nil, path, golden, true)
	if len(calls) != 1+5 { // one page of accounts, 46 payments in pages of 10
		t.Fatalf("%d calls replayed", len(calls))
	}
	connectortest.ReplayGolden(t, demo, nil, path, golden, false)

	b, _ := os.ReadFile(golden)
	edited := strings.Replace(string(b), `"status": "SUCCEEDED"`, `"status": "FAILED"`, 1)
	if edited == string(b) {
		t.Fatal("no status to edit in the golden file")
	}
	os.WriteFile(golden, []byte(edited), 0o644)
	ft := &fakeT{TB: t}
	connectortest.ReplayGolden(ft, demo, nil, path, golden, false)
	if len(ft.errors) == 0 || !strings.Contains(ft.errors[0], `"FAILED"`) {
		t.Errorf("an edited golden file gave %q", ft.errors)
	}
}

// fakeT records errors instead of failing.
type fakeT struct {
	testing.TB
	errors []string
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
