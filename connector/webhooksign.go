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
