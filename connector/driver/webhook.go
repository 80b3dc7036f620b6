package driver

import (
	"fmt"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/protocol"
)

// Translated is what a webhook delivery's responses come to: records per
// resource, as a fetched page's, and the payment references to delete or
// cancel.
type Translated struct {
	Records   map[string][]Record
	Deleted   []string
	Cancelled []string
}

// TranslateResponses encodes a connector's webhook responses the way
// Fetch encodes a page's items.
func TranslateResponses(rs []connector.WebhookResponse) (Translated, error) {
	out := Translated{Records: map[string][]Record{}}
	add := func(resource string, buf []byte, err error, rec Record) error {
		if err != nil {
			return fmt.Errorf("a translated %s has invalid raw JSON: %w", resource, err)
		}
		if rec.Ref == "" || rec.Ref == "/" {
			return fmt.Errorf("a translated %s has no reference", resource)
		}
		rec.JSON = buf
		out.Records[resource] = append(out.Records[resource], rec)
		return nil
	}
	for _, r := range rs {
		var err error
		if r.Account != nil {
			w := wire.AccountToWire(*r.Account)
			b, e := AppendAccount(nil, &w)
			err = add(protocol.ResourceAccounts, b, e, accountRecord(&w))
		}
		if err == nil && r.ExternalAccount != nil {
			w := wire.AccountToWire(*r.ExternalAccount)
			b, e := AppendAccount(nil, &w)
			err = add(protocol.ResourceExternalAccounts, b, e, accountRecord(&w))
		}
		if err == nil && r.Payment != nil {
			w := wire.PaymentToWire(*r.Payment)
			b, e := AppendPayment(nil, &w)
			err = add(protocol.ResourcePayments, b, e, paymentRecord(&w))
		}
		if err == nil && r.Balance != nil {
			w := wire.BalanceToWire(*r.Balance)
			b, e := AppendBalance(nil, &w)
			err = add(protocol.ResourceBalances, b, e, balanceRecord(&w))
		}
		if err != nil {
			return out, err
		}
		if r.PaymentToDelete != "" {
			out.Deleted = append(out.Deleted, r.PaymentToDelete)
		}
		if r.PaymentToCancel != "" {
			out.Cancelled = append(out.Cancelled, r.PaymentToCancel)
		}
	}
	return out, nil
}
