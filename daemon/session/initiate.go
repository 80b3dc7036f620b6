package session

import (
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/protocol"
)

// Install returns the connector's task tree; a connector without an
// installer gets one flat task per resource it can fetch.
func (s *Session) Install(ctx context.Context) ([]protocol.Task, error) {
	in := s.drv.Installer
	if in == nil {
		var tasks []protocol.Task
		for _, r := range protocol.Resources {
			if slices.Contains(s.Capabilities(), protocol.FetchCapability(r)) {
				tasks = append(tasks, protocol.Task{Resource: r, Periodically: true, Next: []protocol.Task{}})
			}
		}
		return tasks, nil
	}
	tasks, err := callTracked(ctx, s, "install", nil, in.Install)
	if err != nil {
		return nil, err
	}
	return wire.TasksToWire(tasks), nil
}

// callTracked is driver.Call kept in the session's call history.
func callTracked[T any](ctx context.Context, s *Session, op string, params any, fn func(context.Context) (T, error)) (T, error) {
	return track(ctx, s, op, params, func(ctx context.Context) (T, error) { return driver.Call(ctx, s.drv.Opts, op, fn) }, nil)
}

// CreateBankAccount creates a bank account at the provider.
func (s *Session) CreateBankAccount(ctx context.Context, ba protocol.BankAccount) (protocol.Account, error) {
	c := s.drv.BankAccounts
	if c == nil {
		return protocol.Account{}, protocol.CapabilityUnsupported(s.provider, protocol.CapCreateBankAccount)
	}
	if ba.Name == "" {
		return protocol.Account{}, protocol.InvalidParams(protocol.FieldError{Field: "bankAccount.name", Message: "is required"})
	}
	acc, err := callTracked(ctx, s, protocol.MethodBankAccountCreate, ba, func(ctx context.Context) (connector.Account, error) {
		return c.CreateBankAccount(ctx, connector.BankAccount{
			Name: ba.Name, AccountNumber: ba.AccountNumber, IBAN: ba.IBAN, SwiftBicCode: ba.SwiftBicCode, Country: ba.Country, Metadata: ba.Metadata,
		})
	})
	if err != nil {
		return protocol.Account{}, err
	}
	return wire.AccountToWire(acc), nil
}

func initiation(in protocol.Initiation) (connector.Initiation, error) {
	var bad []protocol.FieldError
	if in.Reference == "" {
		bad = append(bad, protocol.FieldError{Field: "initiation.reference", Message: "is required"})
	}
	amt, err := parseAmount(in.Amount)
	if err != nil {
		bad = append(bad, protocol.FieldError{Field: "initiation.amount", Message: err.Error()})
	} else if amt.Sign() <= 0 {
		bad = append(bad, protocol.FieldError{Field: "initiation.amount", Message: "must be positive"})
	}
	if !validAsset(in.Asset) {
		bad = append(bad, protocol.FieldError{Field: "initiation.asset", Message: "must be CODE/DECIMALS, e.g. EUR/2"})
	}
	if in.DestinationAccountReference == "" {
		bad = append(bad, protocol.FieldError{Field: "initiation.destinationAccountReference", Message: "is required"})
	}
	if len(bad) > 0 {
		return connector.Initiation{}, protocol.InvalidParams(bad...)
	}
	return connector.Initiation{
		Reference: in.Reference, Amount: amt, Asset: in.Asset, SourceAccountReference: in.SourceAccountReference,
		DestinationAccountReference: in.DestinationAccountReference, Description: in.Description, Metadata: in.Metadata,
	}, nil
}

// parseAmount is wire.ParseAmount with an empty amount refused.
func parseAmount(s string) (*big.Int, error) {
	if s == "" {
		return nil, fmt.Errorf("%q is not an integer amount in minor units", s)
	}
	return wire.ParseAmount(s)
}

func validAsset(a string) bool {
	slash := -1
	for i := 0; i < len(a); i++ {
		if a[i] == '/' {
			slash = i
			break
		}
	}
	if slash <= 0 || slash == len(a)-1 {
		return false
	}
	for i := slash + 1; i < len(a); i++ {
		if a[i] < '0' || a[i] > '9' {
			return false
		}
	}
	return true
}

// CreateTransfer creates a transfer.
func (s *Session) CreateTransfer(ctx context.Context, in protocol.Initiation) (protocol.InitiationResult, error) {
	c := s.drv.Transfers
	if c == nil {
		return protocol.InitiationResult{}, protocol.CapabilityUnsupported(s.provider, protocol.CapCreateTransfer)
	}
	ci, err := initiation(in)
	if err != nil {
		return protocol.InitiationResult{}, err
	}
	if err := s.throttle(ctx); err != nil {
		return protocol.InitiationResult{}, err
	}
	r, err := callTracked(ctx, s, protocol.MethodTransferCreate, in, func(ctx context.Context) (connector.InitiationResult, error) {
		return c.CreateTransfer(ctx, ci)
	})
	if err != nil {
		return protocol.InitiationResult{}, err
	}
	return wire.InitiationResultToWire(r), nil
}

// CreatePayout creates a payout.
func (s *Session) CreatePayout(ctx context.Context, in protocol.Initiation) (protocol.InitiationResult, error) {
	c := s.drv.Payouts
	if c == nil {
		return protocol.InitiationResult{}, protocol.CapabilityUnsupported(s.provider, protocol.CapCreatePayout)
	}
	ci, err := initiation(in)
	if err != nil {
		return protocol.InitiationResult{}, err
	}
	if err := s.throttle(ctx); err != nil {
		return protocol.InitiationResult{}, err
	}
	r, err := callTracked(ctx, s, protocol.MethodPayoutCreate, in, func(ctx context.Context) (connector.InitiationResult, error) {
		return c.CreatePayout(ctx, ci)
	})
	if err != nil {
		return protocol.InitiationResult{}, err
	}
	return wire.InitiationResultToWire(r), nil
}

// PollTransfer polls a transfer.
func (s *Session) PollTransfer(ctx context.Context, id string) (protocol.PollResult, error) {
	c := s.drv.TransferPolls
	if c == nil {
		return protocol.PollResult{}, protocol.CapabilityUnsupported(s.provider, protocol.CapPollTransfer)
	}
	if id == "" {
		return protocol.PollResult{}, protocol.InvalidParams(protocol.FieldError{Field: "pollingId", Message: "is required"})
	}
	r, err := callTracked(ctx, s, protocol.MethodTransferPoll, map[string]string{"pollingId": id}, func(ctx context.Context) (connector.PollResult, error) {
		return c.PollTransfer(ctx, id)
	})
	if err != nil {
		return protocol.PollResult{}, err
	}
	return wire.PollResultToWire(r), nil
}

// PollPayout polls a payout.
func (s *Session) PollPayout(ctx context.Context, id string) (protocol.PollResult, error) {
	c := s.drv.PayoutPolls
	if c == nil {
		return protocol.PollResult{}, protocol.CapabilityUnsupported(s.provider, protocol.CapPollPayout)
	}
	if id == "" {
		return protocol.PollResult{}, protocol.InvalidParams(protocol.FieldError{Field: "pollingId", Message: "is required"})
	}
	r, err := callTracked(ctx, s, protocol.MethodPayoutPoll, map[string]string{"pollingId": id}, func(ctx context.Context) (connector.PollResult, error) {
		return c.PollPayout(ctx, id)
	})
	if err != nil {
		return protocol.PollResult{}, err
	}
	return wire.PollResultToWire(r), nil
}

func reversal(r protocol.Reversal) (connector.Reversal, error) {
	var bad []protocol.FieldError
	if r.Reference == "" {
		bad = append(bad, protocol.FieldError{Field: "reversal.reference", Message: "is required"})
	}
	if r.PaymentReference == "" {
		bad = append(bad, protocol.FieldError{Field: "reversal.paymentReference", Message: "is required"})
	}
	amt, err := parseAmount(r.Amount)
	if err != nil {
		bad = append(bad, protocol.FieldError{Field: "reversal.amount", Message: err.Error()})
	}
	if !validAsset(r.Asset) {
		bad = append(bad, protocol.FieldError{Field: "reversal.asset", Message: "must be CODE/DECIMALS, e.g. EUR/2"})
	}
	if len(bad) > 0 {
		return connector.Reversal{}, protocol.InvalidParams(bad...)
	}
	return connector.Reversal{Reference: r.Reference, PaymentReference: r.PaymentReference, Amount: amt, Asset: r.Asset, Description: r.Description}, nil
}

// ReverseTransfer reverses a transfer.
func (s *Session) ReverseTransfer(ctx context.Context, r protocol.Reversal) (protocol.Payment, error) {
	c := s.drv.TransferReverse
	if c == nil {
		return protocol.Payment{}, protocol.CapabilityUnsupported(s.provider, protocol.CapReverseTransfer)
	}
	cr, err := reversal(r)
	if err != nil {
		return protocol.Payment{}, err
	}
	p, err := callTracked(ctx, s, protocol.MethodTransferReverse, r, func(ctx context.Context) (connector.Payment, error) {
		return c.ReverseTransfer(ctx, cr)
	})
	if err != nil {
		return protocol.Payment{}, err
	}
	return wire.PaymentToWire(p), nil
}

// ReversePayout reverses a payout.
func (s *Session) ReversePayout(ctx context.Context, r protocol.Reversal) (protocol.Payment, error) {
	c := s.drv.PayoutReverse
	if c == nil {
		return protocol.Payment{}, protocol.CapabilityUnsupported(s.provider, protocol.CapReversePayout)
	}
	cr, err := reversal(r)
	if err != nil {
		return protocol.Payment{}, err
	}
	p, err := callTracked(ctx, s, protocol.MethodPayoutReverse, r, func(ctx context.Context) (connector.Payment, error) {
		return c.ReversePayout(ctx, cr)
	})
	if err != nil {
		return protocol.Payment{}, err
	}
	return wire.PaymentToWire(p), nil
}
