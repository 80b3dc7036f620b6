package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/protocol"
)

func init() { registerBrokenProviders() }

func TestCheckDemoPasses(t *testing.T) {
	out, _ := mustRun(t, "check", "demo", "--config", `{"seed":1,"accounts":3,"paymentsPerAccount":40}`)
	for _, want := range []string{"PASS  accounts: 3 items", "PASS  payments: 120 items; page sizes 1,2,3,7,100", "demo: conformance check passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestCheckReportsFindings(t *testing.T) {
	args := []string{"check", "broken-timestamp-cursor", "--resources", "payments", "--page-sizes", "2,100", "--config", `{"accounts":1,"payments":8}`}
	out, errOut, err := run(t, append(args, "--verbose")...)
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("err = %v, want errCheckFailed\n%s", err, out)
	}
	want := `FAIL  payments: 8 items; page sizes 2,100; 7 runs, 10 pages; parents acc_0
      FAIL timestamp-groups of acc_0: page size 2: 4 of 8 references are missing: [acc_0_pay_002 acc_0_pay_003 acc_0_pay_006 acc_0_pay_007]; with page size 100, acc_0_pay_002 follows acc_0_pay_001, but with page size 2 fetching from state {"after":"2026-01-01T00:00:00Z"} (the state after acc_0_pay_001's page) returned [acc_0_pay_004 acc_0_pay_005]; acc_0_pay_001 and acc_0_pay_002 share their timestamp with 4 items in all, more than the page size 2, and the state names that timestamp: a cursor of "after this timestamp" skips the rest of an equal-timestamp group at a page boundary (page by timestamp and id, or keep an offset within the group)
`
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "broken-timestamp-cursor: conformance check FAILED (1 of 1 resources)") {
		t.Errorf("report:\n%s\nwant it to start with:\n%s", out, want)
	}
	if !strings.Contains(errOut, "payments of acc_0  size 2  first run 2  page 1: 2 items, hasMore true") {
		t.Errorf("--verbose pages:\n%s", errOut)
	}

	out, _, err = run(t, append(args, "--json")...)
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("--json: err = %v", err)
	}
	var res protocol.ConnectorCheckResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if res.Passed || len(res.Resources) != 1 || len(res.Resources[0].Findings) != 1 || res.Resources[0].Findings[0].Check != protocol.CheckTimestampGroups {
		t.Errorf("--json result %+v", res)
	}

	if _, _, err := run(t, "check", "demo", "--resources", "nope"); err == nil || !strings.Contains(err.Error(), "unknown resource") {
		t.Errorf("bad resource: %v", err)
	}
}
