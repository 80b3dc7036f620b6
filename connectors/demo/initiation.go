package demo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardpay/switchboard/connector"
)

// initiationBody is the bank's body for POST /v1/transfers and /v1/payouts.
type initiationBody struct {
	SourceAccountID      string            `json:"source_account_id"`
	DestinationAccountID string            `json:"destination_account_id,omitempty"`
	BeneficiaryID        string            `json:"beneficiary_id,omitempty"`
	Amount               string            `json:"amount"`
	Currency             string            `json:"currency"`
	Decimals             int               `json:"decimals"`
	Reference            string            `json:"reference,omitempty"`
	Description          string            `json:"description,omitempty"`
	Metadata             map[string]string `json:"metadata,omitempty"`
}

// invalid is an initiation the bank would refuse anyway; saying so before
// the call gives a clearer message.
func invalid(format string, args ...any) error {
	return &connector.Error{HTTPStatus: 0, Message: fmt.Sprintf(format, args...)}
}

func toBody(in connector.Initiation, payout bool) (initiationBody, error) {
	if in.Amount == nil || in.Amount.Sign() <= 0 {
		return initiationBody{}, invalid("amount must be a positive number of minor units")
	}
	code, dec, ok := strings.Cut(in.Asset, "/")
	decimals, err := strconv.Atoi(dec)
	if !ok || code == "" || err != nil || decimals < 0 {
		return initiationBody{}, invalid("asset %q is not CODE/DECIMALS", in.Asset)
	}
	if in.SourceAccountReference == "" || in.DestinationAccountReference == "" {
		return initiationBody{}, invalid("source and destination account references are required")
	}
	b := initiationBody{
		SourceAccountID: in.SourceAccountReference,
		Amount:          in.Amount.String(),
		Currency:        code,
		Decimals:        decimals,
		Reference:       in.Reference,
		Description:     in.Description,
		Metadata:        in.Metadata,
	}
	if payout {
		b.BeneficiaryID = in.DestinationAccountReference
	} else {
		b.DestinationAccountID = in.DestinationAccountReference
	}
	return b, nil
}

// idempotency makes a retried initiation with the same reference return the
// first payment instead of paying twice.
func idempotency(in connector.Initiation) http.Header {
	if in.Reference == "" {
		return nil
	}
	return http.Header{"Idempotency-Key": {in.Reference}}
}

func (c *Connector) create(ctx context.Context, path string, in connector.Initiation, payout bool) (connector.Payment, error) {
	body, err := toBody(in, payout)
	if err != nil {
		return connector.Payment{}, err
	}
	var t bankTransaction
	raw, err := c.do(ctx, http.MethodPost, path, nil, body, idempotency(in), &t)
	if err != nil {
		return connector.Payment{}, err
	}
	return toPayment(&t, raw)
}

// CreateTransfer moves money between two accounts of the bank; transfers
// settle at once.
func (c *Connector) CreateTransfer(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	p, err := c.create(ctx, "/v1/transfers", in, false)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	c.log.Info("transfer created", "reference", p.Reference, "status", p.Status)
	return connector.InitiationResult{Payment: &p}, nil
}

// CreatePayout pays a beneficiary (DestinationAccountReference). The bank
// settles payouts later, so a pending one comes back as a polling id.
func (c *Connector) CreatePayout(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	p, err := c.create(ctx, "/v1/payouts", in, true)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	c.log.Info("payout created", "reference", p.Reference, "status", p.Status)
	if p.Status == connector.PaymentStatusPending {
		return connector.InitiationResult{PollingID: p.Reference}, nil
	}
	return connector.InitiationResult{Payment: &p}, nil
}

func (c *Connector) poll(ctx context.Context, path string) (connector.PollResult, error) {
	var t bankTransaction
	raw, err := c.do(ctx, http.MethodGet, path, nil, nil, nil, &t)
	if err != nil {
		return connector.PollResult{}, err
	}
	p, err := toPayment(&t, raw)
	if err != nil {
		return connector.PollResult{}, err
	}
	switch p.Status {
	case connector.PaymentStatusPending:
		return connector.PollResult{}, nil
	case connector.PaymentStatusFailed, connector.PaymentStatusCancelled:
		reason := p.Metadata["demo/failure_reason"]
		if reason == "" {
			reason = string(p.Status)
		}
		return connector.PollResult{Payment: &p, Error: "rejected by the bank: " + reason}, nil
	}
	return connector.PollResult{Payment: &p}, nil
}

// PollPayout polls a payout created with a polling id.
func (c *Connector) PollPayout(ctx context.Context, pollingID string) (connector.PollResult, error) {
	return c.poll(ctx, "/v1/payouts/"+url.PathEscape(pollingID))
}

// PollTransfer polls a transfer; the bank settles transfers at once, so
// this only confirms one.
func (c *Connector) PollTransfer(ctx context.Context, pollingID string) (connector.PollResult, error) {
	return c.poll(ctx, "/v1/transfers/"+url.PathEscape(pollingID))
}
