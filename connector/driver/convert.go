package driver

import (
	"encoding/json"
	"fmt"

	"github.com/switchboardpay/switchboard/protocol"
)

func accountRecord(a *protocol.Account) Record {
	return Record{Ref: a.Reference, CreatedAt: a.CreatedAt, Asset: a.DefaultAsset, Accounts: []string{a.Reference}}
}

func balanceRecord(b *protocol.Balance) Record {
	// A balance is identified by its account and asset: a later fetch
	// replaces it.
	return Record{Ref: b.AccountReference + "/" + b.Asset, CreatedAt: b.CreatedAt, Asset: b.Asset, Accounts: []string{b.AccountReference}}
}

func paymentRecord(p *protocol.Payment) Record {
	return Record{Ref: p.Reference, CreatedAt: p.CreatedAt, Status: p.Status, Type: p.Type, Asset: p.Asset, Accounts: accountsOf(p.SourceAccountReference, p.DestinationAccountReference)}
}

func otherRecord(o *protocol.Other) Record {
	return Record{Ref: o.ID}
}

func orderRecord(o *protocol.Order) Record {
	return Record{Ref: o.Reference, CreatedAt: o.CreatedAt, Status: o.Status, Type: o.Type, Asset: o.SourceAsset, Accounts: accountsOf(o.SourceAccountReference, o.DestinationAccountReference)}
}

func conversionRecord(c *protocol.Conversion) Record {
	return Record{Ref: c.Reference, CreatedAt: c.CreatedAt, Status: c.Status, Asset: c.SourceAsset, Accounts: accountsOf(c.SourceAccountReference, c.DestinationAccountReference)}
}

func accountsOf(refs ...string) []string {
	var out []string
	for _, a := range refs {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// RecordOf indexes one wire item of resource, as Fetch does, for items
// that come from elsewhere (an import).
func RecordOf(resource string, item json.RawMessage) (Record, error) {
	var r Record
	var err error
	switch resource {
	case protocol.ResourceAccounts, protocol.ResourceExternalAccounts:
		var a protocol.Account
		if err = json.Unmarshal(item, &a); err == nil {
			r = accountRecord(&a)
		}
	case protocol.ResourceBalances:
		var b protocol.Balance
		if err = json.Unmarshal(item, &b); err == nil {
			r = balanceRecord(&b)
		}
	case protocol.ResourcePayments:
		var p protocol.Payment
		if err = json.Unmarshal(item, &p); err == nil {
			r = paymentRecord(&p)
		}
	case protocol.ResourceOthers:
		var o protocol.Other
		if err = json.Unmarshal(item, &o); err == nil {
			r = otherRecord(&o)
		}
	case protocol.ResourceOrders:
		var o protocol.Order
		if err = json.Unmarshal(item, &o); err == nil {
			r = orderRecord(&o)
		}
	case protocol.ResourceConversions:
		var c protocol.Conversion
		if err = json.Unmarshal(item, &c); err == nil {
			r = conversionRecord(&c)
		}
	default:
		return r, fmt.Errorf("unknown resource %q", resource)
	}
	if err != nil {
		return r, fmt.Errorf("not a %s item: %v", resource, err)
	}
	if r.Ref == "" || r.Ref == "/" {
		return r, fmt.Errorf("%s item without a reference", resource)
	}
	r.JSON = item
	return r, nil
}
