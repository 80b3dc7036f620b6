package demo

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/demobank"
)

func TestOrdersAndConversionsPageEachOnce(t *testing.T) {
	_, c := setup(t, demobank.Config{Accounts: 3, PaymentsPerAccount: 10})
	ctx := context.Background()
	seen := map[string]bool{}
	var st []byte
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("orders do not end")
		}
		p, err := c.FetchOrders(ctx, connector.FetchRequest{State: st, PageSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Items {
			if seen[o.Reference] {
				t.Errorf("order %s twice", o.Reference)
			}
			seen[o.Reference] = true
			if o.BaseQuantityOrdered == nil || o.BaseQuantityOrdered.Sign() <= 0 || (o.Direction != "BUY" && o.Direction != "SELL") || o.SourceAsset == o.DestinationAsset || len(o.Raw) == 0 {
				t.Errorf("order %+v", o)
			}
		}
		st = p.NewState
		if !p.HasMore {
			break
		}
	}
	if len(seen) != 3*4 {
		t.Errorf("%d orders, want 12", len(seen))
	}
	p, err := c.FetchConversions(ctx, connector.FetchRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 6 || p.HasMore {
		t.Fatalf("%d conversions (hasMore %v), want 6", len(p.Items), p.HasMore)
	}
	for _, v := range p.Items {
		if v.SourceAmount.Sign() <= 0 || v.DestinationAmount.Sign() <= 0 || v.Status != "COMPLETED" {
			t.Errorf("conversion %+v", v)
		}
	}
}

// Transactions the bank voided come back, once, at the end of a payments
// run: deleted ones as paymentsToDelete, cancelled ones as
// paymentsToCancel.
func TestVoidedTransactionsEndTheRunOnce(t *testing.T) {
	bank, c := setup(t, demobank.Config{Accounts: 2, PaymentsPerAccount: 5})
	ctx := context.Background()
	all := func(st []byte) (refs []string, del, cancel []string, end []byte) {
		for {
			p, err := c.FetchPayments(ctx, connector.FetchRequest{State: st, PageSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				refs = append(refs, it.Reference)
			}
			if p.HasMore && (len(p.PaymentsToDelete) > 0 || len(p.PaymentsToCancel) > 0) {
				t.Error("removals before the run's last page")
			}
			del, cancel = append(del, p.PaymentsToDelete...), append(cancel, p.PaymentsToCancel...)
			st = p.NewState
			if !p.HasMore {
				return refs, del, cancel, st
			}
		}
	}
	refs, del, cancel, st := all(nil)
	if len(refs) != 10 || len(del)+len(cancel) != 0 {
		t.Fatalf("first run: %d payments, deleted %v, cancelled %v", len(refs), del, cancel)
	}
	bank.Void(refs[0], "deleted")
	bank.Void(refs[1], "cancelled")
	_, del, cancel, st = all(st)
	if !slices.Equal(del, refs[:1]) || !slices.Equal(cancel, refs[1:2]) {
		t.Fatalf("second run: deleted %v, cancelled %v; want %v and %v", del, cancel, refs[:1], refs[1:2])
	}
	if _, del, cancel, _ = all(st); len(del)+len(cancel) != 0 {
		t.Errorf("third run repeats removals: %v %v", del, cancel)
	}
}
