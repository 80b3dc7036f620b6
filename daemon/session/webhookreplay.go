package session

import (
	"context"
	"slices"
	"strings"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

// Replay runs a kept delivery through Trim, Verify and Translate again, as
// a new delivery (webhook/replay). Its request is the one kept, which is
// redacted: credentials headers the ingress masked are not sent again.
// With resign the connector signs it anew first.
func (m *Manager) Replay(ctx context.Context, s *Session, p protocol.WebhookReplayParams) (protocol.WebhookDelivery, error) {
	orig, ok := s.deliveries.Find(func(d *protocol.WebhookDelivery) bool { return d.ID == p.ID })
	if !ok || p.ID == "" {
		return protocol.WebhookDelivery{}, protocol.InvalidParams(protocol.FieldError{Field: "id", Message: "no delivery " + quote(p.ID) + " is kept for this session (see webhook/list)"})
	}
	hs := map[string][]string{}
	for k, vs := range orig.Request.Headers {
		if len(vs) == 1 && vs[0] == "[REDACTED]" {
			continue
		}
		hs[k] = vs
	}
	d := Delivery{SessionID: s.id, Config: orig.Config, Method: orig.Request.Method,
		Path: strings.ReplaceAll(orig.Request.Path, "[SECRET]", s.wh.secret), Query: orig.Request.Query, Headers: hs, Body: []byte(orig.Request.Body)}
	if p.Resign {
		signer, ok := s.conn.(connector.WebhookSigner)
		if !ok {
			return protocol.WebhookDelivery{}, protocol.CapabilityUnsupported(s.provider, "webhooks:sign")
		}
		s.wh.mu.Lock()
		cfg, known := s.wh.configs[orig.Config]
		s.wh.mu.Unlock()
		if !known {
			cfg = connector.WebhookConfig{Name: orig.Config}
		}
		signed, err := webhookCall(ctx, s, "webhook/sign", func(ctx context.Context) (connector.Webhook, error) {
			return signer.SignWebhook(ctx, connector.WebhookRequest{Config: cfg, Webhook: connector.Webhook{QueryValues: d.Query, Headers: d.Headers, Body: d.Body}})
		})
		if err != nil {
			return protocol.WebhookDelivery{}, err
		}
		d.Query, d.Headers, d.Body = signed.QueryValues, signed.Headers, signed.Body
	}
	return m.record(ctx, s, d, func(out *protocol.WebhookDelivery) {
		out.ReplayOf, out.Resigned = orig.ID, p.Resign
	}), nil
}

func quote(s string) string { return `"` + s + `"` }

// Trigger has the connector make its provider send an event now
// (webhook/trigger).
func (s *Session) Trigger(ctx context.Context, p protocol.WebhookTriggerParams) (protocol.WebhookTriggerResult, error) {
	tr, ok := s.conn.(connector.WebhookTriggerer)
	if !ok {
		return protocol.WebhookTriggerResult{}, protocol.CapabilityUnsupported(s.provider, "webhooks:trigger")
	}
	events := tr.WebhookEvents()
	if !slices.Contains(events, p.Event) {
		return protocol.WebhookTriggerResult{}, protocol.InvalidParams(protocol.FieldError{Field: "event", Message: "want one of " + strings.Join(events, ", ")})
	}
	base := ""
	if b := s.webhookBase(); b != "" {
		base = s.WebhookBaseURL(b)
	}
	res, err := callTracked(ctx, s, protocol.MethodWebhookTrigger, p, func(ctx context.Context) (connector.TriggerWebhookResponse, error) {
		return tr.TriggerWebhook(ctx, connector.TriggerWebhookRequest{Event: p.Event, WebhookBaseURL: base})
	})
	if err != nil {
		return protocol.WebhookTriggerResult{}, err
	}
	return protocol.WebhookTriggerResult{Event: p.Event, Detail: res.Detail}, nil
}
