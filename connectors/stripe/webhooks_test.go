package stripe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestWebhooksThroughTheDaemon registers the webhook through stripe-mock's
// webhook_endpoints, triggers a charge, payout, transfer and balance event
// built from stripe-mock's objects and signed with the endpoint's secret,
// and checks each passed stripe-go's signature check and was translated
// and stored; a delivery with a forged signature is refused by Verify
// with stripe-go's reason, and passes once replayed re-signed.
func TestWebhooksThroughTheDaemon(t *testing.T) {
	mockURL := stripeMockURL(t)
	p, _ := connector.Default().Lookup(ProviderName)
	reg := connector.NewRegistry()
	reg.Register(p)
	d := daemon.New(daemon.Options{Registry: reg})
	t.Cleanup(func() { d.Close() })
	in, err := d.ListenWebhooks("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	srv := httptest.NewServer(d.Handler(daemon.Access{Token: "t"}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	var mu sync.Mutex
	var got []protocol.WebhookDelivery
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/rpc", "t", client.WithNotificationHandler(func(method string, params json.RawMessage) {
		var d protocol.WebhookDelivery
		if method == protocol.NotifyWebhookReceived && json.Unmarshal(params, &d) == nil {
			mu.Lock()
			got = append(got, d)
			mu.Unlock()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]string{"apiKey": "sk_test_webhooks", "endpoint": mockURL, "webhookSecret": "whsec_switchboard_test"})
	s, err := c.CreateSession(ctx, protocol.SessionCreateParams{Provider: ProviderName, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SessionSubscribe(ctx, protocol.SessionParams{SessionID: s.ID}); err != nil {
		t.Fatal(err)
	}
	created, err := c.WebhookCreate(ctx, protocol.SessionParams{SessionID: s.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(created.Configs) != 1 || !strings.HasPrefix(created.Configs[0].URL, in.BaseURL+"/webhooks/"+s.ID+"/") || created.Configs[0].Metadata["endpointId"] == "" {
		t.Fatalf("webhook/create %+v", created)
	}
	nth := func(n int) protocol.WebhookDelivery {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			if len(got) >= n {
				d := got[n-1]
				mu.Unlock()
				return d
			}
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("webhook/received %d did not come", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for i, tc := range []struct{ event, resource, typ string }{
		{"charge.succeeded", "payments", protocol.PaymentTypePayIn},
		{"payout.paid", "payments", protocol.PaymentTypePayout},
		{"transfer.created", "payments", protocol.PaymentTypeTransfer},
		{"balance.available", "balances", ""},
	} {
		if _, err := c.WebhookTrigger(ctx, protocol.WebhookTriggerParams{SessionID: s.ID, Event: tc.event}); err != nil {
			t.Fatalf("trigger %s: %v", tc.event, err)
		}
		d := nth(i + 1)
		var steps []string
		for _, st := range d.Steps {
			steps = append(steps, st.Step+"="+st.Verdict+st.Error)
		}
		if d.Status != 200 || strings.Join(steps, " ") != "trim=skipped verify=ok translate=ok store=ok" || len(d.IdempotencyKeys) != 1 || !strings.HasPrefix(d.IdempotencyKeys[0], "evt_") {
			t.Fatalf("%s: %d %v %+v", tc.event, d.Status, steps, d.IdempotencyKeys)
		}
		if len(d.Items[tc.resource]) == 0 {
			t.Fatalf("%s stored no %s: %+v", tc.event, tc.resource, d.Items)
		}
		if tc.typ != "" {
			var pay protocol.Payment
			if err := json.Unmarshal(d.Items[tc.resource][0], &pay); err != nil || pay.Type != tc.typ {
				t.Errorf("%s: payment %+v %v", tc.event, pay, err)
			}
		}
	}

	// A forged signature: stripe-go refuses it, and the ingress answers 401.
	first := nth(1)
	req, _ := http.NewRequest(http.MethodPost, created.Configs[0].URL, strings.NewReader(first.Request.Body))
	req.Header.Set(signatureHeader, "t="+strconv.FormatInt(time.Now().Unix(), 10)+",v1=0000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	forged := nth(5)
	if resp.StatusCode != http.StatusUnauthorized || forged.Steps[1].Verdict != protocol.VerdictFailed || !strings.Contains(forged.Steps[1].Error, "signature") {
		t.Fatalf("forged delivery: %d %+v", resp.StatusCode, forged.Steps)
	}
	again, err := c.WebhookReplay(ctx, protocol.WebhookReplayParams{SessionID: s.ID, ID: forged.ID, Resign: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != 200 || !again.Duplicate || again.DuplicateOf != s.ID+"/"+first.ID {
		t.Errorf("re-signed replay %d duplicate %v of %q: %+v", again.Status, again.Duplicate, again.DuplicateOf, again.Steps)
	}
}
