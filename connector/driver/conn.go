package driver

import (
	"slices"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

// Conn is one open connector with its capabilities resolved once, at
// open: each field is the connector's implementation of one capability,
// nil when it has none. Callers test a field, never the connector again,
// so what a session advertises and what it calls cannot disagree.
//
// A Conn is not changed after Open; a capability found "not implemented"
// at run time is the session's to hide (it keeps its own list).
type Conn struct {
	Connector connector.Connector
	// Opts are how every call to the connector runs.
	Opts Opts

	Accounts         connector.AccountsFetcher
	ExternalAccounts connector.ExternalAccountsFetcher
	Balances         connector.BalancesFetcher
	Payments         connector.PaymentsFetcher
	Others           connector.OthersFetcher
	Orders           connector.OrdersFetcher
	Conversions      connector.ConversionsFetcher

	BankAccounts    connector.BankAccountCreator
	Transfers       connector.TransferCreator
	TransferPolls   connector.TransferPoller
	TransferReverse connector.TransferReverser
	Payouts         connector.PayoutCreator
	PayoutPolls     connector.PayoutPoller
	PayoutReverse   connector.PayoutReverser

	WebhookCreator    connector.WebhookCreator
	WebhookTrimmer    connector.WebhookTrimmer
	WebhookVerifier   connector.WebhookVerifier
	WebhookTranslator connector.WebhookTranslator

	// Installer is nil when the connector has no real task tree.
	Installer connector.Installer
	// Wire is set for a connector in another process: its pages come as
	// wire JSON and take the wire path (fetchWire).
	Wire WireFetcher

	caps []string
}

// Declarer is a connector whose capabilities are known only at run time:
// the proxy to a connector in another process implements every
// capability interface and declares here which are real. It is the
// driver's, not the SDK's: an author's connector never needs it.
type Declarer interface {
	Capabilities() []string
	Installs() bool
}

// Open resolves c's capabilities: by type assertion for a connector in
// this process, by its declaration for a Declarer.
func Open(c connector.Connector, o Opts) *Conn {
	d := &Conn{Connector: c, Opts: o}
	decl, remote := c.(Declarer)
	var declared []string
	if remote {
		declared = decl.Capabilities()
	}
	has := func(capability string, ok bool) bool {
		if remote {
			ok = ok && slices.Contains(declared, capability)
		}
		if ok {
			d.caps = append(d.caps, capability)
		}
		return ok
	}
	// The order is connector.Capabilities' (the advertised order).
	if f, ok := c.(connector.AccountsFetcher); has(protocol.CapFetchAccounts, ok) {
		d.Accounts = f
	}
	if f, ok := c.(connector.BalancesFetcher); has(protocol.CapFetchBalances, ok) {
		d.Balances = f
	}
	if f, ok := c.(connector.ExternalAccountsFetcher); has(protocol.CapFetchExternalAccounts, ok) {
		d.ExternalAccounts = f
	}
	if f, ok := c.(connector.PaymentsFetcher); has(protocol.CapFetchPayments, ok) {
		d.Payments = f
	}
	if f, ok := c.(connector.OthersFetcher); has(protocol.CapFetchOthers, ok) {
		d.Others = f
	}
	if f, ok := c.(connector.OrdersFetcher); has(protocol.CapFetchOrders, ok) {
		d.Orders = f
	}
	if f, ok := c.(connector.ConversionsFetcher); has(protocol.CapFetchConversions, ok) {
		d.Conversions = f
	}
	if f, ok := c.(connector.BankAccountCreator); has(protocol.CapCreateBankAccount, ok) {
		d.BankAccounts = f
	}
	if f, ok := c.(connector.TransferCreator); has(protocol.CapCreateTransfer, ok) {
		d.Transfers = f
	}
	if f, ok := c.(connector.TransferReverser); has(protocol.CapReverseTransfer, ok) {
		d.TransferReverse = f
	}
	if f, ok := c.(connector.TransferPoller); has(protocol.CapPollTransfer, ok) {
		d.TransferPolls = f
	}
	if f, ok := c.(connector.PayoutCreator); has(protocol.CapCreatePayout, ok) {
		d.Payouts = f
	}
	if f, ok := c.(connector.PayoutReverser); has(protocol.CapReversePayout, ok) {
		d.PayoutReverse = f
	}
	if f, ok := c.(connector.PayoutPoller); has(protocol.CapPollPayout, ok) {
		d.PayoutPolls = f
	}
	if f, ok := c.(connector.WebhookCreator); has(protocol.CapCreateWebhooks, ok) {
		d.WebhookCreator = f
	}
	if f, ok := c.(connector.WebhookTrimmer); has(protocol.CapTrimWebhook, ok) {
		d.WebhookTrimmer = f
	}
	if f, ok := c.(connector.WebhookVerifier); has(protocol.CapVerifyWebhook, ok) {
		d.WebhookVerifier = f
	}
	if f, ok := c.(connector.WebhookTranslator); has(protocol.CapTranslateWebhook, ok) {
		d.WebhookTranslator = f
	}
	if i, ok := c.(connector.Installer); ok && (!remote || decl.Installs()) {
		d.Installer = i
	}
	if w, ok := c.(WireFetcher); ok {
		d.Wire = w
	}
	return d
}

// Capabilities returns the capability strings of the connector, in
// connector.Capabilities' order; the slice is the caller's.
func (d *Conn) Capabilities() []string {
	return append([]string{}, d.caps...)
}

// Has reports whether the connector has capability.
func (d *Conn) Has(capability string) bool { return slices.Contains(d.caps, capability) }
