package engine

import (
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

// Wire times are RFC 3339 in UTC.
func utc(t time.Time) time.Time { return t.UTC() }

func amount(a *big.Int) string {
	if a == nil {
		return "0"
	}
	return a.String()
}

func meta(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func raw(r []byte) []byte {
	if len(r) == 0 {
		return []byte("null")
	}
	return r
}

// AccountToWire converts an SDK account to its wire form.
func AccountToWire(a connector.Account) protocol.Account {
	return protocol.Account{
		Reference: a.Reference, CreatedAt: utc(a.CreatedAt), Name: a.Name,
		DefaultAsset: a.DefaultAsset, Metadata: meta(a.Metadata), Raw: raw(a.Raw),
	}
}

// BalanceToWire converts an SDK balance to its wire form.
func BalanceToWire(b connector.Balance) protocol.Balance {
	return protocol.Balance{AccountReference: b.AccountReference, Asset: b.Asset, Amount: amount(b.Amount), CreatedAt: utc(b.CreatedAt)}
}

// PaymentToWire converts an SDK payment to its wire form.
func PaymentToWire(p connector.Payment) protocol.Payment {
	w := protocol.Payment{
		Reference: p.Reference, CreatedAt: utc(p.CreatedAt), Type: string(p.Type),
		Amount: amount(p.Amount), Asset: p.Asset, Scheme: p.Scheme, Status: string(p.Status),
		SourceAccountReference: p.SourceAccountReference, DestinationAccountReference: p.DestinationAccountReference,
		Metadata: meta(p.Metadata), Raw: raw(p.Raw),
	}
	if p.InitialAmount != nil {
		w.InitialAmount = p.InitialAmount.String()
	}
	if w.Type == "" {
		w.Type = protocol.PaymentTypeOther
	}
	if w.Status == "" {
		w.Status = string(connector.PaymentStatusOther)
	}
	return w
}

// OtherToWire converts an SDK other item to its wire form.
func OtherToWire(o connector.Other) protocol.Other {
	return protocol.Other{ID: o.ID, Other: raw(o.Other)}
}

// ParseAmount parses a wire amount (integer minor units as a decimal
// string).
func ParseAmount(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("%q is not an integer amount in minor units", s)
	}
	return n, nil
}

func accountRecord(a *protocol.Account) Record {
	return Record{Ref: a.Reference, CreatedAt: a.CreatedAt, Asset: a.DefaultAsset, Accounts: []string{a.Reference}}
}

func balanceRecord(b *protocol.Balance) Record {
	// A balance is identified by its account and asset: a later fetch
	// replaces it.
	return Record{Ref: b.AccountReference + "/" + b.Asset, CreatedAt: b.CreatedAt, Asset: b.Asset, Accounts: []string{b.AccountReference}}
}

func paymentRecord(p *protocol.Payment) Record {
	var accounts []string
	for _, a := range []string{p.SourceAccountReference, p.DestinationAccountReference} {
		if a != "" {
			accounts = append(accounts, a)
		}
	}
	return Record{Ref: p.Reference, CreatedAt: p.CreatedAt, Status: p.Status, Type: p.Type, Asset: p.Asset, Accounts: accounts}
}

func otherRecord(o *protocol.Other) Record {
	return Record{Ref: o.ID}
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
