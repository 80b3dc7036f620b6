package stripe

import (
	"encoding/json"
	"math/big"
	"strconv"
	"time"

	stripego "github.com/stripe/stripe-go/v80"

	"github.com/switchboardpay/switchboard/connector"
)

// btStatuses maps a balance transaction's own status, the default status
// of every payment.
var btStatuses = map[stripego.BalanceTransactionStatus]connector.PaymentStatus{
	stripego.BalanceTransactionStatusAvailable: connector.PaymentStatusSucceeded,
	stripego.BalanceTransactionStatusPending:   connector.PaymentStatusPending,
}

// btKind is the payment type and, when the type says it, the status of a
// balance transaction type.
type btKind struct {
	typ    connector.PaymentType
	status connector.PaymentStatus // "" keeps the default
}

var btKinds = map[stripego.BalanceTransactionType]btKind{
	stripego.BalanceTransactionTypeCharge:               {connector.PaymentTypePayIn, ""},
	stripego.BalanceTransactionTypePayment:              {connector.PaymentTypePayIn, ""},
	stripego.BalanceTransactionTypeRefund:               {connector.PaymentTypePayIn, connector.PaymentStatusRefunded},
	stripego.BalanceTransactionTypePaymentRefund:        {connector.PaymentTypePayIn, connector.PaymentStatusRefunded},
	stripego.BalanceTransactionTypeRefundFailure:        {connector.PaymentTypePayIn, connector.PaymentStatusRefundedFailure},
	stripego.BalanceTransactionTypePaymentFailureRefund: {connector.PaymentTypePayIn, connector.PaymentStatusRefundedFailure},
	stripego.BalanceTransactionTypePaymentReversal:      {connector.PaymentTypePayIn, connector.PaymentStatusFailed},
	stripego.BalanceTransactionTypePayout:               {connector.PaymentTypePayout, ""},
	stripego.BalanceTransactionTypePayoutCancel:         {connector.PaymentTypePayout, connector.PaymentStatusCancelled},
	stripego.BalanceTransactionTypePayoutFailure:        {connector.PaymentTypePayout, connector.PaymentStatusFailed},
	stripego.BalanceTransactionTypeTransfer:             {connector.PaymentTypeTransfer, ""},
	stripego.BalanceTransactionTypeTransferCancel:       {connector.PaymentTypeTransfer, connector.PaymentStatusCancelled},
	stripego.BalanceTransactionTypeTransferFailure:      {connector.PaymentTypeTransfer, connector.PaymentStatusFailed},
	stripego.BalanceTransactionTypeTransferRefund:       {connector.PaymentTypeTransfer, connector.PaymentStatusRefunded},
}

var chargeStatuses = map[stripego.ChargeStatus]connector.PaymentStatus{
	stripego.ChargeStatusSucceeded: connector.PaymentStatusSucceeded,
	stripego.ChargeStatusPending:   connector.PaymentStatusPending,
	stripego.ChargeStatusFailed:    connector.PaymentStatusFailed,
}

var payoutStatuses = map[stripego.PayoutStatus]connector.PaymentStatus{
	stripego.PayoutStatusPaid:      connector.PaymentStatusSucceeded,
	stripego.PayoutStatusPending:   connector.PaymentStatusPending,
	stripego.PayoutStatusInTransit: connector.PaymentStatusPending,
	stripego.PayoutStatusFailed:    connector.PaymentStatusFailed,
	stripego.PayoutStatusCanceled:  connector.PaymentStatusCancelled,
}

var refundStatuses = map[stripego.RefundStatus]connector.PaymentStatus{
	stripego.RefundStatusFailed:   connector.PaymentStatusRefundedFailure,
	stripego.RefundStatusCanceled: connector.PaymentStatusCancelled,
}

func disputeStatus(d *stripego.Dispute) connector.PaymentStatus {
	if d != nil {
		switch d.Status {
		case stripego.DisputeStatusWon:
			return connector.PaymentStatusDisputeWon
		case stripego.DisputeStatusLost:
			return connector.PaymentStatusDisputeLost
		}
	}
	return connector.PaymentStatusDispute
}

// toPayment maps a balance transaction of account into a Payment. Every
// balance transaction is one payment, referenced by its txn_ id (the
// object it moved, ch_/re_/po_/tr_..., is in metadata "stripe/source"), so
// that the cursor's ids and the items' references are the same.
//
// Type: charge and payment are PAY-IN; refund and payment_refund are PAY-IN
// with status REFUNDED (a refund is its own item, linked to its charge by
// metadata "stripe/charge", rather than an OTHER, so that refunds stay with
// the pay-ins they undo), refund_failure and payment_failure_refund PAY-IN
// REFUNDED_FAILURE, payment_reversal PAY-IN FAILED; payout PAYOUT
// (payout_cancel CANCELLED, payout_failure FAILED); transfer TRANSFER
// (transfer_cancel CANCELLED, transfer_failure FAILED, transfer_refund
// REFUNDED); a dispute (reporting category dispute or dispute_reversal,
// or a dispute source) is a PAY-IN with DISPUTE, DISPUTE_WON or
// DISPUTE_LOST; anything else (fees, application fees, top-ups,
// adjustments, Issuing...) is OTHER.
//
// Status: the balance transaction's own (available SUCCEEDED, pending
// PENDING) unless the type above says otherwise, refined by the expanded
// source: a charge's status (succeeded, pending, failed), then DISPUTE
// when it is disputed or REFUNDED when fully refunded; a payout's status
// (paid SUCCEEDED, pending and in_transit PENDING, failed, canceled); a
// refund that failed or was canceled; a transfer fully reversed REFUNDED.
//
// Amount: the absolute gross amount in minor units of the transaction's
// currency (Stripe signs it by direction); the account is the destination
// of money coming in and the source of money going out. For a partly or
// fully refunded charge in its balance currency, InitialAmount is the
// charged amount and Amount what is left of it. Raw is the balance
// transaction's JSON, expanded source included.
func toPayment(account string, bt *stripego.BalanceTransaction, raw json.RawMessage) (connector.Payment, error) {
	as, err := assetOf(string(bt.Currency))
	if err != nil {
		return connector.Payment{}, malformed("balance transaction "+bt.ID, err)
	}
	gross := bt.Amount
	if gross < 0 {
		gross = -gross
	}
	p := connector.Payment{
		Reference: bt.ID,
		CreatedAt: unixTime(bt.Created),
		Type:      connector.PaymentTypeOther,
		Amount:    big.NewInt(gross),
		Asset:     as,
		Scheme:    "other",
		Status:    connector.PaymentStatusOther,
		Metadata:  map[string]string{},
		Raw:       raw,
	}
	if s, ok := btStatuses[bt.Status]; ok {
		p.Status = s
	}
	if bt.Amount < 0 {
		p.SourceAccountReference = account
	} else {
		p.DestinationAccountReference = account
	}
	if k, ok := btKinds[bt.Type]; ok {
		p.Type = k.typ
		if k.status != "" {
			p.Status = k.status
		}
	}
	switch bt.ReportingCategory {
	case stripego.BalanceTransactionReportingCategoryDispute:
		p.Type, p.Status = connector.PaymentTypePayIn, connector.PaymentStatusDispute
	case stripego.BalanceTransactionReportingCategoryDisputeReversal:
		p.Type, p.Status = connector.PaymentTypePayIn, connector.PaymentStatusDisputeWon
	}

	meta := func(k, v string) {
		if v != "" {
			p.Metadata["stripe/"+k] = v
		}
	}
	meta("type", string(bt.Type))
	meta("status", string(bt.Status))
	meta("reportingCategory", string(bt.ReportingCategory))
	meta("description", bt.Description)
	meta("fee", strconv.FormatInt(bt.Fee, 10))
	meta("net", strconv.FormatInt(bt.Net, 10))
	if bt.AvailableOn != 0 {
		meta("availableOn", unixTime(bt.AvailableOn).Format(time.RFC3339))
	}
	if bt.ExchangeRate != 0 {
		meta("exchangeRate", strconv.FormatFloat(bt.ExchangeRate, 'f', -1, 64))
	}
	copyMeta := func(m map[string]string) {
		for k, v := range m {
			if _, taken := p.Metadata[k]; !taken {
				p.Metadata[k] = v
			}
		}
	}

	src := bt.Source
	if src == nil {
		return p, nil
	}
	meta("source", src.ID)
	switch {
	case src.Charge != nil && (bt.Type == stripego.BalanceTransactionTypeCharge || bt.Type == stripego.BalanceTransactionTypePayment):
		ch := src.Charge
		copyMeta(ch.Metadata)
		if s, ok := chargeStatuses[ch.Status]; ok && p.Status != connector.PaymentStatusDispute && p.Status != connector.PaymentStatusDisputeWon {
			p.Status = s
			switch {
			case ch.Disputed:
				p.Status = connector.PaymentStatusDispute
			case ch.Refunded:
				p.Status = connector.PaymentStatusRefunded
			}
		}
		if ch.AmountRefunded > 0 && ch.Currency == bt.Currency && bt.Amount > 0 {
			p.InitialAmount = big.NewInt(gross)
			p.Amount = big.NewInt(max(gross-ch.AmountRefunded, 0))
		}
		if pmd := ch.PaymentMethodDetails; pmd != nil {
			switch {
			case pmd.Card != nil && pmd.Card.Brand != "":
				p.Scheme = "card_" + string(pmd.Card.Brand)
			case pmd.Type != "":
				p.Scheme = string(pmd.Type)
			}
		}
		if ch.Customer != nil {
			meta("customer", ch.Customer.ID)
		}
	case src.Refund != nil:
		re := src.Refund
		copyMeta(re.Metadata)
		if s, ok := refundStatuses[re.Status]; ok {
			p.Status = s
		}
		if re.Charge != nil {
			meta("charge", re.Charge.ID)
		}
	case src.Payout != nil:
		po := src.Payout
		copyMeta(po.Metadata)
		if s, ok := payoutStatuses[po.Status]; ok && bt.Type == stripego.BalanceTransactionTypePayout {
			p.Status = s
		}
		if po.Destination != nil && po.Destination.ID != "" && bt.Amount <= 0 {
			p.DestinationAccountReference = po.Destination.ID
		}
		meta("payoutMethod", string(po.Method))
	case src.Transfer != nil:
		tr := src.Transfer
		copyMeta(tr.Metadata)
		if tr.Destination != nil && tr.Destination.ID != "" && bt.Amount <= 0 {
			p.DestinationAccountReference = tr.Destination.ID
		}
		if tr.Reversed && bt.Type == stripego.BalanceTransactionTypeTransfer {
			p.Status = connector.PaymentStatusRefunded
		}
	case src.Dispute != nil:
		p.Type = connector.PaymentTypePayIn
		if p.Status != connector.PaymentStatusDisputeWon {
			p.Status = disputeStatus(src.Dispute)
		}
		if src.Dispute.Charge != nil {
			meta("charge", src.Dispute.Charge.ID)
		}
	}
	return p, nil
}
