package protocol

// MethodWebhookReplay runs a kept delivery through the ingress again.
const MethodWebhookReplay = "webhook/replay"

// WebhookReplayParams are the params of webhook/replay.
type WebhookReplayParams struct {
	SessionID string `json:"sessionId"`
	// ID is the delivery to replay, as webhook/list names it ("w3").
	ID string `json:"id"`
	// Resign has the connector sign the delivery again with the session's
	// current webhook secret, and a fresh timestamp, before it is
	// verified: a capture older than the signature's tolerance, or one
	// signed before the secret rotated, then passes Verify. Without it the
	// delivery is replayed with the signature it came with.
	Resign bool `json:"resign,omitempty"`
}

// WebhookReplay answers the new delivery, also sent as webhook/received
// and kept in webhook/list; its replayOf names the original. An unknown
// id is CodeInvalidParams; a connector that cannot sign, asked to
// resign, is CodeCapabilityUnsupported.
var WebhookReplay = request[WebhookReplayParams, WebhookDelivery](MethodWebhookReplay, errs(CodeSessionNotFound, CodeInvalidParams, CodeCapabilityUnsupported), client("WebhookReplay"))

// MethodWebhookTrigger makes the provider send an event now.
const MethodWebhookTrigger = "webhook/trigger"

// WebhookTriggerParams are the params of webhook/trigger.
type WebhookTriggerParams struct {
	SessionID string `json:"sessionId"`
	// Event is one of the connector's events (the demo's: payment.created,
	// payout.settled, balance.updated); an unknown one is CodeInvalidParams
	// listing them.
	Event string `json:"event"`
}

// WebhookTriggerResult is the result of webhook/trigger. The deliveries
// it causes arrive as webhook/received, asynchronously, as the
// provider sends them.
type WebhookTriggerResult struct {
	Event string `json:"event"`
	// Detail says what the provider did (the payout it made, say).
	Detail string `json:"detail,omitempty"`
}

// WebhookTrigger makes the provider send an event now, like `stripe
// trigger`.
var WebhookTrigger = request[WebhookTriggerParams, WebhookTriggerResult](MethodWebhookTrigger, errs(CodeSessionNotFound, CodeInvalidParams, CodeCapabilityUnsupported, CodeConnectorError), client("WebhookTrigger"))
