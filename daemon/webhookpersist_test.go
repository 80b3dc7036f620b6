package daemon_test

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// A CREATE_WEBHOOKS task in the task tree is run by sync/run, as
// Formance runs it on install: CreateWebhooks gets the session's ingress
// URL, and the config it returns routes deliveries.
func TestSyncRunsCreateWebhooksTask(t *testing.T) {
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(testconnector.FormanceProvider()), Logger: quietLogger()})
	p, _, _ := serveForWebhooks(t, d)
	var s protocol.Session
	p.ok("session/create", map[string]any{"provider": testconnector.FormanceName, "config": map[string]any{"webhooks": true}}, &s)
	var inst protocol.InstallResult
	p.ok("session/install", map[string]string{"sessionId": s.ID}, &inst)
	if len(inst.Tasks) == 0 || inst.Tasks[0].Resource != protocol.TaskCreateWebhooks {
		t.Fatalf("task tree %+v", inst.Tasks)
	}
	var res protocol.SyncRunResult
	p.ok("sync/run", map[string]string{"sessionId": s.ID}, &res)
	if len(res.Tasks) != 3 || res.Tasks[0].Resource != protocol.TaskCreateWebhooks || res.Tasks[0].Items != 1 || res.Tasks[0].Error != "" {
		t.Fatalf("sync tasks %+v", res.Tasks)
	}
	if res.Tasks[1].Resource != "payments" || res.Tasks[1].Items != 10 {
		t.Errorf("the fetch tasks after it did not run: %+v", res.Tasks[1:])
	}
	// It was one tracked call of CreateWebhooks, for this session.
	var calls protocol.CallsListResult
	p.ok("calls/list", map[string]any{"sessionId": s.ID, "operation": "webhook/create"}, &calls)
	if len(calls.Calls) != 1 || calls.Calls[0].Result != "1 configs" || !strings.Contains(string(calls.Calls[0].Params), s.ID) {
		t.Fatalf("webhook/create calls %+v", calls.Calls)
	}
}

// Deliveries, the session's ingress secret and its webhook configs survive
// a kill -9 of the real binary: webhook/list after the restart shows every
// delivery the ingress acknowledged, and the provider's next delivery to
// the URL it was given still reaches the session, numbered after them.
func TestWebhookHistorySurvivesKill(t *testing.T) {
	bank := demobank.New(demobank.Config{Accounts: 2, PaymentsPerAccount: 0, ExternalAccounts: 1, WebhookRetryBase: 20 * time.Millisecond, WebhookMaxAttempts: 2, WebhookEvents: []string{demobank.EventPaymentCreated}})
	bankURL, err := bank.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bank.Close() })
	dir := t.TempDir()
	storePath := filepath.Join(dir, "switchboard.db")
	// The bank keeps delivering to the URL it was given: the restarted
	// daemon must listen on the same port.
	addr := freeLoopbackAddr(t)
	srv := serve(t, dir, storePath, "--listen", addr)
	p := srv.dial(t)
	r := &webhookRig{p: p, bank: bank}
	p.ok("session/create", map[string]any{"provider": "demo", "config": map[string]any{"endpoint": bankURL, "apiKey": bank.APIKey()}}, &r.sess)
	var created protocol.WebhookCreateResult
	p.ok("webhook/create", map[string]string{"sessionId": r.sess.ID}, &created)
	var page protocol.Page
	p.ok("fetch/next", map[string]any{"sessionId": r.sess.ID, "resource": "accounts"}, &page)
	r.source = firstAccount(t, page)
	r.payout(t, "kept-1")
	r.payout(t, "kept-2")
	var before protocol.WebhookListResult
	waitFor(t, func() bool {
		p.ok("webhook/list", map[string]string{"sessionId": r.sess.ID}, &before)
		return len(before.Deliveries) == 2
	})
	// The bank saw both answered 200: both were acknowledged.
	waitFor(t, func() bool { return len(bank.Attempts()) == 2 })
	p.w.close()
	srv.kill()

	srv = serve(t, dir, storePath, "--listen", addr)
	p = srv.dial(t)
	var after protocol.WebhookListResult
	p.ok("webhook/list", map[string]string{"sessionId": r.sess.ID}, &after)
	if len(after.Deliveries) != 2 {
		t.Fatalf("deliveries after kill -9: %+v", after.Deliveries)
	}
	for i, d := range after.Deliveries {
		b := before.Deliveries[i]
		if d.ID != b.ID || verdicts(d) != verdicts(b) || d.Status != 200 || strings.Join(d.IdempotencyKeys, ",") != strings.Join(b.IdempotencyKeys, ",") || d.Request.Body != b.Request.Body {
			t.Errorf("delivery %d after restart %+v, before %+v", i, d, b)
		}
	}
	// The same URL still reaches the session after the restart (the bank
	// delivers the third payout's event to it).
	r.p = p
	r.payout(t, "kept-3")
	waitFor(t, func() bool {
		p.ok("webhook/list", map[string]string{"sessionId": r.sess.ID}, &after)
		return len(after.Deliveries) >= 3
	})
	if got := after.Deliveries[2]; got.ID != "w3" || got.Status == http.StatusNotFound {
		t.Errorf("delivery after restart: %+v", got)
	}
	for _, a := range bank.Attempts() {
		if a.Status == http.StatusNotFound {
			t.Errorf("the ingress forgot the session's URL: %+v", a)
		}
	}
}

// freeLoopbackAddr returns a loopback address no one listens on now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func firstAccount(t *testing.T, page protocol.Page) protocol.Account {
	t.Helper()
	var accounts []protocol.Account
	if err := json.Unmarshal(page.Items, &accounts); err != nil || len(accounts) == 0 {
		t.Fatalf("accounts %s: %v", page.Items, err)
	}
	return accounts[0]
}

// webhook/replay runs a kept delivery again: replayed as it came, its
// idempotency key is flagged as seen (in this session); one signed with a
// secret the endpoint no longer has fails Verify, and passes once
// re-signed with the session's current secret. An unknown id is a coded
// error.
func TestWebhookReplayFlaggedAndResigned(t *testing.T) {
	r := newWebhookRig(t)
	r.payout(t, "replay-1")
	orig := r.received(t, 1)
	var again protocol.WebhookDelivery
	r.p.ok("webhook/replay", map[string]any{"sessionId": r.sess.ID, "id": orig.ID}, &again)
	if again.ID == orig.ID || again.ReplayOf != orig.ID || again.Resigned || !again.Duplicate || again.DuplicateOf != r.sess.ID+"/"+orig.ID || verdicts(again) != verdicts(orig) {
		t.Fatalf("replay %+v of %+v", again, orig)
	}
	if n := r.received(t, 2); n.ID != again.ID || n.ReplayOf != orig.ID {
		t.Errorf("webhook/received of the replay %+v", n)
	}

	// A delivery signed with another secret: refused as it came...
	r.fault(func(f *demobank.Faults) { f.WebhookBadSignature = true })
	r.payout(t, "replay-2")
	bad := r.received(t, 3)
	if verdicts(bad) != "trim=ok verify=failed" {
		t.Fatalf("bad delivery %s", verdicts(bad))
	}
	r.fault(func(f *demobank.Faults) { f.WebhookBadSignature = false })
	var plain protocol.WebhookDelivery
	r.p.ok("webhook/replay", map[string]any{"sessionId": r.sess.ID, "id": bad.ID}, &plain)
	if verdicts(plain) != "trim=ok verify=failed" || plain.Status != http.StatusUnauthorized {
		t.Errorf("replay without resign %s %d", verdicts(plain), plain.Status)
	}
	// ...and accepted re-signed, its payment stored.
	var resigned protocol.WebhookDelivery
	r.p.ok("webhook/replay", map[string]any{"sessionId": r.sess.ID, "id": bad.ID, "resign": true}, &resigned)
	if verdicts(resigned) != "trim=ok verify=ok translate=ok store=ok" || resigned.Status != 200 || !resigned.Resigned || resigned.ReplayOf != bad.ID {
		t.Fatalf("re-signed replay %s %+v", verdicts(resigned), resigned)
	}
	if resigned.Request.Headers[demobank.SignatureHeader][0] == bad.Request.Headers[demobank.SignatureHeader][0] {
		t.Errorf("the replay was not signed again")
	}

	m := r.p.call("webhook/replay", map[string]any{"sessionId": r.sess.ID, "id": "w999"})
	if m.Error == nil || m.Error.Code != protocol.CodeInvalidParams || !strings.Contains(m.Error.Message, "w999") {
		t.Errorf("unknown delivery: %+v", m.Error)
	}
}
