package stripe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v80"
	"github.com/stripe/stripe-go/v80/webhook"

	"github.com/switchboardpay/switchboard/connector"
)

// Webhooks: CreateWebhooks registers one endpoint through the API
// (POST /v1/webhook_endpoints) and keeps its signing secret, which Stripe
// shows once; VerifyWebhook is stripe-go's own webhook.ConstructEvent;
// TranslateWebhook maps charge, payout, transfer and balance events.
// stripe-mock sends no webhooks, so TriggerWebhook builds a signed event
// from a stripe-mock object and delivers it to the ingress itself, as
// `stripe trigger` would have Stripe do.

var (
	_ connector.WebhookCreator    = (*Connector)(nil)
	_ connector.WebhookVerifier   = (*Connector)(nil)
	_ connector.WebhookTranslator = (*Connector)(nil)
	_ connector.WebhookSigner     = (*Connector)(nil)
	_ connector.WebhookTriggerer  = (*Connector)(nil)
)

// webhookName is the one config the connector registers.
const webhookName = "stripe"

// signatureHeader is Stripe's.
const signatureHeader = "Stripe-Signature"

// webhookEvents are the events the endpoint is enabled for, and those
// TriggerWebhook builds.
var webhookEvents = []string{
	"charge.succeeded", "charge.failed", "charge.refunded",
	"payout.created", "payout.paid", "payout.failed",
	"transfer.created", "transfer.reversed",
	"balance.available",
}

var errNoWebhookSecret = errors.New("stripe: no signing secret known for this webhook (Stripe shows it once): call webhook/create again, or set webhookSecret in the config")

// CreateWebhooks registers WebhookBaseURL/stripe for webhookEvents.
func (c *Connector) CreateWebhooks(ctx context.Context, req connector.CreateWebhooksRequest) (connector.CreateWebhooksResponse, error) {
	if req.WebhookBaseURL == "" {
		return connector.CreateWebhooksResponse{}, errors.New("stripe: no webhook base URL")
	}
	params := &stripego.WebhookEndpointParams{
		Params:        stripego.Params{Context: ctx},
		URL:           stripego.String(strings.TrimSuffix(req.WebhookBaseURL, "/") + "/" + webhookName),
		EnabledEvents: stripego.StringSlice(webhookEvents),
		Description:   stripego.String("switchboard " + req.ConnectorID),
	}
	ep, err := c.api.WebhookEndpoints.New(params)
	if err != nil {
		return connector.CreateWebhooksResponse{}, wrapErr(ctx, "POST /v1/webhook_endpoints", err)
	}
	c.mu.Lock()
	if ep.Secret != "" {
		c.webhookSecret = ep.Secret
	}
	known := c.webhookSecret != ""
	c.mu.Unlock()
	if !known {
		return connector.CreateWebhooksResponse{}, fmt.Errorf("stripe: webhook endpoint %s came back without its signing secret (stripe-mock answers none): set webhookSecret in the config", ep.ID)
	}
	return connector.CreateWebhooksResponse{Configs: []connector.WebhookConfig{{
		Name: webhookName, URLPath: "/" + webhookName, Metadata: map[string]string{"endpointId": ep.ID},
	}}}, nil
}

func (c *Connector) secret() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.webhookSecret
}

// VerifyWebhook checks Stripe-Signature with stripe-go's ConstructEvent
// (its 5-minute tolerance); the event id is the idempotency key.
func (c *Connector) VerifyWebhook(ctx context.Context, req connector.WebhookRequest) (connector.VerifyWebhookResponse, error) {
	secret := c.secret()
	if secret == "" {
		return connector.VerifyWebhookResponse{}, errNoWebhookSecret
	}
	ev, err := webhook.ConstructEventWithOptions(req.Webhook.Body, firstHeader(req.Webhook.Headers, signatureHeader), secret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return connector.VerifyWebhookResponse{}, fmt.Errorf("stripe: %w", err)
	}
	return connector.VerifyWebhookResponse{IdempotencyKey: ev.ID}, nil
}

// TranslateWebhook maps an event's object: charges, payouts and transfers
// to payments (referenced by their balance transaction, as FetchPayments
// references them), a balance to the account's balances.
func (c *Connector) TranslateWebhook(ctx context.Context, req connector.WebhookRequest) ([]connector.WebhookResponse, error) {
	var ev stripego.Event
	if err := json.Unmarshal(req.Webhook.Body, &ev); err != nil {
		return nil, malformed("event", err)
	}
	if ev.Data == nil {
		return nil, malformed("event "+ev.ID, errors.New("no data"))
	}
	raw := ev.Data.Raw
	account := ev.Account
	if account == "" {
		p, err := c.platform(ctx)
		if err != nil {
			return nil, err
		}
		account = p
	}
	kind, _, _ := strings.Cut(string(ev.Type), ".")
	switch kind {
	case "charge":
		var ch stripego.Charge
		if err := json.Unmarshal(raw, &ch); err != nil {
			return nil, malformed("charge", err)
		}
		p, err := chargePayment(account, &ch, raw)
		if err != nil {
			return nil, err
		}
		return []connector.WebhookResponse{{Payment: &p}}, nil
	case "payout":
		var po stripego.Payout
		if err := json.Unmarshal(raw, &po); err != nil {
			return nil, malformed("payout", err)
		}
		p, err := payoutPayment(account, &po)
		if err != nil {
			return nil, err
		}
		p.Raw = raw
		return []connector.WebhookResponse{{Payment: &p}}, nil
	case "transfer":
		var tr stripego.Transfer
		if err := json.Unmarshal(raw, &tr); err != nil {
			return nil, malformed("transfer", err)
		}
		p, err := transferPayment(account, &tr)
		if err != nil {
			return nil, err
		}
		p.Raw = raw
		return []connector.WebhookResponse{{Payment: &p}}, nil
	case "balance":
		var b stripego.Balance
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, malformed("balance", err)
		}
		at := time.Unix(ev.Created, 0).UTC()
		var out []connector.WebhookResponse
		for _, a := range b.Available {
			if a == nil {
				continue
			}
			as, err := assetOf(string(a.Currency))
			if err != nil {
				return nil, malformed("balance", err)
			}
			out = append(out, connector.WebhookResponse{Balance: &connector.Balance{AccountReference: account, Asset: as, Amount: big.NewInt(a.Amount), CreatedAt: at}})
		}
		return out, nil
	}
	return nil, nil // other events carry nothing stored
}

// chargePayment maps a charge: a pay-in to the account.
func chargePayment(account string, ch *stripego.Charge, raw json.RawMessage) (connector.Payment, error) {
	as, err := assetOf(string(ch.Currency))
	if err != nil {
		return connector.Payment{}, malformed("charge "+ch.ID, err)
	}
	p := connector.Payment{
		Reference:                   createdReference(ch.ID, ch.BalanceTransaction),
		CreatedAt:                   unixTime(ch.Created),
		Type:                        connector.PaymentTypePayIn,
		Amount:                      big.NewInt(ch.Amount),
		Asset:                       as,
		Scheme:                      "other",
		Status:                      connector.PaymentStatusPending,
		DestinationAccountReference: account,
		Metadata:                    createdMeta("charge", ch.ID, ch.Metadata),
		Raw:                         raw,
	}
	if s, ok := chargeStatuses[ch.Status]; ok {
		p.Status = s
	}
	if ch.Refunded {
		p.Status = connector.PaymentStatusRefunded
	}
	return p, nil
}

// SignWebhook signs a delivery again with the endpoint's secret and the
// time now (webhook/replay with resign).
func (c *Connector) SignWebhook(ctx context.Context, req connector.WebhookRequest) (connector.Webhook, error) {
	secret := c.secret()
	if secret == "" {
		return connector.Webhook{}, errNoWebhookSecret
	}
	out := req.Webhook
	out.Headers = map[string][]string{}
	for k, vs := range req.Webhook.Headers {
		if !strings.EqualFold(k, signatureHeader) {
			out.Headers[k] = vs
		}
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: req.Webhook.Body, Secret: secret})
	out.Headers[signatureHeader] = []string{signed.Header}
	return out, nil
}

// WebhookEvents are the events TriggerWebhook builds.
func (c *Connector) WebhookEvents() []string { return webhookEvents }

// TriggerWebhook builds EVENT around an object the API answers (from
// stripe-mock, its fixture), signs it with the endpoint's secret as Stripe
// signs, and POSTs it to the session's ingress.
func (c *Connector) TriggerWebhook(ctx context.Context, req connector.TriggerWebhookRequest) (connector.TriggerWebhookResponse, error) {
	if !slices.Contains(webhookEvents, req.Event) {
		return connector.TriggerWebhookResponse{}, fmt.Errorf("stripe: unknown event %q", req.Event)
	}
	secret := c.secret()
	if secret == "" || req.WebhookBaseURL == "" {
		return connector.TriggerWebhookResponse{}, errors.New("stripe: create the webhooks first (webhook/create)")
	}
	obj, err := c.eventObject(ctx, req.Event)
	if err != nil {
		return connector.TriggerWebhookResponse{}, err
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return connector.TriggerWebhookResponse{}, err
	}
	ev := map[string]any{
		"id": "evt_" + hex.EncodeToString(id), "object": "event", "api_version": stripego.APIVersion,
		"created": time.Now().Unix(), "livemode": false, "type": req.Event, "pending_webhooks": 1,
		"data": map[string]json.RawMessage{"object": obj},
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return connector.TriggerWebhookResponse{}, err
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret})
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(req.WebhookBaseURL, "/")+"/"+webhookName, bytes.NewReader(body))
	if err != nil {
		return connector.TriggerWebhookResponse{}, err
	}
	hreq.Header.Set("Content-Type", "application/json; charset=utf-8")
	hreq.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	hreq.Header.Set(signatureHeader, signed.Header)
	hreq.Close = true // one request: no idle connection left behind
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return connector.TriggerWebhookResponse{}, fmt.Errorf("stripe: delivering %s: %w", req.Event, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return connector.TriggerWebhookResponse{Detail: fmt.Sprintf("delivered %s (%s) to the ingress: %s", ev["id"], req.Event, resp.Status)}, nil
}

// eventObject fetches the object an event of this type carries.
func (c *Connector) eventObject(ctx context.Context, event string) (json.RawMessage, error) {
	p := stripego.Params{Context: ctx}
	kind, _, _ := strings.Cut(event, ".")
	var lr *stripego.APIResponse
	switch kind {
	case "charge":
		ch, err := c.api.Charges.Get("ch_switchboard_trigger", &stripego.ChargeParams{Params: p})
		if err != nil {
			return nil, wrapErr(ctx, "GET /v1/charges", err)
		}
		lr = ch.LastResponse
	case "payout":
		po, err := c.api.Payouts.Get("po_switchboard_trigger", &stripego.PayoutParams{Params: p})
		if err != nil {
			return nil, wrapErr(ctx, "GET /v1/payouts", err)
		}
		lr = po.LastResponse
	case "transfer":
		tr, err := c.api.Transfers.Get("tr_switchboard_trigger", &stripego.TransferParams{Params: p})
		if err != nil {
			return nil, wrapErr(ctx, "GET /v1/transfers", err)
		}
		lr = tr.LastResponse
	default:
		b, err := c.api.Balance.Get(&stripego.BalanceParams{Params: p})
		if err != nil {
			return nil, wrapErr(ctx, "GET /v1/balance", err)
		}
		lr = b.LastResponse
	}
	if lr == nil || len(lr.RawJSON) == 0 {
		return nil, fmt.Errorf("stripe: the %s object came back empty", kind)
	}
	return lr.RawJSON, nil
}

// firstHeader returns a header's first value, its name in any case.
func firstHeader(h map[string][]string, name string) string {
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}
