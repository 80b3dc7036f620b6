package connector

import "context"

// Webhooks, in the shape of Formance's plugin model: CreateWebhooks
// registers the connector's webhooks at the provider on install; each
// delivery then goes through TrimWebhook (split a batch), VerifyWebhook
// (check the signature, name an idempotency key) and TranslateWebhook
// (turn it into items).

// WebhookConfig is one webhook the connector registered: the daemon routes
// a delivery to it by Name; URLPath is appended to the base URL the
// daemon hands to CreateWebhooks.
type WebhookConfig struct {
	Name    string
	URLPath string
	// Metadata is the connector's own (a subscription id, a secret's id).
	Metadata map[string]string
}

// Webhook is one HTTP delivery as the provider sent it.
type Webhook struct {
	QueryValues map[string][]string
	Headers     map[string][]string
	Body        []byte
}

// CreateWebhooksRequest is what CreateWebhooks receives.
type CreateWebhooksRequest struct {
	// FromPayload is the parent item's raw JSON, or nil.
	FromPayload []byte
	// ConnectorID identifies the session the webhooks are for.
	ConnectorID string
	// WebhookBaseURL is where deliveries for this session are received;
	// each config's URLPath is appended to it.
	WebhookBaseURL string
}

// CreateWebhooksResponse is what CreateWebhooks returns.
type CreateWebhooksResponse struct {
	Configs []WebhookConfig
	Others  []Other
}

// WebhookRequest is what Trim, Verify and Translate receive.
type WebhookRequest struct {
	Config  WebhookConfig
	Webhook Webhook
}

// VerifyWebhookResponse is what VerifyWebhook returns.
type VerifyWebhookResponse struct {
	// IdempotencyKey names the event; a key seen before marks a duplicate
	// delivery. "" means the provider gives none.
	IdempotencyKey string
}

// WebhookResponse is one item a delivery translates to; any of its fields
// may be set.
type WebhookResponse struct {
	Account         *Account
	ExternalAccount *Account
	Payment         *Payment
	Balance         *Balance
	// PaymentToDelete and PaymentToCancel are payment references.
	PaymentToDelete string
	PaymentToCancel string
}

// WebhookCreator registers the connector's webhooks at the provider.
type WebhookCreator interface {
	CreateWebhooks(ctx context.Context, req CreateWebhooksRequest) (CreateWebhooksResponse, error)
}

// WebhookTrimmer splits or cleans a delivery before it is verified.
type WebhookTrimmer interface {
	TrimWebhook(ctx context.Context, req WebhookRequest) ([]Webhook, error)
}

// WebhookVerifier checks a delivery's signature and names its idempotency
// key. An error means the delivery is refused.
type WebhookVerifier interface {
	VerifyWebhook(ctx context.Context, req WebhookRequest) (VerifyWebhookResponse, error)
}

// WebhookTranslator turns a verified delivery into items.
type WebhookTranslator interface {
	TranslateWebhook(ctx context.Context, req WebhookRequest) ([]WebhookResponse, error)
}
