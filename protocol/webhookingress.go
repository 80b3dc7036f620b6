package protocol

// WebhookIngress is where the daemon receives webhook deliveries, in the
// initialize result when it has an ingress (`serve` always, `stdio` unless
// --webhook-listen off). A session's deliveries go to
// BASEURL/webhooks/{sessionId}/{secret}/{configName}; webhook/create
// answers the full URLs.
type WebhookIngress struct {
	// BaseURL is the ingress's base: http://127.0.0.1:PORT, or the
	// --public-url a tunnel forwards.
	BaseURL string `json:"baseUrl"`
}
