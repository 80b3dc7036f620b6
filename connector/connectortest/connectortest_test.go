package connectortest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/conformance"
	"github.com/switchboardpay/switchboard/connector/connectortest"
	_ "github.com/switchboardpay/switchboard/connectors/demo"
	"github.com/switchboardpay/switchboard/internal/brokenconnector"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var demoConfig = map[string]any{"seed": 1, "accounts": 3, "paymentsPerAccount": 40}

func demoProvider(t *testing.T) *connector.Provider {
	t.Helper()
	p, ok := connector.Default().Lookup("demo")
	if !ok {
		t.Fatal("demo provider not registered")
	}
	return p
}

// TestDemoConformance: the demo connector against its in-process demo bank
// passes the conformance check.
func TestDemoConformance(t *testing.T) {
	p := demoProvider(t)
	c := connectortest.Open(t, p, demoConfig)
	rep := connectortest.Conformance(t, c, conformance.Options{DefaultPageSize: p.Info.DefaultPageSize})
	type summary struct {
		Resource string
		Items    int
		Parents  int
		Passed   bool
	}
	var got []summary
	for _, rr := range rep.Resources {
		got = append(got, summary{rr.Resource, rr.Items, len(rr.Parents), rr.Passed})
	}
	want := []summary{
		{"accounts", 3, 0, true},
		{"balances", 3, 3, true},
		{"externalAccounts", 3, 0, true},
		{"payments", 120, 3, true},
		{"orders", 12, 0, true},
		{"conversions", 6, 0, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if !rep.Passed {
		t.Errorf("demo failed:\n%s", rep)
	}
}

// TestDemoSmoke calls every capability of the demo connector, the
// initiations with samples built from its own accounts.
func TestDemoSmoke(t *testing.T) {
	c := connectortest.Open(t, demoProvider(t), map[string]any{"seed": 6, "accounts": 6, "paymentsPerAccount": 5})
	ctx := context.Background()
	accs, err := c.(connector.AccountsFetcher).FetchAccounts(ctx, connector.FetchRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	bens, err := c.(connector.ExternalAccountsFetcher).FetchExternalAccounts(ctx, connector.FetchRequest{PageSize: 100})
	if err != nil || len(bens.Items) == 0 {
		t.Fatalf("beneficiaries: %v %v", bens, err)
	}
	src := accs.Items[0]
	opts := []connectortest.SmokeOption{connectortest.WithPayout(connector.Initiation{
		Reference: "po-smoke", Amount: big.NewInt(100), Asset: src.DefaultAsset,
		SourceAccountReference: src.Reference, DestinationAccountReference: bens.Items[0].Reference,
	})}
	for _, a := range accs.Items {
		for _, b := range accs.Items {
			if a.Reference < b.Reference && a.DefaultAsset == b.DefaultAsset {
				opts = append(opts, connectortest.WithTransfer(connector.Initiation{
					Reference: "tr-smoke", Amount: big.NewInt(100), Asset: a.DefaultAsset,
					SourceAccountReference: a.Reference, DestinationAccountReference: b.Reference,
				}))
				goto found
			}
		}
	}
	t.Log("no two accounts share a currency: transfer not smoked")
found:
	connectortest.Smoke(t, c, opts...)
}

// recorder is a testing.TB that keeps what would fail the test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Log(...any)          {}
func (r *recorder) Errorf(f string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(f, a...))
}
func (r *recorder) Fatalf(f string, a ...any) {
	r.Errorf(f, a...)
	runtime.Goexit()
}

// record runs fn with a recorder and returns what it reported.
func record(t *testing.T, fn func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.errs
}

// badTree installs a task of an unknown resource and one it cannot fetch.
type badTree struct{}

func (badTree) Install(ctx context.Context) ([]connector.Task, error) {
	return []connector.Task{{Resource: "payments", Next: []connector.Task{{Resource: "refunds"}}}, {Resource: "balances"}}, nil
}

func (badTree) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	return connector.Page[connector.Payment]{Items: []connector.Payment{{Reference: "p1"}, {}}}, nil
}

func TestFailuresReachTheTest(t *testing.T) {
	tests := []struct {
		name string
		run  func(tb testing.TB)
		want []string // a substring of each reported failure, in order
	}{
		{"conformance findings", func(tb testing.TB) {
			connectortest.Conformance(tb, brokenconnector.New(brokenconnector.IgnoresPageSize, brokenconnector.Config{Accounts: 1}),
				conformance.Options{Resources: []string{"payments"}, PageSizes: []int{2, 100}})
		}, []string{"FAIL payments of acc_0 [page-size]: page size 2: page 1, fetched from state null, returned 10 items"}},
		{"conformance passes", func(tb testing.TB) {
			connectortest.Conformance(tb, brokenconnector.New(brokenconnector.None, brokenconnector.Config{}), conformance.Options{})
		}, nil},
		{"bad options", func(tb testing.TB) {
			connectortest.Conformance(tb, badTree{}, conformance.Options{Resources: []string{"accounts"}})
		}, []string{"conformance check: conformance: accounts: resource not supported"}},
		{"smoke of a bad connector", func(tb testing.TB) {
			connectortest.Smoke(tb, badTree{}, connectortest.WithTransfer(connector.Initiation{}))
		}, []string{
			`task payments/refunds: unknown resource "refunds"`,
			"task balances: the connector does not implement fetch:balances",
			"no reference", // from the engine or from Smoke
			"a transfer sample was given but the connector does not implement create:transfer",
		}},
		{"smoke passes", func(tb testing.TB) {
			connectortest.Smoke(tb, brokenconnector.New(brokenconnector.None, brokenconnector.Config{}))
		}, nil},
		{"open refuses a bad config", func(tb testing.TB) {
			connectortest.Open(tb, brokenconnector.Provider(brokenconnector.None), `{"accounts":"many"}`)
			tb.Errorf("not reached")
		}, []string{"connectortest: open correct:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := record(t, tt.run)
			if len(got) != len(tt.want) {
				t.Fatalf("reported %d failures, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("failure %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestOpenConfigForms(t *testing.T) {
	p := brokenconnector.Provider(brokenconnector.None)
	for _, cfg := range []any{nil, `{"accounts":4}`, []byte(`{"accounts":4}`), json.RawMessage(`{"accounts":4}`), brokenconnector.Config{Accounts: 4}} {
		c := connectortest.Open(t, p, cfg)
		page, err := c.(connector.AccountsFetcher).FetchAccounts(context.Background(), connector.FetchRequest{PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := 4
		if cfg == nil {
			want = 2
		}
		if len(page.Items) != want {
			t.Errorf("config %v: %d accounts, want %d", cfg, len(page.Items), want)
		}
	}
}
