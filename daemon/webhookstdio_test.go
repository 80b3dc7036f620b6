package daemon_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// `switchboard stdio` has a webhook ingress of its own on an ephemeral
// loopback port: initialize reports it, webhook/create hands it to the
// connector, and the demo bank's own client delivers to it; the delivery
// arrives over stdio as webhook/received. --webhook-listen off has none,
// and webhook/create then says so with a coded error.
func TestStdioWebhookIngress(t *testing.T) {
	bank := demobank.New(demobank.Config{Accounts: 2, PaymentsPerAccount: 0, ExternalAccounts: 1, WebhookRetryBase: 20 * time.Millisecond, WebhookMaxAttempts: 2, WebhookEvents: []string{demobank.EventPaymentCreated}})
	bankURL, err := bank.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bank.Close() })

	w, _ := spawnStdio(t)
	p := newPeer(t, w)
	var init protocol.InitializeResult
	p.ok("initialize", `{"clientInfo":{"name":"test"}}`, &init)
	p.notify("initialized", "{}")
	if init.Webhooks == nil || !strings.HasPrefix(init.Webhooks.BaseURL, "http://127.0.0.1:") || strings.HasSuffix(init.Webhooks.BaseURL, ":0") {
		t.Fatalf("initialize webhooks %+v", init.Webhooks)
	}
	r := &webhookRig{p: p, bank: bank}
	p.ok("session/create", map[string]any{"provider": "demo", "config": map[string]any{"endpoint": bankURL, "apiKey": bank.APIKey()}}, &r.sess)
	p.ok("session/subscribe", map[string]string{"sessionId": r.sess.ID}, nil)
	var created protocol.WebhookCreateResult
	p.ok("webhook/create", map[string]string{"sessionId": r.sess.ID}, &created)
	if len(created.Configs) != 1 || !strings.HasPrefix(created.Configs[0].URL, init.Webhooks.BaseURL+"/webhooks/"+r.sess.ID+"/") {
		t.Fatalf("webhook/create %+v", created)
	}
	var page protocol.Page
	p.ok("fetch/next", map[string]any{"sessionId": r.sess.ID, "resource": "accounts"}, &page)
	r.source = firstAccount(t, page)
	pay := r.payout(t, "stdio-1")
	d := r.received(t, 1)
	if d.Status != 200 || verdicts(d) != "trim=ok verify=ok translate=ok store=ok" || !strings.Contains(d.Request.Body, pay) {
		t.Fatalf("delivery over stdio: %d %s", d.Status, verdicts(d))
	}

	off, _ := spawnStdioIn(t, t.TempDir(), "--webhook-listen", "off")
	q := newPeer(t, off)
	var res json.RawMessage
	q.ok("initialize", `{"clientInfo":{"name":"test"}}`, &res)
	q.notify("initialized", "{}")
	if strings.Contains(string(res), `"webhooks"`) {
		t.Errorf("initialize without an ingress: %s", res)
	}
	var s protocol.Session
	q.ok("session/create", map[string]any{"provider": "demo", "config": map[string]any{"endpoint": bankURL, "apiKey": bank.APIKey()}}, &s)
	m := q.call("webhook/create", map[string]string{"sessionId": s.ID})
	if m.Error == nil || m.Error.Code != int(protocol.CodeInvalidRequest) || !strings.Contains(m.Error.Message, "no webhook ingress") {
		t.Errorf("webhook/create without an ingress: %+v", m.Error)
	}
}

// The ingress of its own (stdio's) binds loopback only, serves the webhook
// route alone, and checks the Host header as every route does.
func TestWebhookIngressLoopbackAndHost(t *testing.T) {
	d := newTestDaemon()
	t.Cleanup(func() { d.Close() })
	if _, err := d.ListenWebhooks("0.0.0.0:0", ""); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("a non-loopback ingress: %v", err)
	}
	in, err := d.ListenWebhooks("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	for _, tc := range []struct {
		path, host string
		want       int
	}{
		{"/webhooks/s/x/payments", "evil.example", http.StatusForbidden},
		{"/webhooks/s/x/payments", "", http.StatusNotFound}, // no such session
		{"/rpc", "", http.StatusNotFound},                   // no websocket here
		{"/", "", http.StatusNotFound},                      // nor the console
	} {
		req, _ := http.NewRequest(http.MethodPost, in.BaseURL+tc.path, strings.NewReader("{}"))
		if tc.host != "" {
			req.Host = tc.host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("POST %s (Host %q): %d, want %d", tc.path, tc.host, res.StatusCode, tc.want)
		}
	}
}
