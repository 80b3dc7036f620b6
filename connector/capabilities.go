package connector

import (
	"context"

	"github.com/switchboardpay/switchboard/protocol"
)

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

// OrdersFetcher fetches orders placed at an exchange.
type OrdersFetcher interface {
	FetchOrders(ctx context.Context, req FetchRequest) (Page[Order], error)
}

// ConversionsFetcher fetches asset conversions.
type ConversionsFetcher interface {
	FetchConversions(ctx context.Context, req FetchRequest) (Page[Conversion], error)
}

// Uninstaller is called when the connector's session is closed, before
// Close: what production runs when a connector is uninstalled (removing
// webhooks, say). Its error is logged and reported, and the session is
// closed all the same.
type Uninstaller interface {
	Uninstall(ctx context.Context) error
}

// Bootstrapper names the resources that must be fetched to completion
// (hasMore: false) when the connector is installed, in order, before its
// task tree runs (Formance's BootstrapOnInstall). session/install and
// sync/run run them first.
type Bootstrapper interface {
	BootstrapOnInstall() []string
}

// PayoutThrottler caps how many payouts and transfers per second the
// daemon creates through the connector (Formance's PayoutsPerSecond):
// payout/create and transfer/create wait their turn.
type PayoutThrottler interface {
	PayoutsPerSecond() float64
}

// Capabilities returns the capability strings ("fetch:payments",
// "create:transfer", ...) that c implements, in a stable order. A method
// that returns ErrNotImplemented is found out when called: the daemon then
// reports its capability as absent. (The daemon resolves them once per
// session, in connector/driver.)
func Capabilities(c Connector) []string {
	var caps []string
	add := func(ok bool, s string) {
		if ok {
			caps = append(caps, s)
		}
	}
	_, ok := c.(AccountsFetcher)
	add(ok, protocol.CapFetchAccounts)
	_, ok = c.(BalancesFetcher)
	add(ok, protocol.CapFetchBalances)
	_, ok = c.(ExternalAccountsFetcher)
	add(ok, protocol.CapFetchExternalAccounts)
	_, ok = c.(PaymentsFetcher)
	add(ok, protocol.CapFetchPayments)
	_, ok = c.(OthersFetcher)
	add(ok, protocol.CapFetchOthers)
	_, ok = c.(OrdersFetcher)
	add(ok, protocol.CapFetchOrders)
	_, ok = c.(ConversionsFetcher)
	add(ok, protocol.CapFetchConversions)
	_, ok = c.(BankAccountCreator)
	add(ok, protocol.CapCreateBankAccount)
	_, ok = c.(TransferCreator)
	add(ok, protocol.CapCreateTransfer)
	_, ok = c.(TransferReverser)
	add(ok, protocol.CapReverseTransfer)
	_, ok = c.(TransferPoller)
	add(ok, protocol.CapPollTransfer)
	_, ok = c.(PayoutCreator)
	add(ok, protocol.CapCreatePayout)
	_, ok = c.(PayoutReverser)
	add(ok, protocol.CapReversePayout)
	_, ok = c.(PayoutPoller)
	add(ok, protocol.CapPollPayout)
	_, ok = c.(WebhookCreator)
	add(ok, protocol.CapCreateWebhooks)
	_, ok = c.(WebhookTrimmer)
	add(ok, protocol.CapTrimWebhook)
	_, ok = c.(WebhookVerifier)
	add(ok, protocol.CapVerifyWebhook)
	_, ok = c.(WebhookTranslator)
	add(ok, protocol.CapTranslateWebhook)
	return caps
}
