package driver

import (
	"context"
	"encoding/json"
	"fmt"

	fastjson "github.com/segmentio/encoding/json"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/protocol"
)

// WireFetcher is a connector whose pages already are wire JSON: a
// connector in another process (daemon/remote). Fetch decodes its items
// once into the wire types, validates and normalizes them, and encodes
// them once, instead of converting them to the SDK's types (big.Int
// amounts) and back.
type WireFetcher interface {
	FetchWire(ctx context.Context, resource string, req connector.FetchRequest) (wire.FetchResult, error)
}

// wirePage returns the fetch function of a wire page of W, each item
// checked by norm.
func wirePage[W any](w WireFetcher, resource string, norm func(*W) error) func(context.Context, connector.FetchRequest) (connector.Page[W], error) {
	return func(ctx context.Context, req connector.FetchRequest) (connector.Page[W], error) {
		res, err := w.FetchWire(ctx, resource, req)
		if err != nil {
			return connector.Page[W]{}, err
		}
		var items []W
		if len(res.Items) > 0 && string(res.Items) != "null" {
			if err := fastjson.Unmarshal(res.Items, &items); err != nil {
				return connector.Page[W]{}, fmt.Errorf("returned invalid %s items: %w", resource, err)
			}
		}
		for i := range items {
			if err := norm(&items[i]); err != nil {
				return connector.Page[W]{}, fmt.Errorf("returned an invalid item %d: %w", i, err)
			}
		}
		return connector.Page[W]{Items: items, NewState: res.NewState, HasMore: res.HasMore,
			PaymentsToDelete: res.PaymentsToDelete, PaymentsToCancel: res.PaymentsToCancel}, nil
	}
}

func same[W any](w W) W { return w }

// checkAmount accepts what wire.ParseAmount does: an optional minus and
// decimal digits, "" when optional.
func checkAmount(field, s string, optional bool) error {
	if s == "" && optional {
		return nil
	}
	digits := s
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		digits = digits[1:]
	}
	if digits == "" {
		return fmt.Errorf("%s: %q is not an integer amount in minor units", field, s)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return fmt.Errorf("%s: %q is not an integer amount in minor units", field, s)
		}
	}
	return nil
}

func metaOrEmpty(m *map[string]string) {
	if *m == nil {
		*m = map[string]string{}
	}
}

func rawOrNull(r *json.RawMessage) {
	if len(*r) == 0 {
		*r = json.RawMessage("null")
	}
}

// The norm functions give wire items what connrpc's *ToWire give SDK
// items: UTC times, empty maps, null raws, default type and status.

func normAccount(a *protocol.Account) error {
	a.CreatedAt = a.CreatedAt.UTC()
	metaOrEmpty(&a.Metadata)
	rawOrNull(&a.Raw)
	return nil
}

func normBalance(b *protocol.Balance) error {
	b.CreatedAt = b.CreatedAt.UTC()
	if b.Amount == "" {
		b.Amount = "0"
	}
	return checkAmount("balance of "+b.AccountReference, b.Amount, false)
}

func normPayment(p *protocol.Payment) error {
	p.CreatedAt = p.CreatedAt.UTC()
	if p.Amount == "" {
		p.Amount = "0"
	}
	if err := checkAmount("payment "+p.Reference+": amount", p.Amount, false); err != nil {
		return err
	}
	if err := checkAmount("payment "+p.Reference+": initialAmount", p.InitialAmount, true); err != nil {
		return err
	}
	if p.Type == "" {
		p.Type = protocol.PaymentTypeOther
	}
	if p.Status == "" {
		p.Status = protocol.PaymentStatusOther
	}
	metaOrEmpty(&p.Metadata)
	rawOrNull(&p.Raw)
	return nil
}

func normOther(o *protocol.Other) error {
	rawOrNull(&o.Other)
	return nil
}

func normOrder(o *protocol.Order) error {
	o.CreatedAt = o.CreatedAt.UTC()
	if o.BaseQuantityOrdered == "" {
		o.BaseQuantityOrdered = "0"
	}
	for name, v := range map[string]string{"baseQuantityOrdered": o.BaseQuantityOrdered, "baseQuantityFilled": o.BaseQuantityFilled,
		"limitPrice": o.LimitPrice, "stopPrice": o.StopPrice, "quoteAmount": o.QuoteAmount, "fee": o.Fee} {
		if err := checkAmount("order "+o.Reference+": "+name, v, true); err != nil {
			return err
		}
	}
	if o.ExpiresAt != nil {
		t := o.ExpiresAt.UTC()
		o.ExpiresAt = &t
	}
	metaOrEmpty(&o.Metadata)
	rawOrNull(&o.Raw)
	return nil
}

func normConversion(c *protocol.Conversion) error {
	c.CreatedAt = c.CreatedAt.UTC()
	if c.SourceAmount == "" {
		c.SourceAmount = "0"
	}
	for name, v := range map[string]string{"sourceAmount": c.SourceAmount, "destinationAmount": c.DestinationAmount, "fee": c.Fee} {
		if err := checkAmount("conversion "+c.Reference+": "+name, v, true); err != nil {
			return err
		}
	}
	metaOrEmpty(&c.Metadata)
	rawOrNull(&c.Raw)
	return nil
}

// fetchWire is Fetch's path for a WireFetcher.
func fetchWire(ctx context.Context, o Opts, pf *Prefetcher, w WireFetcher, resource, op string, req connector.FetchRequest) (Result, error) {
	switch resource {
	case protocol.ResourceAccounts, protocol.ResourceExternalAccounts:
		return fetchPage(ctx, o, pf, op, req, wirePage(w, resource, normAccount), same[protocol.Account], AppendAccount, accountRecord)
	case protocol.ResourceBalances:
		return fetchPage(ctx, o, pf, op, req, wirePage(w, resource, normBalance), same[protocol.Balance], AppendBalance, balanceRecord)
	case protocol.ResourcePayments:
		return fetchPage(ctx, o, pf, op, req, wirePage(w, resource, normPayment), same[protocol.Payment], AppendPayment, paymentRecord)
	case protocol.ResourceOthers:
		return fetchPage(ctx, o, pf, op, req, wirePage(w, resource, normOther), same[protocol.Other], AppendOther, otherRecord)
	case protocol.ResourceOrders:
		return fetchPage(ctx, o, pf, op, req, wirePage(w, resource, normOrder), same[protocol.Order], AppendOrder, orderRecord)
	case protocol.ResourceConversions:
		return fetchPage(ctx, o, pf, op, req, wirePage(w, resource, normConversion), same[protocol.Conversion], AppendConversion, conversionRecord)
	}
	return Result{}, protocol.InvalidParams(protocol.FieldError{Field: "resource", Message: fmt.Sprintf("unknown resource %q", resource)})
}
