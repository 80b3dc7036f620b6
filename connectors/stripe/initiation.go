package stripe

import (
	"context"
	"math/big"
	"strings"

	stripego "github.com/stripe/stripe-go/v80"

	"github.com/switchboardpay/switchboard/connector"
)

// initiationAmount checks an initiation's amount and asset and returns
// them as Stripe takes them.
func initiationAmount(in connector.Initiation) (int64, string, error) {
	if in.Amount == nil || in.Amount.Sign() <= 0 || !in.Amount.IsInt64() {
		return 0, "", invalid("stripe: amount must be a positive number of minor units that fits in 64 bits")
	}
	currency, err := currencyOf(in.Asset)
	if err != nil {
		return 0, "", invalid("stripe: %v", err)
	}
	return in.Amount.Int64(), currency, nil
}

// sourceAccount is the account money leaves: the platform when ref is
// empty or the platform's id, else a connected account, which the request
// then acts as (Stripe-Account header).
func (c *Connector) sourceAccount(ctx context.Context, ref string) (parent, error) {
	pid, err := c.platform(ctx)
	if err != nil {
		return parent{}, err
	}
	if ref == "" || ref == pid {
		return parent{ID: pid, Platform: true}, nil
	}
	return parent{ID: ref}, nil
}

// commonParams sets what every creation shares: the context, the
// idempotency key (the initiation's reference, so a retried creation does
// not pay twice), the account acted as, description and metadata.
func commonParams(ctx context.Context, in connector.Initiation, src parent) stripego.Params {
	p := stripego.Params{Context: ctx}
	if ref := strings.TrimSpace(in.Reference); ref != "" {
		p.SetIdempotencyKey(ref)
	}
	if !src.Platform {
		p.SetStripeAccount(src.ID)
	}
	return p
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return stripego.String(s)
}

// CreateTransfer sends money from the platform's balance (or a connected
// account's, given as sourceAccountReference) to the connected account
// destinationAccountReference: POST /v1/transfers. Transfers settle at
// once, so the payment comes back directly.
func (c *Connector) CreateTransfer(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	amount, currency, err := initiationAmount(in)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	if in.DestinationAccountReference == "" {
		return connector.InitiationResult{}, invalid("stripe: a transfer needs destinationAccountReference (a connected account acct_...)")
	}
	src, err := c.sourceAccount(ctx, in.SourceAccountReference)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	params := &stripego.TransferParams{
		Params:      commonParams(ctx, in, src),
		Amount:      stripego.Int64(amount),
		Currency:    stripego.String(currency),
		Destination: stripego.String(in.DestinationAccountReference),
		Description: optString(in.Description),
		Metadata:    in.Metadata,
	}
	tr, err := c.api.Transfers.New(params)
	if err != nil {
		return connector.InitiationResult{}, wrapErr(ctx, "POST /v1/transfers", err)
	}
	p, err := transferPayment(src.ID, tr)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	c.log.Info("stripe transfer created", "transfer", tr.ID, "reference", p.Reference, "amount", p.Amount.String(), "asset", p.Asset)
	return connector.InitiationResult{Payment: &p}, nil
}

// CreatePayout pays money out of the platform's balance (or a connected
// account's, given as sourceAccountReference) to its bank account or card
// destinationAccountReference (ba_..., card_...; empty means the default
// one for the currency): POST /v1/payouts. A payout is usually still
// pending or in transit when created; its status says so, and later syncs
// see it settle through its balance transaction.
func (c *Connector) CreatePayout(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	amount, currency, err := initiationAmount(in)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	src, err := c.sourceAccount(ctx, in.SourceAccountReference)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	params := &stripego.PayoutParams{
		Params:      commonParams(ctx, in, src),
		Amount:      stripego.Int64(amount),
		Currency:    stripego.String(currency),
		Destination: optString(in.DestinationAccountReference),
		Description: optString(in.Description),
		Metadata:    in.Metadata,
	}
	po, err := c.api.Payouts.New(params)
	if err != nil {
		return connector.InitiationResult{}, wrapErr(ctx, "POST /v1/payouts", err)
	}
	p, err := payoutPayment(src.ID, po)
	if err != nil {
		return connector.InitiationResult{}, err
	}
	c.log.Info("stripe payout created", "payout", po.ID, "reference", p.Reference, "status", p.Status, "amount", p.Amount.String(), "asset", p.Asset)
	return connector.InitiationResult{Payment: &p}, nil
}

// createdReference is the reference of a created transfer or payout: its
// balance transaction's id, the reference a later fetch of payments gives
// the same movement, or the object's own id while it has none.
func createdReference(id string, bt *stripego.BalanceTransaction) string {
	if bt != nil && bt.ID != "" {
		return bt.ID
	}
	return id
}

func createdMeta(kind, id string, m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	out["stripe/type"] = kind
	out["stripe/source"] = id
	return out
}

func transferPayment(source string, tr *stripego.Transfer) (connector.Payment, error) {
	as, err := assetOf(string(tr.Currency))
	if err != nil {
		return connector.Payment{}, malformed("transfer "+tr.ID, err)
	}
	p := connector.Payment{
		Reference:              createdReference(tr.ID, tr.BalanceTransaction),
		CreatedAt:              unixTime(tr.Created),
		Type:                   connector.PaymentTypeTransfer,
		Amount:                 big.NewInt(tr.Amount),
		Asset:                  as,
		Scheme:                 "other",
		Status:                 connector.PaymentStatusSucceeded,
		SourceAccountReference: source,
		Metadata:               createdMeta("transfer", tr.ID, tr.Metadata),
	}
	if tr.LastResponse != nil {
		p.Raw = tr.LastResponse.RawJSON
	}
	if tr.Destination != nil {
		p.DestinationAccountReference = tr.Destination.ID
	}
	if tr.AmountReversed > 0 {
		p.InitialAmount = big.NewInt(tr.Amount)
		p.Amount = big.NewInt(max(tr.Amount-tr.AmountReversed, 0))
	}
	if tr.Reversed {
		p.Status = connector.PaymentStatusRefunded
	}
	return p, nil
}

func payoutPayment(source string, po *stripego.Payout) (connector.Payment, error) {
	as, err := assetOf(string(po.Currency))
	if err != nil {
		return connector.Payment{}, malformed("payout "+po.ID, err)
	}
	p := connector.Payment{
		Reference:              createdReference(po.ID, po.BalanceTransaction),
		CreatedAt:              unixTime(po.Created),
		Type:                   connector.PaymentTypePayout,
		Amount:                 big.NewInt(po.Amount),
		Asset:                  as,
		Scheme:                 "other",
		Status:                 connector.PaymentStatusPending,
		SourceAccountReference: source,
		Metadata:               createdMeta("payout", po.ID, po.Metadata),
	}
	if s, ok := payoutStatuses[po.Status]; ok {
		p.Status = s
	}
	if po.LastResponse != nil {
		p.Raw = po.LastResponse.RawJSON
	}
	if po.Destination != nil {
		p.DestinationAccountReference = po.Destination.ID
	}
	if po.Method != "" {
		p.Metadata["stripe/payoutMethod"] = string(po.Method)
	}
	return p, nil
}
