package main

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/demobank"
)

// listen prints a delivery from the demo bank's own client as it arrives,
// with each step's verdict; webhooks list shows it kept; webhooks replay
// runs it again, flagged as a duplicate of the first.
func TestListenAndWebhooksCommands(t *testing.T) {
	bank := demobank.New(demobank.Config{Accounts: 2, PaymentsPerAccount: 0, ExternalAccounts: 1, WebhookRetryBase: 20 * time.Millisecond, WebhookMaxAttempts: 2, WebhookEvents: []string{demobank.EventPaymentCreated}})
	bankURL, err := bank.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bank.Close() })
	dir := t.TempDir()
	sd := "--state-dir=" + dir
	spawnServe(t, dir)
	out, _ := mustRun(t, "session", "create", "demo", "--config", `{"endpoint":"`+bankURL+`","apiKey":"`+bank.APIKey()+`"}`, sd)
	id := strings.TrimSpace(out)
	out, _ = mustRun(t, "webhooks", "create", id[:8], sd)
	if !strings.HasPrefix(out, "payments http://127.0.0.1:") || !strings.Contains(out, "/webhooks/"+id+"/") {
		t.Fatalf("webhooks create printed %q", out)
	}
	listened, listenErr, stop := start(t, "listen", id[:8], sd)
	waitFor(t, "listen to subscribe", func() bool { return strings.Contains(listenErr.String(), "listening") })
	accounts := bank.AccountIDs()
	mustRun(t, "transfer", "--session", id, "--from", accounts[0], "--to", accounts[1], "--amount", "700", "--asset", "EUR/2", sd)
	waitFor(t, "listen to print the delivery", func() bool { return strings.Contains(listened.String(), "payments 200") })
	if err := stop(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	line := listened.String()
	if !strings.Contains(line, " w1 payments 200 trim=ok verify=ok translate=ok store=ok keys=evt_") || !strings.Contains(line, "payments=1") {
		t.Errorf("listen printed %q", line)
	}
	out, _ = mustRun(t, "webhooks", "list", id[:8], sd)
	if !strings.Contains(out, " w1 payments 200 trim=ok verify=ok") {
		t.Errorf("webhooks list printed %q", out)
	}
	out, _ = mustRun(t, "webhooks", "replay", id[:8], "w1", sd)
	if !strings.Contains(out, " w2 payments 200 ") || !strings.Contains(out, "duplicate-of="+id+"/w1") || !strings.Contains(out, "replay-of=w1") {
		t.Errorf("webhooks replay printed %q", out)
	}
	// trigger finds the daemon's one demo session; the bank's payout
	// reaches the ingress as the next delivery.
	out, _ = mustRun(t, "trigger", "demo", "payment.created", sd)
	if !strings.Contains(out, "triggered payment.created on session "+id+": the bank made payout po_") {
		t.Errorf("trigger printed %q", out)
	}
	waitFor(t, "the triggered delivery", func() bool {
		out, _ = mustRun(t, "webhooks", "list", id[:8], sd)
		return strings.Contains(out, " w3 payments 200 trim=ok verify=ok translate=ok store=ok")
	})
	if _, errOut, err := run(t, "trigger", "demo", "nope", sd); err == nil || !strings.Contains(errOut+err.Error(), "payout.settled") {
		t.Errorf("trigger of an unknown event: %v %s", err, errOut)
	}
	if _, errOut, err := run(t, "webhooks", "replay", id[:8], "w99", sd); err == nil || !strings.Contains(errOut+err.Error(), "w99") {
		t.Errorf("replaying an unknown delivery: %v %s", err, errOut)
	}
}
