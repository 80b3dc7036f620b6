package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// webhookRig is a real `serve` daemon on loopback with a demo session over
// an external demo bank, webhooks created.
type webhookRig struct {
	p      *peer
	bank   *demobank.Bank
	info   daemon.Info
	sess   protocol.Session
	config protocol.WebhookConfig
	source protocol.Account
}

// serveForWebhooks runs d's `serve` on loopback and returns an initialized
// websocket peer on it.
func serveForWebhooks(t *testing.T, d *daemon.Daemon, opts ...func(*daemon.ServeOptions)) (*peer, daemon.Info, daemon.ServeOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan daemon.Info, 1)
	done := make(chan error, 1)
	so := daemon.ServeOptions{Listen: "127.0.0.1:0", StateDir: t.TempDir(), Stderr: io.Discard,
		Access: daemon.Access{Token: testToken + "-long-enough"}, Ready: func(i daemon.Info) { ready <- i }}
	for _, o := range opts {
		o(&so)
	}
	go func() { done <- d.ListenAndServe(ctx, so) }()
	var info daemon.Info
	select {
	case info = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("daemon not listening within 10s")
	}
	c, resp, err := websocket.DefaultDialer.Dial(info.URL, http.Header{"Authorization": {"Bearer " + info.Token}})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	p := newPeer(t, &wsWire{c: c})
	// Cleanups run last-in first-out: the connection, then the daemon.
	t.Cleanup(func() {
		cancel()
		<-done
		d.Close()
	})
	t.Cleanup(func() { c.Close() })
	p.initialize()
	return p, info, so
}

// newWebhookRig is a rig whose bank delivers payment.created only, so
// tests count one delivery per payment.
func newWebhookRig(t *testing.T, opts ...func(*daemon.ServeOptions)) *webhookRig {
	t.Helper()
	return newWebhookRigEvents(t, []string{demobank.EventPaymentCreated}, opts...)
}

// newWebhookRigEvents is a rig whose bank delivers events (nil: all).
func newWebhookRigEvents(t *testing.T, events []string, opts ...func(*daemon.ServeOptions)) *webhookRig {
	t.Helper()
	bank := demobank.New(demobank.Config{Accounts: 2, PaymentsPerAccount: 0, ExternalAccounts: 1, WebhookRetryBase: 20 * time.Millisecond, WebhookMaxAttempts: 4, WebhookEvents: events})
	bankURL, err := bank.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bank.Close() })

	p, info, so := serveForWebhooks(t, daemon.New(daemon.Options{Logger: quietLogger()}), opts...)
	r := &webhookRig{p: p, bank: bank, info: info}
	p.ok("session/create", map[string]any{"provider": "demo", "config": map[string]any{"endpoint": bankURL, "apiKey": bank.APIKey()}}, &r.sess)
	p.ok("session/subscribe", map[string]string{"sessionId": r.sess.ID}, nil)
	var created protocol.WebhookCreateResult
	p.ok("webhook/create", map[string]string{"sessionId": r.sess.ID}, &created)
	base := so.PublicURL
	if base == "" {
		base = "http://" + strings.TrimSuffix(strings.TrimPrefix(info.URL, "ws://"), "/rpc")
	}
	if len(created.Configs) != 1 || created.Configs[0].Name != "payments" || !strings.HasPrefix(created.Configs[0].URL, base+"/webhooks/"+r.sess.ID+"/") {
		t.Fatalf("webhook/create: %+v", created)
	}
	r.config = created.Configs[0]
	var page protocol.Page
	p.ok("fetch/next", map[string]any{"sessionId": r.sess.ID, "resource": "accounts"}, &page)
	var accounts []protocol.Account
	if err := json.Unmarshal(page.Items, &accounts); err != nil || len(accounts) == 0 {
		t.Fatalf("accounts %s: %v", page.Items, err)
	}
	r.source = accounts[0]
	return r
}

// payout creates a payout through the daemon: the bank then delivers a
// payment.created event to the ingress.
func (r *webhookRig) payout(t *testing.T, ref string) (reference string) {
	t.Helper()
	var res protocol.InitiationResult
	r.p.ok("payout/create", map[string]any{"sessionId": r.sess.ID, "initiation": map[string]any{
		"reference": ref, "amount": "1234", "asset": r.source.DefaultAsset,
		"sourceAccountReference": r.source.Reference, "destinationAccountReference": r.bank.BeneficiaryIDs()[0],
	}}, &res)
	// The bank's payouts settle later: the connector answers a polling id,
	// which is the payout's id.
	if res.Payment != nil {
		return res.Payment.Reference
	}
	if res.PollingID == "" {
		t.Fatalf("payout/create: %+v", res)
	}
	return res.PollingID
}

// fault changes the bank's faults.
func (r *webhookRig) fault(change func(*demobank.Faults)) {
	f := r.bank.Faults()
	change(&f)
	r.bank.SetFaults(f)
}

// received waits for the n-th webhook/received notification.
func (r *webhookRig) received(t *testing.T, n int) protocol.WebhookDelivery {
	t.Helper()
	var ms []message
	waitFor(t, func() bool { ms = r.p.notifications(protocol.NotifyWebhookReceived); return len(ms) >= n })
	var d protocol.WebhookDelivery
	if err := json.Unmarshal(ms[n-1].Params, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func verdicts(d protocol.WebhookDelivery) string {
	var parts []string
	for _, s := range d.Steps {
		parts = append(parts, s.Step+"="+s.Verdict)
	}
	return strings.Join(parts, " ")
}

// A payment created at the demo bank reaches the daemon's ingress from the
// bank's own HTTP client over loopback, passes Trim, Verify and Translate,
// is stored, and is announced as webhook/received and kept in webhook/list.
func TestWebhookDeliveryStoresPayment(t *testing.T) {
	r := newWebhookRig(t)
	pay := r.payout(t, "wh-1")
	d := r.received(t, 1)
	if d.Status != 200 || verdicts(d) != "trim=ok verify=ok translate=ok store=ok" || d.Config != "payments" || d.Duplicate {
		t.Fatalf("delivery: status %d, %s, %+v", d.Status, verdicts(d), d)
	}
	if len(d.IdempotencyKeys) != 1 || !strings.HasPrefix(d.IdempotencyKeys[0], "evt_") {
		t.Errorf("idempotency keys %v", d.IdempotencyKeys)
	}
	if strings.Contains(d.Request.Path, strings.Split(strings.TrimPrefix(r.config.URL, "http://"), "/")[3]) || !strings.Contains(d.Request.Path, "[SECRET]") {
		t.Errorf("the ingress secret is not redacted from the path: %s", d.Request.Path)
	}
	if d.Request.Headers[demobank.SignatureHeader] == nil || !strings.Contains(d.Request.Body, pay) {
		t.Errorf("raw request not shown: %+v", d.Request)
	}
	var list protocol.DataListResult
	r.p.ok("data/list", map[string]any{"sessionId": r.sess.ID, "resource": "payments"}, &list)
	if len(list.Items) != 1 || !strings.Contains(string(list.Items[0]), `"reference":"`+pay+`"`) {
		t.Fatalf("stored payments: %s", list.Items)
	}
	var hist protocol.WebhookListResult
	r.p.ok("webhook/list", map[string]any{"sessionId": r.sess.ID}, &hist)
	if len(hist.Deliveries) != 1 || hist.Deliveries[0].ID != d.ID {
		t.Fatalf("webhook/list: %+v", hist)
	}
	if got := r.bank.Attempts(); len(got) != 1 || got[0].Status != 200 {
		t.Errorf("bank attempts %+v", got)
	}
}

// A delivery signed with the wrong secret is refused by Verify with the
// reason shown, answered 401 (so the bank retries), and nothing is stored.
func TestWebhookBadSignatureRefused(t *testing.T) {
	r := newWebhookRig(t)
	r.fault(func(f *demobank.Faults) { f.WebhookBadSignature = true })
	r.payout(t, "wh-bad")
	d := r.received(t, 1)
	if d.Status != http.StatusUnauthorized || verdicts(d) != "trim=ok verify=failed" || !strings.Contains(d.Steps[1].Error, "signature mismatch") {
		t.Fatalf("delivery: status %d, %s, %+v", d.Status, verdicts(d), d.Steps)
	}
	var list protocol.DataListResult
	r.p.ok("data/list", map[string]any{"sessionId": r.sess.ID, "resource": "payments"}, &list)
	if len(list.Items) != 0 {
		t.Fatalf("a refused delivery stored %s", list.Items)
	}
	// The bank retries a refused delivery, up to its 4 attempts.
	waitFor(t, func() bool { return len(r.bank.Attempts()) == 4 })
	for _, a := range r.bank.Attempts() {
		if a.Status != http.StatusUnauthorized {
			t.Errorf("attempt %+v", a)
		}
	}
}

// The same event delivered twice is flagged the second time, naming the
// delivery that had its key first.
func TestWebhookDuplicateFlagged(t *testing.T) {
	r := newWebhookRig(t)
	r.fault(func(f *demobank.Faults) { f.WebhookDuplicate = true })
	r.payout(t, "wh-dup")
	first, second := r.received(t, 1), r.received(t, 2)
	if first.Duplicate || !second.Duplicate || second.DuplicateOf != r.sess.ID+"/"+first.ID {
		t.Fatalf("first %+v\nsecond %+v", first, second)
	}
	if first.IdempotencyKeys[0] != second.IdempotencyKeys[0] {
		t.Errorf("keys %v and %v", first.IdempotencyKeys, second.IdempotencyKeys)
	}
	var list protocol.DataListResult
	r.p.ok("data/list", map[string]any{"sessionId": r.sess.ID, "resource": "payments"}, &list)
	if list.Total != 1 {
		t.Errorf("stored %d payments, want 1", list.Total)
	}
}

// The ingress wants the session's secret: a wrong one, or another route's
// token, is a 404 with nothing published; a foreign Host is refused.
func TestWebhookIngressRefusesWrongSecret(t *testing.T) {
	r := newWebhookRig(t)
	base := strings.TrimSuffix(strings.Replace(r.info.URL, "ws://", "http://", 1), "/rpc")
	for _, path := range []string{
		"/webhooks/" + r.sess.ID + "/" + strings.Repeat("0", 32) + "/payments",
		"/webhooks/" + r.sess.ID + "/" + r.info.Token + "/payments",
		"/webhooks/no-such-session/x/payments",
	} {
		res, err := http.Post(base+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: %s, want 404", path, res.Status)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, r.config.URL, strings.NewReader(`{}`))
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %s, want 403", res.Status)
	}
	// An unsigned delivery to the right URL is seen, and refused by Verify.
	res, err = http.Post(r.config.URL, "application/json", strings.NewReader(`{"id":"evt_x","type":"payment.created"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "Demobank-Signature missing") {
		t.Errorf("unsigned: %s %s", res.Status, body)
	}
	// The notification goes out after the answer: wait for it, then check
	// that the refused requests published none.
	waitFor(t, func() bool { return len(r.p.notifications(protocol.NotifyWebhookReceived)) >= 1 })
	if ms := r.p.notifications(protocol.NotifyWebhookReceived); len(ms) != 1 || !strings.Contains(string(ms[0].Params), "Demobank-Signature missing") {
		t.Errorf("webhook/received %v, want 1 (the unsigned one)", ms)
	}
}

// A delivery answered 500 (by a flaky tunnel in front of the ingress,
// given to CreateWebhooks as --public-url) is retried by the bank after
// its backoff and then stored once.
func TestWebhookRetriedAfter500(t *testing.T) {
	var target atomic.Pointer[httputil.ReverseProxy]
	var calls atomic.Int32
	tunnel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "tunnel hiccup", http.StatusInternalServerError)
			return
		}
		target.Load().ServeHTTP(w, r)
	}))
	defer tunnel.Close()
	r := newWebhookRig(t, func(o *daemon.ServeOptions) {
		o.PublicURL = tunnel.URL
		ready := o.Ready
		o.Ready = func(i daemon.Info) {
			u, _ := url.Parse(strings.Replace(strings.TrimSuffix(i.URL, "/rpc"), "ws://", "http://", 1))
			target.Store(httputil.NewSingleHostReverseProxy(u))
			ready(i)
		}
	})
	if !strings.HasPrefix(r.config.URL, tunnel.URL+"/webhooks/") {
		t.Fatalf("CreateWebhooks got %s, want the public URL %s", r.config.URL, tunnel.URL)
	}
	ref := r.payout(t, "wh-retry")
	d := r.received(t, 1)
	if d.Status != 200 || verdicts(d) != "trim=ok verify=ok translate=ok store=ok" || !strings.Contains(d.Request.Body, ref) {
		t.Fatalf("delivery after the retry: %d %s", d.Status, verdicts(d))
	}
	waitFor(t, func() bool { return len(r.bank.Attempts()) == 2 })
	got := r.bank.Attempts()
	if got[0].Status != 500 || got[1].Status != 200 || got[0].EventID != got[1].EventID || got[1].Attempt != 2 {
		t.Fatalf("bank attempts %+v", got)
	}
	if n := len(r.p.notifications(protocol.NotifyWebhookReceived)); n != 1 {
		t.Errorf("%d webhook/received, want 1: the 500 never reached the daemon", n)
	}
	var list protocol.DataListResult
	r.p.ok("data/list", map[string]any{"sessionId": r.sess.ID, "resource": "payments"}, &list)
	if list.Total != 1 {
		t.Errorf("stored %d payments, want 1", list.Total)
	}
}
