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
