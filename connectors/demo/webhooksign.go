package demo

import (
	"context"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/demobank"
)

var _ connector.WebhookSigner = (*Connector)(nil)

// SignWebhook signs a delivery again as the bank signs it, with the
// endpoint's secret and the time now (webhook/replay with resign).
func (c *Connector) SignWebhook(ctx context.Context, req connector.WebhookRequest) (connector.Webhook, error) {
	secret := c.secretOf(req.Config.Name)
	if secret == "" {
		return connector.Webhook{}, errNoSecret
	}
	out := req.Webhook
	out.Headers = map[string][]string{}
	for k, vs := range req.Webhook.Headers {
		if !strings.EqualFold(k, demobank.SignatureHeader) {
			out.Headers[k] = vs
		}
	}
	out.Headers[demobank.SignatureHeader] = []string{demobank.Sign(secret, time.Now(), req.Webhook.Body)}
	return out, nil
}
