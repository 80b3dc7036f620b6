package demo

import (
	"context"
	"net/url"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/demobank"
)

var _ connector.WebhookTriggerer = (*Connector)(nil)

// WebhookEvents are the changes the bank makes on demand.
func (c *Connector) WebhookEvents() []string { return demobank.TriggerEvents }

// TriggerWebhook asks the bank to make the change (POST /admin/trigger);
// the bank then delivers its events to the subscribed endpoints.
func (c *Connector) TriggerWebhook(ctx context.Context, req connector.TriggerWebhookRequest) (connector.TriggerWebhookResponse, error) {
	var out struct {
		Payout string `json:"payout"`
	}
	if _, err := c.do(ctx, "POST", "/admin/trigger", url.Values{"event": {req.Event}}, nil, nil, &out); err != nil {
		return connector.TriggerWebhookResponse{}, err
	}
	return connector.TriggerWebhookResponse{Detail: "the bank made payout " + out.Payout}, nil
}
