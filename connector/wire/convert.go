// Package wire converts between the SDK's types (connector, with
// big.Int amounts) and the wire types of the protocol, both ways: the
// driver encodes a built-in connector's items with it, the child SDK
// (connector/serve) sends its connector's items with it.
package wire

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

func amountString(a *big.Int) string {
	if a == nil {
		return "0"
	}
	return a.String()
}

func metaOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func rawOrNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("null")
	}
	return r
}

// AccountToWire converts an SDK account to its wire form.
func AccountToWire(a connector.Account) protocol.Account {
	return protocol.Account{Reference: a.Reference, CreatedAt: a.CreatedAt.UTC(), Name: a.Name,
		DefaultAsset: a.DefaultAsset, Metadata: metaOrEmpty(a.Metadata), Raw: rawOrNull(a.Raw)}
}

// BalanceToWire converts an SDK balance to its wire form.
func BalanceToWire(b connector.Balance) protocol.Balance {
	return protocol.Balance{AccountReference: b.AccountReference, Asset: b.Asset, Amount: amountString(b.Amount), CreatedAt: b.CreatedAt.UTC()}
}

// PaymentToWire converts an SDK payment to its wire form.
func PaymentToWire(p connector.Payment) protocol.Payment {
	w := protocol.Payment{ParentReference: p.ParentReference, Reference: p.Reference, CreatedAt: p.CreatedAt.UTC(), Type: string(p.Type),
		Amount: amountString(p.Amount), Asset: p.Asset, Scheme: p.Scheme, Status: string(p.Status),
		SourceAccountReference: p.SourceAccountReference, DestinationAccountReference: p.DestinationAccountReference,
		Metadata: metaOrEmpty(p.Metadata), Raw: rawOrNull(p.Raw)}
	if p.InitialAmount != nil {
		w.InitialAmount = p.InitialAmount.String()
	}
	// A connector that leaves them empty still produces valid wire items.
	if w.Type == "" {
		w.Type = protocol.PaymentTypeOther
	}
	if w.Status == "" {
		w.Status = protocol.PaymentStatusOther
	}
	return w
}

// OtherToWire converts an SDK other item to its wire form.
func OtherToWire(o connector.Other) protocol.Other {
	return protocol.Other{ID: o.ID, Other: rawOrNull(o.Other)}
}

// ParseAmount parses integer minor units written as a decimal string; ""
// is nil.
func ParseAmount(s string) (*big.Int, error) {
	if s == "" {
		return nil, nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("%q is not an integer amount in minor units", s)
	}
	return n, nil
}

func rawOrNil(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || string(r) == "null" {
		return nil
	}
	return r
}

// AccountFromWire converts a wire account to the SDK's.
func AccountFromWire(a protocol.Account) connector.Account {
	return connector.Account{Reference: a.Reference, CreatedAt: a.CreatedAt, Name: a.Name,
		DefaultAsset: a.DefaultAsset, Metadata: a.Metadata, Raw: rawOrNil(a.Raw)}
}

// BalanceFromWire converts a wire balance to the SDK's.
func BalanceFromWire(b protocol.Balance) (connector.Balance, error) {
	amt, err := ParseAmount(b.Amount)
	if err != nil {
		return connector.Balance{}, fmt.Errorf("balance of %s: %w", b.AccountReference, err)
	}
	return connector.Balance{AccountReference: b.AccountReference, Asset: b.Asset, Amount: amt, CreatedAt: b.CreatedAt}, nil
}

// PaymentFromWire converts a wire payment to the SDK's.
func PaymentFromWire(p protocol.Payment) (connector.Payment, error) {
	amt, err := ParseAmount(p.Amount)
	if err != nil {
		return connector.Payment{}, fmt.Errorf("payment %s: amount: %w", p.Reference, err)
	}
	init, err := ParseAmount(p.InitialAmount)
	if err != nil {
		return connector.Payment{}, fmt.Errorf("payment %s: initialAmount: %w", p.Reference, err)
	}
	return connector.Payment{ParentReference: p.ParentReference, Reference: p.Reference, CreatedAt: p.CreatedAt, Type: connector.PaymentType(p.Type),
		Amount: amt, InitialAmount: init, Asset: p.Asset, Scheme: p.Scheme, Status: connector.PaymentStatus(p.Status),
		SourceAccountReference: p.SourceAccountReference, DestinationAccountReference: p.DestinationAccountReference,
		Metadata: p.Metadata, Raw: rawOrNil(p.Raw)}, nil
}

// OtherFromWire converts a wire other item to the SDK's.
func OtherFromWire(o protocol.Other) connector.Other {
	return connector.Other{ID: o.ID, Other: rawOrNil(o.Other)}
}

// InitiationToWire converts an SDK initiation to its wire form.
func InitiationToWire(in connector.Initiation) protocol.Initiation {
	return protocol.Initiation{Reference: in.Reference, Amount: amountString(in.Amount), Asset: in.Asset,
		SourceAccountReference: in.SourceAccountReference, DestinationAccountReference: in.DestinationAccountReference,
		Description: in.Description, Metadata: in.Metadata}
}

// InitiationFromWire converts a wire initiation to the SDK's.
func InitiationFromWire(in protocol.Initiation) (connector.Initiation, error) {
	amt, err := ParseAmount(in.Amount)
	if err != nil {
		return connector.Initiation{}, err
	}
	return connector.Initiation{Reference: in.Reference, Amount: amt, Asset: in.Asset,
		SourceAccountReference: in.SourceAccountReference, DestinationAccountReference: in.DestinationAccountReference,
		Description: in.Description, Metadata: in.Metadata}, nil
}

// ReversalToWire converts an SDK reversal to its wire form.
func ReversalToWire(r connector.Reversal) protocol.Reversal {
	return protocol.Reversal{Reference: r.Reference, PaymentReference: r.PaymentReference, Amount: amountString(r.Amount), Asset: r.Asset, Description: r.Description}
}

// ReversalFromWire converts a wire reversal to the SDK's.
func ReversalFromWire(r protocol.Reversal) (connector.Reversal, error) {
	amt, err := ParseAmount(r.Amount)
	if err != nil {
		return connector.Reversal{}, err
	}
	return connector.Reversal{Reference: r.Reference, PaymentReference: r.PaymentReference, Amount: amt, Asset: r.Asset, Description: r.Description}, nil
}

// BankAccountToWire converts an SDK bank account to its wire form.
func BankAccountToWire(b connector.BankAccount) protocol.BankAccount {
	return protocol.BankAccount{Name: b.Name, AccountNumber: b.AccountNumber, IBAN: b.IBAN, SwiftBicCode: b.SwiftBicCode, Country: b.Country, Metadata: b.Metadata}
}

// BankAccountFromWire converts a wire bank account to the SDK's.
func BankAccountFromWire(b protocol.BankAccount) connector.BankAccount {
	return connector.BankAccount{Name: b.Name, AccountNumber: b.AccountNumber, IBAN: b.IBAN, SwiftBicCode: b.SwiftBicCode, Country: b.Country, Metadata: b.Metadata}
}

// InitiationResultToWire converts an SDK initiation result.
func InitiationResultToWire(r connector.InitiationResult) protocol.InitiationResult {
	out := protocol.InitiationResult{PollingID: r.PollingID}
	if r.Payment != nil {
		p := PaymentToWire(*r.Payment)
		out.Payment = &p
	}
	return out
}

// InitiationResultFromWire converts a wire initiation result.
func InitiationResultFromWire(r protocol.InitiationResult) (connector.InitiationResult, error) {
	out := connector.InitiationResult{PollingID: r.PollingID}
	if r.Payment != nil {
		p, err := PaymentFromWire(*r.Payment)
		if err != nil {
			return out, err
		}
		out.Payment = &p
	}
	return out, nil
}

// PollResultToWire converts an SDK poll result.
func PollResultToWire(r connector.PollResult) protocol.PollResult {
	out := protocol.PollResult{Error: r.Error}
	if r.Payment != nil {
		p := PaymentToWire(*r.Payment)
		out.Payment = &p
	}
	return out
}

// PollResultFromWire converts a wire poll result.
func PollResultFromWire(r protocol.PollResult) (connector.PollResult, error) {
	out := connector.PollResult{Error: r.Error}
	if r.Payment != nil {
		p, err := PaymentFromWire(*r.Payment)
		if err != nil {
			return out, err
		}
		out.Payment = &p
	}
	return out, nil
}

// TasksToWire converts an SDK task tree.
func TasksToWire(ts []connector.Task) []protocol.Task {
	out := make([]protocol.Task, len(ts))
	for i, t := range ts {
		out[i] = protocol.Task{Resource: t.Resource, Name: t.Name, Periodically: t.Periodically, Next: TasksToWire(t.Next)}
	}
	return out
}

// TasksFromWire converts a wire task tree.
func TasksFromWire(ts []protocol.Task) []connector.Task {
	out := make([]connector.Task, len(ts))
	for i, t := range ts {
		out[i] = connector.Task{Resource: t.Resource, Name: t.Name, Periodically: t.Periodically, Next: TasksFromWire(t.Next)}
	}
	return out
}
