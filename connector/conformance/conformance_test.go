package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/conformance"
	"github.com/switchboardpay/switchboard/internal/brokenconnector"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// checks returns the sorted, distinct check names of the failing findings
// of resource, and of its warnings.
func checks(rep conformance.Report, resource string) (fails, warns []string) {
	for _, rr := range rep.Resources {
		if rr.Resource != resource {
			continue
		}
		for _, f := range rr.Findings {
			if f.Warning {
				warns = append(warns, f.Check)
			} else {
				fails = append(fails, f.Check)
			}
		}
	}
	slices.Sort(fails)
	slices.Sort(warns)
	return slices.Compact(fails), slices.Compact(warns)
}

func TestBrokenConnectorsAreCaught(t *testing.T) {
	tests := []struct {
		bug  brokenconnector.Bug
		want []string // the failing checks of payments
	}{
		{brokenconnector.None, nil},
		{brokenconnector.TimestampCursor, []string{conformance.CheckTimestampGroups}},
		// With pages of 1 the offset never advances: a stall.
		{brokenconnector.OffByOneRepeat, []string{conformance.CheckNoDuplicates, conformance.CheckTermination}},
		{brokenconnector.OffByOneSkip, []string{conformance.CheckSameReferences}},
		{brokenconnector.DropsLast, []string{conformance.CheckSameReferences}},
		{brokenconnector.IgnoresPageSize, []string{conformance.CheckPageSize}},
		{brokenconnector.MemoryCursor, []string{conformance.CheckResume}},
		{brokenconnector.FinalStateLost, []string{conformance.CheckRerun}},
		{brokenconnector.TwoDecimalsEverywhere, []string{conformance.CheckAssetDecimals}},
	}
	for _, tt := range tests {
		t.Run(brokenconnector.Name(tt.bug), func(t *testing.T) {
			rep, err := conformance.Check(context.Background(), brokenconnector.New(tt.bug, brokenconnector.Config{}), conformance.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var resources []string
			for _, rr := range rep.Resources {
				resources = append(resources, rr.Resource)
			}
			if diff := cmp.Diff([]string{"accounts", "balances", "payments"}, resources); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
			for _, res := range []string{"accounts", "balances"} {
				if fails, _ := checks(rep, res); len(fails) > 0 {
					t.Errorf("%s: unexpected findings %v:\n%s", res, fails, rep)
				}
			}
			fails, warns := checks(rep, "payments")
			if diff := cmp.Diff(tt.want, fails); diff != "" {
				t.Errorf("failing checks of payments (-want +got):\n%s\n%s", diff, rep)
			}
			if len(warns) > 0 {
				t.Errorf("unexpected warnings %v", warns)
			}
			if rep.Passed != (tt.want == nil) {
				t.Errorf("passed = %v, want %v", rep.Passed, tt.want == nil)
			}
			// Every finding names the page size, the parent and a state.
			for _, f := range rep.Findings() {
				if f.PageSize == 0 || f.Parent == "" || len(f.State) == 0 || !json.Valid(f.State) || f.Message == "" {
					t.Errorf("incomplete finding %+v", f)
				}
				if !strings.HasPrefix(f.Message, "page size ") {
					t.Errorf("message does not start with its page size: %q", f.Message)
				}
			}
		})
	}
}

// TestFindingIsAReproduction pins the text of findings for the timestamp
// cursor: the state named reproduces the skip.
func TestFindingIsAReproduction(t *testing.T) {
	c := brokenconnector.New(brokenconnector.TimestampCursor, brokenconnector.Config{Accounts: 1, Payments: 8})
	rep, err := conformance.Check(context.Background(), c, conformance.Options{Resources: []string{"payments"}, PageSizes: []int{2, 100}})
	if err != nil {
		t.Fatal(err)
	}
	want := []conformance.Finding{{
		Resource: "payments", Check: conformance.CheckTimestampGroups, PageSize: 2, Parent: "acc_0",
		State:      json.RawMessage(`{"after":"2026-01-01T00:00:00Z"}`),
		References: []string{"acc_0_pay_002", "acc_0_pay_003", "acc_0_pay_006", "acc_0_pay_007"},
		Message: `page size 2: 4 of 8 references are missing: [acc_0_pay_002 acc_0_pay_003 acc_0_pay_006 acc_0_pay_007]; ` +
			`with page size 100, acc_0_pay_002 follows acc_0_pay_001, but with page size 2 fetching from state {"after":"2026-01-01T00:00:00Z"} ` +
			`(the state after acc_0_pay_001's page) returned [acc_0_pay_004 acc_0_pay_005]` +
			`; acc_0_pay_001 and acc_0_pay_002 share their timestamp with 4 items in all, more than the page size 2, and the state names that timestamp: a cursor of "after this timestamp" skips the rest of an equal-timestamp group at a page boundary (page by timestamp and id, or keep an offset within the group)`,
	}}
	if diff := cmp.Diff(want, rep.Findings()); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// The state reproduces it: fetching from it skips acc_0_pay_002.
	page, err := c.FetchPayments(context.Background(), connector.FetchRequest{State: want[0].State, PageSize: 2, FromPayload: json.RawMessage(`{"reference":"acc_0"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Items[0].Reference; got != "acc_0_pay_004" {
		t.Errorf("first item from the state: %s", got)
	}
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	c := brokenconnector.New(brokenconnector.None, brokenconnector.Config{Accounts: 3, Payments: 5})
	var events []conformance.PageEvent
	rep, err := conformance.Check(ctx, c, conformance.Options{
		Resources: []string{"balances"}, PageSizes: []int{1, 5}, MaxParents: 2,
		OnPage: func(e conformance.PageEvent) { events = append(events, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Resources) != 1 {
		t.Fatalf("resources %+v", rep.Resources)
	}
	rr := rep.Resources[0]
	rr.Findings = nil
	want := conformance.ResourceReport{Resource: "balances", PageSizes: []int{1, 5}, Parents: []string{"acc_0", "acc_1"},
		// accounts once, then per parent: 2 first runs and 1 resume
		// (balances are snapshots: no rerun).
		Runs: 1 + 2*3, Pages: 1 + 2*(2+1+1), Items: 4, Passed: true}
	if diff := cmp.Diff(want, rr); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if len(events) != want.Pages {
		t.Errorf("%d page events, want %d", len(events), want.Pages)
	}
	if e := events[0]; e.Kind != conformance.KindParents || e.Run != 1 || e.PageSize != conformance.DefaultPageSize {
		t.Errorf("first event %+v", e)
	}
	if e := events[1]; e.Kind != conformance.KindFirst || e.Parent != "acc_0" || e.PageSize != 1 || e.Page != 1 || e.ItemCount != 1 || string(e.State) != `{"offset":1}` || !e.HasMore {
		t.Errorf("second event %+v", e)
	}

	// Explicit parents replace the task tree.
	rep, err = conformance.Check(ctx, c, conformance.Options{Resources: []string{"payments"}, PageSizes: []int{3},
		FromPayloads: map[string][]json.RawMessage{"payments": {json.RawMessage(`{"reference":"acc_2"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Resources[0].Parents; !cmp.Equal(got, []string{"acc_2"}) || !rep.Passed {
		t.Errorf("parents %v, passed %v", got, rep.Passed)
	}

	if _, err := conformance.Check(ctx, c, conformance.Options{Resources: []string{"externalAccounts"}}); !errors.Is(err, conformance.ErrUnsupported) {
		t.Errorf("unsupported resource: %v", err)
	}
	if _, err := conformance.Check(ctx, c, conformance.Options{Resources: []string{"nope"}}); err == nil {
		t.Error("unknown resource: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := conformance.Check(cctx, c, conformance.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// snapshot returns the same two payments on every call, with no state.
type snapshot struct{}

func (snapshot) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	return connector.Page[connector.Payment]{Items: []connector.Payment{{Reference: "p1"}, {Reference: "p2"}}}, nil
}

type panicking struct{}

func (panicking) FetchOthers(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Other], error) {
	if len(req.State) > 0 {
		panic("boom")
	}
	return connector.Page[connector.Other]{Items: []connector.Other{{ID: "o1"}}, NewState: json.RawMessage(`{"n":1}`), HasMore: true}, nil
}

func TestRerunUpdatesAndErrors(t *testing.T) {
	ctx := context.Background()
	rep, err := conformance.Check(ctx, snapshot{}, conformance.Options{PageSizes: []int{2}, Snapshots: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	fails, warns := checks(rep, "payments")
	// The rerun returns both again, unchanged: a failure.
	if diff := cmp.Diff([]string{conformance.CheckRerun}, fails); diff != "" || warns != nil {
		t.Errorf("fails (-want +got):\n%s\nwarns %v", diff, warns)
	}
	// Updated content between the runs is a warning only.
	u2 := &flipping{}
	rep, err = conformance.Check(ctx, u2, conformance.Options{PageSizes: []int{2}, Snapshots: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	fails, warns = checks(rep, "payments")
	if fails != nil || !cmp.Equal(warns, []string{conformance.CheckRerun}) || !rep.Passed {
		t.Errorf("fails %v warns %v passed %v\n%s", fails, warns, rep.Passed, rep)
	}

	rep, err = conformance.Check(ctx, panicking{}, conformance.Options{PageSizes: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	fs := rep.Findings()
	if len(fs) != 1 || fs[0].Check != conformance.CheckFetch || string(fs[0].State) != `{"n":1}` || !strings.Contains(fs[0].Message, "panicked") {
		t.Errorf("findings %+v", fs)
	}
}

// flipping returns its payments with a new status on every call after the
// first, with a state that is kept.
type flipping struct{ calls int }

func (f *flipping) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	f.calls++
	st := connector.PaymentStatus("S" + string(rune('0'+f.calls%10)))
	return connector.Page[connector.Payment]{Items: []connector.Payment{{Reference: "p1", Status: st}}, NewState: json.RawMessage(`{"v":1}`)}, nil
}
