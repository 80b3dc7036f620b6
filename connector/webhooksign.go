package connector

import "context"

// WebhookSigner signs a delivery again with the connector's current
// webhook secret and a fresh timestamp, as the provider would sign it now:
// webhook/replay with resign uses it, so a capture older than the
// signature's tolerance, or signed before the secret rotated, can be
// replayed through Verify. Only the connector knows its provider's
// signing scheme and secret.
type WebhookSigner interface {
	SignWebhook(ctx context.Context, req WebhookRequest) (Webhook, error)
}

// WebhookTriggerer makes the provider send an event now, as `stripe
// trigger` does (webhook/trigger): the demo asks its bank to make the
// change; a connector of a provider that sends no webhooks in test mode
// may build a signed event and deliver it to WebhookBaseURL itself.
type WebhookTriggerer interface {
	TriggerWebhook(ctx context.Context, req TriggerWebhookRequest) (TriggerWebhookResponse, error)
	// WebhookEvents names the events TriggerWebhook knows.
	WebhookEvents() []string
}

// TriggerWebhookRequest is what TriggerWebhook receives.
type TriggerWebhookRequest struct {
	Event string
	// WebhookBaseURL is the session's ingress URL, as CreateWebhooks got it.
	WebhookBaseURL string
}

// TriggerWebhookResponse says what the trigger did, for the user.
type TriggerWebhookResponse struct {
	Detail string
}
