package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/protocol"
)

// hookConnector translates deliveries of {"pay":REF,"cancel":REF,
// "delete":REF,"echo":S}; Verify wants its API key in X-Key.
type hookConnector struct{ key string }

type hookConfig struct {
	APIKey string `json:"apiKey" secret:"true"`
}

var (
	_ connector.WebhookCreator    = (*hookConnector)(nil)
	_ connector.WebhookVerifier   = (*hookConnector)(nil)
	_ connector.WebhookTranslator = (*hookConnector)(nil)
)

func (c *hookConnector) CreateWebhooks(ctx context.Context, req connector.CreateWebhooksRequest) (connector.CreateWebhooksResponse, error) {
	return connector.CreateWebhooksResponse{Configs: []connector.WebhookConfig{{Name: "all", URLPath: "/all"}}}, nil
}

func (c *hookConnector) VerifyWebhook(ctx context.Context, req connector.WebhookRequest) (connector.VerifyWebhookResponse, error) {
	if k := req.Webhook.Headers["X-Key"]; len(k) == 0 || k[0] != c.key {
		return connector.VerifyWebhookResponse{}, errors.New("wrong X-Key")
	}
	return connector.VerifyWebhookResponse{}, nil
}

func (c *hookConnector) TranslateWebhook(ctx context.Context, req connector.WebhookRequest) ([]connector.WebhookResponse, error) {
	var in struct{ Pay, Cancel, Delete string }
	if err := json.Unmarshal(req.Webhook.Body, &in); err != nil {
		return nil, err
	}
	var out []connector.WebhookResponse
	if in.Pay != "" {
		out = append(out, connector.WebhookResponse{Payment: &connector.Payment{Reference: in.Pay, CreatedAt: time.Unix(1_700_000_000, 0),
			Type: connector.PaymentTypePayIn, Amount: big.NewInt(100), Asset: "EUR/2", Scheme: "sepa", Status: connector.PaymentStatusPending}})
	}
	if in.Cancel != "" {
		out = append(out, connector.WebhookResponse{PaymentToCancel: in.Cancel})
	}
	if in.Delete != "" {
		out = append(out, connector.WebhookResponse{PaymentToDelete: in.Delete})
	}
	return out, nil
}

// Deliveries' payments are stored, cancellations mark them CANCELLED,
// deletions remove them; the connector's secrets in the raw request are
// redacted in webhook/received.
func TestWebhookDeletesAndCancels(t *testing.T) {
	reg := connector.NewRegistry()
	reg.Register(connector.Define("hook", connector.Info{DefaultPageSize: 10}, (*hookConnector)(nil),
		func(ctx context.Context, cfg hookConfig, env connector.Env) (connector.Connector, error) {
			return &hookConnector{key: cfg.APIKey}, nil
		}))
	p, _, _ := serveForWebhooks(t, daemon.New(daemon.Options{Registry: reg, Logger: quietLogger()}))
	const key = "hook-secret-key-1234"
	var sess protocol.Session
	p.ok("session/create", map[string]any{"provider": "hook", "config": map[string]string{"apiKey": key}}, &sess)
	p.ok("session/subscribe", map[string]string{"sessionId": sess.ID}, nil)
	var created protocol.WebhookCreateResult
	p.ok("webhook/create", map[string]string{"sessionId": sess.ID}, &created)
	deliver := func(body string) protocol.WebhookDelivery {
		t.Helper()
		n := len(p.notifications(protocol.NotifyWebhookReceived))
		req, _ := http.NewRequest(http.MethodPost, created.Configs[0].URL, strings.NewReader(body))
		req.Header.Set("X-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var ms []message
		waitFor(t, func() bool { ms = p.notifications(protocol.NotifyWebhookReceived); return len(ms) > n })
		var d protocol.WebhookDelivery
		if err := json.Unmarshal(ms[n].Params, &d); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != d.Status {
			t.Errorf("answered %d, published %d", res.StatusCode, d.Status)
		}
		return d
	}
	stored := func() string {
		t.Helper()
		var list protocol.DataListResult
		p.ok("data/list", map[string]any{"sessionId": sess.ID, "resource": "payments"}, &list)
		var refs []string
		for _, it := range list.Items {
			var pay protocol.Payment
			_ = json.Unmarshal(it, &pay)
			refs = append(refs, pay.Reference+":"+pay.Status)
		}
		sort.Strings(refs)
		return strings.Join(refs, " ")
	}

	d := deliver(`{"pay":"p1","echo":"` + key + `"}`)
	if d.Status != 200 || verdicts(d) != "trim=skipped verify=ok translate=ok store=ok" || len(d.Items["payments"]) != 1 {
		t.Fatalf("first delivery %d %s %+v", d.Status, verdicts(d), d.Items)
	}
	raw, _ := json.Marshal(d.Request)
	if strings.Contains(string(raw), key) {
		t.Errorf("the session's API key is in the published request: %s", raw)
	}
	deliver(`{"pay":"p2"}`)
	if got := stored(); got != "p1:PENDING p2:PENDING" {
		t.Fatalf("stored %q", got)
	}
	d = deliver(`{"cancel":"p1","delete":"p2"}`)
	if d.Status != 200 || len(d.Cancelled) != 1 || len(d.Deleted) != 1 {
		t.Fatalf("cancel/delete delivery %+v", d)
	}
	if got := stored(); got != "p1:CANCELLED" {
		t.Fatalf("after cancel and delete: %q", got)
	}
	// A failed Verify stores nothing and says why.
	req, _ := http.NewRequest(http.MethodPost, created.Configs[0].URL, strings.NewReader(`{"pay":"p3"}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no X-Key: %s", res.Status)
	}
	var hist protocol.WebhookListResult
	p.ok("webhook/list", map[string]any{"sessionId": sess.ID, "limit": 1}, &hist)
	if len(hist.Deliveries) != 1 || !strings.Contains(hist.Deliveries[0].Steps[1].Error, "wrong X-Key") {
		t.Fatalf("webhook/list: %+v", hist.Deliveries)
	}
	if got := stored(); got != "p1:CANCELLED" {
		t.Fatalf("after a refused delivery: %q", got)
	}
}
