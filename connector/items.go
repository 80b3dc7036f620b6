// Package connector is the SDK that connector authors implement: the item
// types a connector returns, the capability interfaces it may satisfy, the
// registry a provider registers itself in, and the Env (HTTP client, logger)
// the daemon hands it.
//
// A connector implements only the capabilities it supports, each a
// one-method interface; the daemon finds them by type assertion. The package
// knows nothing of JSON-RPC.
package connector

import (
	"encoding/json"
	"math/big"
	"time"
)

// PaymentType is the kind of a payment.
type PaymentType string

// Payment types.
const (
	PaymentTypePayIn    PaymentType = "PAY-IN"
	PaymentTypePayout   PaymentType = "PAYOUT"
	PaymentTypeTransfer PaymentType = "TRANSFER"
	PaymentTypeOther    PaymentType = "OTHER"
)

// PaymentStatus is the status of a payment.
type PaymentStatus string

// Payment statuses.
const (
	PaymentStatusPending         PaymentStatus = "PENDING"
	PaymentStatusSucceeded       PaymentStatus = "SUCCEEDED"
	PaymentStatusFailed          PaymentStatus = "FAILED"
	PaymentStatusCancelled       PaymentStatus = "CANCELLED"
	PaymentStatusExpired         PaymentStatus = "EXPIRED"
	PaymentStatusRefunded        PaymentStatus = "REFUNDED"
	PaymentStatusRefundedFailure PaymentStatus = "REFUNDED_FAILURE"
	PaymentStatusDispute         PaymentStatus = "DISPUTE"
	PaymentStatusDisputeWon      PaymentStatus = "DISPUTE_WON"
	PaymentStatusDisputeLost     PaymentStatus = "DISPUTE_LOST"
	PaymentStatusAuthorisation   PaymentStatus = "AUTHORISATION"
	PaymentStatusCapture         PaymentStatus = "CAPTURE"
	PaymentStatusOther           PaymentStatus = "OTHER"
)

// Account is an account held at the provider, or an external account
// (a beneficiary, a counterparty bank account).
type Account struct {
	Reference string
	CreatedAt time.Time
	Name      string
	// DefaultAsset is "CODE/DECIMALS", e.g. "EUR/2", or "".
	DefaultAsset string
	Metadata     map[string]string
	// Raw is the provider's own JSON for the account.
	Raw json.RawMessage
}

// Balance is the balance of one account in one asset.
type Balance struct {
	AccountReference string
	// Asset is "CODE/DECIMALS".
	Asset string
	// Amount is in minor units of Asset.
	Amount    *big.Int
	CreatedAt time.Time
}

// Payment is a movement of money seen at the provider.
type Payment struct {
	// ParentReference is the payment this one refunds, captures or
	// disputes, or "" for a first payment.
	ParentReference string
	Reference       string
	CreatedAt       time.Time
	Type            PaymentType
	// Amount is in minor units of Asset. InitialAmount, when set, is the
	// amount before refunds or captures changed it.
	Amount        *big.Int
	InitialAmount *big.Int
	Asset         string
	// Scheme is the payment scheme ("sepa", "card_visa", "other"...).
	Scheme                      string
	Status                      PaymentStatus
	SourceAccountReference      string
	DestinationAccountReference string
	Metadata                    map[string]string
	Raw                         json.RawMessage
}

// Other is an item of a provider-specific resource.
type Other struct {
	ID    string
	Other json.RawMessage
}

// FetchRequest is what every fetch receives.
type FetchRequest struct {
	// State is the opaque state this connector returned with the previous
	// page of the same key, or nil to start from the beginning.
	State json.RawMessage
	// FromPayload is the parent item's raw JSON for a child task (the
	// account whose balances to fetch, say), or nil.
	FromPayload json.RawMessage
	// Name tells apart several tasks of the same resource (for Others).
	Name string
	// PageSize is the number of items the daemon asks for.
	PageSize int
}

// Page is what every fetch returns: the items, the state to pass with the
// next call, and whether there is more to fetch now.
//
// PaymentsToDelete and PaymentsToCancel are for payments pages only (a
// connector error elsewhere): the references of payments fetched before
// that the provider no longer has, or has cancelled. The daemon deletes
// them from its store, or marks them CANCELLED, with the page.
type Page[T any] struct {
	Items            []T
	NewState         json.RawMessage
	HasMore          bool
	PaymentsToDelete []string
	PaymentsToCancel []string
}

// Task is a node of the connector's task tree, as production runs it: a
// child task runs once per item its parent fetched, with that item as
// FromPayload.
type Task struct {
	Resource     string // "accounts", "balances", "externalAccounts", "payments", "others", "orders", "conversions"
	Name         string
	Periodically bool
	Next         []Task
}

// BankAccount is a bank account to create at the provider.
type BankAccount struct {
	Name          string
	AccountNumber string
	IBAN          string
	SwiftBicCode  string
	Country       string
	Metadata      map[string]string
}

// Initiation is a transfer or payout to create.
type Initiation struct {
	Reference                   string
	Amount                      *big.Int
	Asset                       string
	SourceAccountReference      string
	DestinationAccountReference string
	Description                 string
	Metadata                    map[string]string
}

// InitiationResult is either the created payment, or a polling id for a
// payment the provider has not settled yet.
type InitiationResult struct {
	Payment   *Payment
	PollingID string
}

// PollResult is the outcome of a poll: the payment once known, an error
// message when the provider rejected it, or neither while pending.
type PollResult struct {
	Payment *Payment
	Error   string
}

// Reversal reverses (part of) a transfer or payout.
type Reversal struct {
	Reference        string
	PaymentReference string
	Amount           *big.Int
	Asset            string
	Description      string
}
