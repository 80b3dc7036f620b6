package demo

import (
	"context"
	"encoding/json"
	"time"

	"github.com/switchboardpay/switchboard/connector"
)

// bankOrder is the demo bank's order JSON.
type bankOrder struct {
	ID               string    `json:"id"`
	AccountID        string    `json:"account_id"`
	CreatedAt        time.Time `json:"created_at"`
	Side             string    `json:"side"`
	Type             string    `json:"type"`
	Status           string    `json:"status"`
	SourceAsset      string    `json:"source_asset"`
	DestinationAsset string    `json:"destination_asset"`
	Quantity         string    `json:"quantity"`
	Filled           string    `json:"filled"`
	Fee              string    `json:"fee"`
	FeeAsset         string    `json:"fee_asset"`
}

// bankConversion is the demo bank's conversion JSON.
type bankConversion struct {
	ID                string    `json:"id"`
	AccountID         string    `json:"account_id"`
	CreatedAt         time.Time `json:"created_at"`
	Status            string    `json:"status"`
	SourceAsset       string    `json:"source_asset"`
	DestinationAsset  string    `json:"destination_asset"`
	SourceAmount      string    `json:"source_amount"`
	DestinationAmount string    `json:"destination_amount"`
}

// FetchOrders pages through the bank's orders.
func (c *Connector) FetchOrders(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Order], error) {
	orders, raws, hasMore, st, err := list[bankOrder](ctx, c, "/v1/orders", req)
	if err != nil {
		return connector.Page[connector.Order]{}, err
	}
	items := make([]connector.Order, len(orders))
	for i, o := range orders {
		qty, err := amount(o.Quantity)
		if err != nil {
			return connector.Page[connector.Order]{}, malformed("order", raws[i], err)
		}
		filled, err := amount(o.Filled)
		if err != nil {
			return connector.Page[connector.Order]{}, malformed("order", raws[i], err)
		}
		fee, err := amount(o.Fee)
		if err != nil {
			return connector.Page[connector.Order]{}, malformed("order", raws[i], err)
		}
		items[i] = connector.Order{Reference: o.ID, CreatedAt: o.CreatedAt, Direction: o.Side, Type: o.Type, Status: o.Status,
			SourceAsset: o.SourceAsset, DestinationAsset: o.DestinationAsset, BaseQuantityOrdered: qty, BaseQuantityFilled: filled,
			Fee: fee, FeeAsset: o.FeeAsset, SourceAccountReference: o.AccountID, DestinationAccountReference: o.AccountID, Raw: raws[i]}
	}
	return connector.Page[connector.Order]{Items: items, NewState: st, HasMore: hasMore}, nil
}

// FetchConversions pages through the bank's conversions.
func (c *Connector) FetchConversions(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Conversion], error) {
	convs, raws, hasMore, st, err := list[bankConversion](ctx, c, "/v1/conversions", req)
	if err != nil {
		return connector.Page[connector.Conversion]{}, err
	}
	items := make([]connector.Conversion, len(convs))
	for i, v := range convs {
		src, err := amount(v.SourceAmount)
		if err != nil {
			return connector.Page[connector.Conversion]{}, malformed("conversion", raws[i], err)
		}
		dst, err := amount(v.DestinationAmount)
		if err != nil {
			return connector.Page[connector.Conversion]{}, malformed("conversion", raws[i], err)
		}
		items[i] = connector.Conversion{Reference: v.ID, CreatedAt: v.CreatedAt, Status: v.Status, SourceAsset: v.SourceAsset,
			DestinationAsset: v.DestinationAsset, SourceAmount: src, DestinationAmount: dst,
			SourceAccountReference: v.AccountID, DestinationAccountReference: v.AccountID, Raw: raws[i]}
	}
	return connector.Page[connector.Conversion]{Items: items, NewState: st, HasMore: hasMore}, nil
}

// maxVoidedPages bounds the voided transactions read at the end of one
// payments run; the rest are read at the next.
const maxVoidedPages = 10

// voided reads the transactions the bank voided since the state's voided
// cursor into the last page of payments, as paymentsToDelete and
// paymentsToCancel, and moves the cursor past them.
func (c *Connector) voided(ctx context.Context, page *connector.Page[connector.Payment]) error {
	st, err := parseState(page.NewState)
	if err != nil {
		return err
	}
	for range maxVoidedPages {
		vs, _, more, next, err := list[struct {
			ID     string `json:"id"`
			Action string `json:"action"`
		}](ctx, c, "/v1/transactions/voided", connector.FetchRequest{State: cursorState(st.Voided), PageSize: maxPageSize})
		if err != nil {
			return err
		}
		for _, v := range vs {
			switch v.Action {
			case "deleted":
				page.PaymentsToDelete = append(page.PaymentsToDelete, v.ID)
			case "cancelled":
				page.PaymentsToCancel = append(page.PaymentsToCancel, v.ID)
			}
		}
		ns, err := parseState(next)
		if err != nil {
			return err
		}
		st.Voided = ns.Cursor
		if !more {
			break
		}
	}
	page.NewState, err = json.Marshal(st)
	return err
}

func cursorState(cursor string) json.RawMessage {
	if cursor == "" {
		return nil
	}
	b, _ := json.Marshal(state{Cursor: cursor})
	return b
}
