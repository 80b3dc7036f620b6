package protocol

import (
	"encoding/json"
	"time"
)

// WebhookConfig is one webhook a connector registered (webhook/create).
type WebhookConfig struct {
	Name    string `json:"name"`
	URLPath string `json:"urlPath"`
	// URL is where the provider delivers it: the session's ingress base
	// and URLPath. It holds the session's webhook secret.
	URL      string            `json:"url"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// WebhookCreateResult is the result of webhook/create.
type WebhookCreateResult struct {
	Configs []WebhookConfig `json:"configs"`
}

// WebhookListParams are the params of webhook/list.
type WebhookListParams struct {
	SessionID string `json:"sessionId"`
	// Limit keeps the most recent deliveries only; 0 means all kept.
	Limit int `json:"limit,omitempty"`
}

// WebhookListResult is the result of webhook/list, oldest first.
type WebhookListResult struct {
	Deliveries []WebhookDelivery `json:"deliveries"`
}

// Webhook step verdicts.
const (
	VerdictOK      = "ok"
	VerdictFailed  = "failed"
	VerdictSkipped = "skipped"
)

// WebhookStep is the verdict of one step of a delivery: trim, verify,
// translate or store.
type WebhookStep struct {
	Step    string `json:"step"`
	Verdict string `json:"verdict"`
	// Error says why the step failed (a signature mismatch, say).
	Error string `json:"error,omitempty"`
}

// WebhookRequest is a delivery's HTTP request, secrets redacted.
type WebhookRequest struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   map[string][]string `json:"query,omitempty"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    string              `json:"body"`
}

// WebhookDelivery is one delivery to the ingress: the params of the
// webhook/received notification and an entry of webhook/list.
type WebhookDelivery struct {
	ID         string    `json:"id"`
	SessionID  string    `json:"sessionId"`
	Config     string    `json:"config"`
	ReceivedAt time.Time `json:"receivedAt"`
	// Status is the HTTP status the ingress answered.
	Status  int            `json:"status"`
	Request WebhookRequest `json:"request"`
	Steps   []WebhookStep  `json:"steps"`
	// IdempotencyKeys are the keys Verify named, one per trimmed webhook.
	IdempotencyKeys []string `json:"idempotencyKeys,omitempty"`
	// Duplicate is set when a key was seen before, in this session or
	// another; DuplicateOf names the delivery that first had it.
	Duplicate   bool   `json:"duplicate,omitempty"`
	DuplicateOf string `json:"duplicateOf,omitempty"`
	// ReplayOf names the delivery this one replays (webhook/replay).
	ReplayOf string `json:"replayOf,omitempty"`
	// Resigned is set on a replay the connector signed again.
	Resigned bool `json:"resigned,omitempty"`
	// Items are the translated items by resource, as stored.
	Items map[string][]json.RawMessage `json:"items,omitempty"`
	// Deleted and Cancelled are the payment references removed or
	// marked cancelled.
	Deleted   []string `json:"deleted,omitempty"`
	Cancelled []string `json:"cancelled,omitempty"`
}
