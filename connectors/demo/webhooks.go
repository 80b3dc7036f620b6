package demo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/connector"
)

// Webhooks: CreateWebhooks subscribes the daemon's ingress at the bank and
// keeps the signing secret the bank shows once; VerifyWebhook checks the
// Stripe-style signature (HMAC-SHA256 over "timestamp.body") and names the
// event id as idempotency key; TranslateWebhook turns payment events into
// payments.

var (
	_ connector.WebhookCreator    = (*Connector)(nil)
	_ connector.WebhookTrimmer    = (*Connector)(nil)
	_ connector.WebhookVerifier   = (*Connector)(nil)
	_ connector.WebhookTranslator = (*Connector)(nil)
)

// paymentsWebhook is the name of the one webhook config the demo registers.
const paymentsWebhook = "payments"

// signatureTolerance is how old a delivery's timestamp may be: a replayed
// capture past it is refused, as Stripe's libraries do.
const signatureTolerance = 5 * time.Minute

// errNoSecret is Verify's answer when CreateWebhooks did not run on this
// connector (a daemon restarted since: the bank shows a secret once).
var errNoSecret = errors.New("no signing secret known for this webhook: call webhook/create again")

type bankEndpoint struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

type bankEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// CreateWebhooks subscribes WebhookBaseURL/payments at the bank.
func (c *Connector) CreateWebhooks(ctx context.Context, req connector.CreateWebhooksRequest) (connector.CreateWebhooksResponse, error) {
	if req.WebhookBaseURL == "" {
		return connector.CreateWebhooksResponse{}, errors.New("demo: no webhook base URL")
	}
	var ep bankEndpoint
	body := map[string]string{"url": strings.TrimSuffix(req.WebhookBaseURL, "/") + "/" + paymentsWebhook}
	if _, err := c.do(ctx, "POST", "/v1/webhook_endpoints", nil, body, nil, &ep); err != nil {
		return connector.CreateWebhooksResponse{}, err
	}
	if ep.Secret == "" {
		return connector.CreateWebhooksResponse{}, errors.New("demo: the bank returned a webhook endpoint without a secret")
	}
	c.whMu.Lock()
	if c.secrets == nil {
		c.secrets = map[string]string{}
	}
	c.secrets[paymentsWebhook] = ep.Secret
	c.whMu.Unlock()
	return connector.CreateWebhooksResponse{Configs: []connector.WebhookConfig{{
		Name: paymentsWebhook, URLPath: "/" + paymentsWebhook, Metadata: map[string]string{"endpointId": ep.ID},
	}}}, nil
}

// TrimWebhook returns the delivery as it is: the bank sends one event per
// delivery.
func (c *Connector) TrimWebhook(ctx context.Context, req connector.WebhookRequest) ([]connector.Webhook, error) {
	return []connector.Webhook{req.Webhook}, nil
}

// VerifyWebhook checks the delivery's Demobank-Signature.
func (c *Connector) VerifyWebhook(ctx context.Context, req connector.WebhookRequest) (connector.VerifyWebhookResponse, error) {
	secret := c.secretOf(req.Config.Name)
	if secret == "" {
		return connector.VerifyWebhookResponse{}, errNoSecret
	}
	if err := verifySignature(secret, header(req.Webhook.Headers, "Demobank-Signature"), req.Webhook.Body, time.Now()); err != nil {
		return connector.VerifyWebhookResponse{}, err
	}
	var ev bankEvent
	if err := json.Unmarshal(req.Webhook.Body, &ev); err != nil || ev.ID == "" {
		return connector.VerifyWebhookResponse{}, fmt.Errorf("demo: the delivery is not an event: %.200s", req.Webhook.Body)
	}
	return connector.VerifyWebhookResponse{IdempotencyKey: ev.ID}, nil
}

// verifySignature checks "t=UNIX,v1=HEX" against HMAC-SHA256(secret,
// "UNIX." + body), in constant time, and the timestamp's age.
func verifySignature(secret, sig string, body []byte, now time.Time) error {
	if sig == "" {
		return errors.New("signature header Demobank-Signature missing")
	}
	var ts string
	var v1 []string
	for _, part := range strings.Split(sig, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = append(v1, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(v1) == 0 {
		return fmt.Errorf("signature header %q has no t= timestamp or no v1= signature", sig)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > signatureTolerance || age < -signatureTolerance {
		return fmt.Errorf("signature timestamp %s is %s away from now (tolerance %s)", time.Unix(sec, 0).UTC().Format(time.RFC3339), age.Round(time.Second), signatureTolerance)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range v1 {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("signature mismatch: no v1 signature matches HMAC-SHA256 of the timestamp and body with the endpoint's secret")
}

// header returns the first value of a header, its name in any case.
func header(h map[string][]string, name string) string {
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// TranslateWebhook turns a payment event into its payment.
func (c *Connector) TranslateWebhook(ctx context.Context, req connector.WebhookRequest) ([]connector.WebhookResponse, error) {
	var ev bankEvent
	if err := json.Unmarshal(req.Webhook.Body, &ev); err != nil {
		return nil, fmt.Errorf("demo: the delivery is not an event: %w", err)
	}
	switch ev.Type {
	case "payment.created", "payment.updated":
		var t bankTransaction
		if err := json.Unmarshal(ev.Data.Object, &t); err != nil {
			return nil, malformed("transaction", ev.Data.Object, err)
		}
		p, err := toPayment(&t, ev.Data.Object)
		if err != nil {
			return nil, err
		}
		return []connector.WebhookResponse{{Payment: &p}}, nil
	case "balance.updated":
		var b bankBalance
		if err := json.Unmarshal(ev.Data.Object, &b); err != nil {
			return nil, malformed("balance", ev.Data.Object, err)
		}
		bal, err := toBalance(&b, ev.Data.Object)
		if err != nil {
			return nil, err
		}
		return []connector.WebhookResponse{{Balance: &bal}}, nil
	case "payment.deleted":
		var t bankTransaction
		if err := json.Unmarshal(ev.Data.Object, &t); err != nil || t.ID == "" {
			return nil, malformed("transaction", ev.Data.Object, fmt.Errorf("no id"))
		}
		return []connector.WebhookResponse{{PaymentToDelete: t.ID}}, nil
	}
	// Other events carry nothing this connector stores.
	return nil, nil
}

// secretOf is the signing secret of a webhook config, "" when unknown.
func (c *Connector) secretOf(name string) string {
	c.whMu.Lock()
	defer c.whMu.Unlock()
	return c.secrets[name]
}
