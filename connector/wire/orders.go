package wire

import (
	"fmt"
	"math/big"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

// optAmount is an optional amount's wire form: "" for nil.
func optAmount(a *big.Int) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// OrderToWire converts an SDK order to its wire form.
func OrderToWire(o connector.Order) protocol.Order {
	w := protocol.Order{Reference: o.Reference, ClientOrderID: o.ClientOrderID, CreatedAt: o.CreatedAt.UTC(),
		Direction: o.Direction, SourceAsset: o.SourceAsset, DestinationAsset: o.DestinationAsset, Type: o.Type,
		Status: o.Status, BaseQuantityOrdered: amountString(o.BaseQuantityOrdered), BaseQuantityFilled: optAmount(o.BaseQuantityFilled),
		LimitPrice: optAmount(o.LimitPrice), StopPrice: optAmount(o.StopPrice), TimeInForce: o.TimeInForce,
		QuoteAmount: optAmount(o.QuoteAmount), QuoteAsset: o.QuoteAsset, Fee: optAmount(o.Fee), FeeAsset: o.FeeAsset,
		SourceAccountReference: o.SourceAccountReference, DestinationAccountReference: o.DestinationAccountReference,
		Metadata: metaOrEmpty(o.Metadata), Raw: rawOrNull(o.Raw)}
	if o.ExpiresAt != nil {
		t := o.ExpiresAt.UTC()
		w.ExpiresAt = &t
	}
	return w
}

// OrderFromWire converts a wire order to the SDK's.
func OrderFromWire(o protocol.Order) (connector.Order, error) {
	out := connector.Order{Reference: o.Reference, ClientOrderID: o.ClientOrderID, CreatedAt: o.CreatedAt,
		Direction: o.Direction, SourceAsset: o.SourceAsset, DestinationAsset: o.DestinationAsset, Type: o.Type,
		Status: o.Status, TimeInForce: o.TimeInForce, ExpiresAt: o.ExpiresAt, QuoteAsset: o.QuoteAsset, FeeAsset: o.FeeAsset,
		SourceAccountReference: o.SourceAccountReference, DestinationAccountReference: o.DestinationAccountReference,
		Metadata: o.Metadata, Raw: rawOrNil(o.Raw)}
	for _, f := range []struct {
		name string
		in   string
		out  **big.Int
	}{
		{"baseQuantityOrdered", o.BaseQuantityOrdered, &out.BaseQuantityOrdered},
		{"baseQuantityFilled", o.BaseQuantityFilled, &out.BaseQuantityFilled},
		{"limitPrice", o.LimitPrice, &out.LimitPrice},
		{"stopPrice", o.StopPrice, &out.StopPrice},
		{"quoteAmount", o.QuoteAmount, &out.QuoteAmount},
		{"fee", o.Fee, &out.Fee},
	} {
		n, err := ParseAmount(f.in)
		if err != nil {
			return out, fmt.Errorf("order %s: %s: %w", o.Reference, f.name, err)
		}
		*f.out = n
	}
	return out, nil
}

// ConversionToWire converts an SDK conversion to its wire form.
func ConversionToWire(c connector.Conversion) protocol.Conversion {
	return protocol.Conversion{Reference: c.Reference, CreatedAt: c.CreatedAt.UTC(), SourceAsset: c.SourceAsset,
		DestinationAsset: c.DestinationAsset, SourceAmount: amountString(c.SourceAmount), DestinationAmount: optAmount(c.DestinationAmount),
		Fee: optAmount(c.Fee), FeeAsset: c.FeeAsset, Status: c.Status,
		SourceAccountReference: c.SourceAccountReference, DestinationAccountReference: c.DestinationAccountReference,
		Metadata: metaOrEmpty(c.Metadata), Raw: rawOrNull(c.Raw)}
}

// ConversionFromWire converts a wire conversion to the SDK's.
func ConversionFromWire(c protocol.Conversion) (connector.Conversion, error) {
	out := connector.Conversion{Reference: c.Reference, CreatedAt: c.CreatedAt, SourceAsset: c.SourceAsset,
		DestinationAsset: c.DestinationAsset, FeeAsset: c.FeeAsset, Status: c.Status,
		SourceAccountReference: c.SourceAccountReference, DestinationAccountReference: c.DestinationAccountReference,
		Metadata: c.Metadata, Raw: rawOrNil(c.Raw)}
	for _, f := range []struct {
		name string
		in   string
		out  **big.Int
	}{
		{"sourceAmount", c.SourceAmount, &out.SourceAmount},
		{"destinationAmount", c.DestinationAmount, &out.DestinationAmount},
		{"fee", c.Fee, &out.Fee},
	} {
		n, err := ParseAmount(f.in)
		if err != nil {
			return out, fmt.Errorf("conversion %s: %s: %w", c.Reference, f.name, err)
		}
		*f.out = n
	}
	return out, nil
}
