package main

import (
	"strings"
	"testing"
)

// TestFetchWithFault: --fault sets the rule on the command's session; the
// faulted page fails the fetch with the connector's error after the pages
// before it, and the report says the rule fired.
func TestFetchWithFault(t *testing.T) {
	out, errOut, err := run(t, "fetch", "demo", "accounts", "--pages", "3", "--page-size", "1", "--json", "--fault", "429,page=2,retryAfter=4")
	if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "fault rule f1") {
		t.Fatalf("fetch with a 429 at page 2: %v", err)
	}
	if n := len(lines(out)); n != 1 {
		t.Errorf("%d items printed before the faulted page, want 1:\n%s", n, out)
	}
	if !strings.Contains(errOut, "fault f1 (status): fired 1 of 2 matching requests") {
		t.Errorf("no fault report in stderr:\n%s", errOut)
	}
	if _, _, err := run(t, "fetch", "demo", "accounts", "--fault", "explode"); err == nil || !strings.Contains(err.Error(), "unknown fault kind") {
		t.Errorf("a bad --fault: %v", err)
	}
	_, errOut = mustRun(t, "sync", "demo", "--fault", "reorder,operation=fetch/accounts")
	if !strings.Contains(errOut, "fault f1 (reorder): fired 1 of 1 matching requests") {
		t.Errorf("sync with a reorder fault: %s", errOut)
	}
}

// TestCheckRunsTheReviewRules: check on the demo connector runs the review
// rules on its payments and passes them; --skip-review leaves them out.
func TestCheckRunsTheReviewRules(t *testing.T) {
	args := []string{"check", "demo", "--resources", "payments", "--page-sizes", "50", "--max-parents", "1", "--config", `{"accounts":2,"paymentsPerAccount":30}`}
	out, _ := mustRun(t, args...)
	if !strings.Contains(out, "review rules incremental, failed-page, auth-not-retryable, rate-limit, unknown-status, amount-exact ran on payments of acc_") ||
		!strings.Contains(out, "demo: conformance check passed") {
		t.Errorf("check output:\n%s", out)
	}
	out, _ = mustRun(t, append(args, "--skip-review")...)
	if strings.Contains(out, "review rules") {
		t.Errorf("--skip-review still reviewed:\n%s", out)
	}
}
