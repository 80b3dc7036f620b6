package connector

import "context"

// Connector is an open connection to one provider, made by a Provider's
// Open. It implements any of the capability interfaces below; the daemon
// discovers them by type assertion. It may also implement io.Closer, called
// when its session is closed.
type Connector any

// AccountsFetcher fetches the provider's accounts page by page.
type AccountsFetcher interface {
	FetchAccounts(ctx context.Context, req FetchRequest) (Page[Account], error)
}

// BalancesFetcher fetches balances, usually per account (FromPayload).
type BalancesFetcher interface {
	FetchBalances(ctx context.Context, req FetchRequest) (Page[Balance], error)
}

// ExternalAccountsFetcher fetches external accounts (beneficiaries).
type ExternalAccountsFetcher interface {
	FetchExternalAccounts(ctx context.Context, req FetchRequest) (Page[Account], error)
}

// PaymentsFetcher fetches payments.
type PaymentsFetcher interface {
	FetchPayments(ctx context.Context, req FetchRequest) (Page[Payment], error)
}

// OthersFetcher fetches provider-specific items, told apart by req.Name.
type OthersFetcher interface {
	FetchOthers(ctx context.Context, req FetchRequest) (Page[Other], error)
}

// BankAccountCreator creates a bank account at the provider.
type BankAccountCreator interface {
	CreateBankAccount(ctx context.Context, ba BankAccount) (Account, error)
}

// TransferCreator creates a transfer between two accounts.
type TransferCreator interface {
	CreateTransfer(ctx context.Context, in Initiation) (InitiationResult, error)
}

// TransferPoller polls a transfer created with a polling id.
type TransferPoller interface {
	PollTransfer(ctx context.Context, pollingID string) (PollResult, error)
}

// TransferReverser reverses a transfer.
type TransferReverser interface {
	ReverseTransfer(ctx context.Context, r Reversal) (Payment, error)
}

// PayoutCreator creates a payout to an external account.
type PayoutCreator interface {
	CreatePayout(ctx context.Context, in Initiation) (InitiationResult, error)
}

// PayoutPoller polls a payout created with a polling id.
type PayoutPoller interface {
	PollPayout(ctx context.Context, pollingID string) (PollResult, error)
}

// PayoutReverser reverses a payout.
type PayoutReverser interface {
	ReversePayout(ctx context.Context, r Reversal) (Payment, error)
}

// Installer returns the connector's task tree: what a production sync
// fetches, in which order.
type Installer interface {
	Install(ctx context.Context) ([]Task, error)
}

// CapabilityReporter is implemented by connectors whose capabilities are
// known only at run time (a proxy to a connector in another process): it
// implements every capability interface and says here which are real.
type CapabilityReporter interface {
	Capabilities() []string
}

// Supports reports whether c has a capability: by its CapabilityReporter
// when it has one, else by the interfaces it implements.
func Supports(c Connector, capability string) bool {
	for _, s := range Capabilities(c) {
		if s == capability {
			return true
		}
	}
	return false
}

// Capabilities returns the capability strings ("fetch:payments",
// "create:transfer", ...) that c implements, in a stable order.
func Capabilities(c Connector) []string {
	if r, ok := c.(CapabilityReporter); ok {
		return r.Capabilities()
	}
	var caps []string
	add := func(ok bool, s string) {
		if ok {
			caps = append(caps, s)
		}
	}
	_, ok := c.(AccountsFetcher)
	add(ok, "fetch:accounts")
	_, ok = c.(BalancesFetcher)
	add(ok, "fetch:balances")
	_, ok = c.(ExternalAccountsFetcher)
	add(ok, "fetch:externalAccounts")
	_, ok = c.(PaymentsFetcher)
	add(ok, "fetch:payments")
	_, ok = c.(OthersFetcher)
	add(ok, "fetch:others")
	_, ok = c.(BankAccountCreator)
	add(ok, "create:bankAccount")
	_, ok = c.(TransferCreator)
	add(ok, "create:transfer")
	_, ok = c.(TransferReverser)
	add(ok, "reverse:transfer")
	_, ok = c.(TransferPoller)
	add(ok, "poll:transfer")
	_, ok = c.(PayoutCreator)
	add(ok, "create:payout")
	_, ok = c.(PayoutReverser)
	add(ok, "reverse:payout")
	_, ok = c.(PayoutPoller)
	add(ok, "poll:payout")
	_, ok = c.(WebhookCreator)
	add(ok, "webhooks:create")
	_, ok = c.(WebhookTrimmer)
	add(ok, "webhooks:trim")
	_, ok = c.(WebhookVerifier)
	add(ok, "webhooks:verify")
	_, ok = c.(WebhookTranslator)
	add(ok, "webhooks:translate")
	return caps
}
