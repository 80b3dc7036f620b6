// Package protocol is Switchboard's wire contract: the JSON-RPC 2.0 method
// names, their params and results, the notifications the daemon sends, the
// error codes and the capability strings.
//
// It is the single source of truth for every client: the Go client imports it,
// and the TypeScript types and the protocol reference are generated from it.
// It imports nothing of the daemon. Names here are binding: extend them (new
// optional fields, new methods), never rename them.
package protocol

// Version is the protocol version reported by initialize.
const Version = "1"

// Lifecycle methods, with LSP semantics.
const (
	MethodInitialize  = "initialize"
	MethodInitialized = "initialized"
	MethodShutdown    = "shutdown"
	MethodExit        = "exit"
	// MethodCancelRequest is the client's notification that cancels a request
	// in flight; that request then answers CodeRequestCancelled.
	MethodCancelRequest = "$/cancelRequest"
	// MethodWorkDoneProgressCancel is the client's notification that
	// cancels the request a server-made progress token belongs to (LSP's
	// Cancel button); that request then answers CodeRequestCancelled.
	MethodWorkDoneProgressCancel = "window/workDoneProgress/cancel"
)

// Provider and session methods.
const (
	MethodProvidersList = "providers/list"
	MethodSessionCreate = "session/create"
	MethodSessionList   = "session/list"
	MethodSessionGet    = "session/get"
	MethodSessionClose  = "session/close"
	// MethodSessionReset clears the cached state of one resource of a
	// session, or of all of them when resource is empty.
	MethodSessionReset       = "session/reset"
	MethodSessionInstall     = "session/install"
	MethodSessionSubscribe   = "session/subscribe"
	MethodSessionUnsubscribe = "session/unsubscribe"
)

// Fetching and state methods.
const (
	// MethodFetchNext fetches the next page of a resource; the Go client
	// decodes its items with DecodeItems.
	MethodFetchNext = "fetch/next"
	// MethodFetchAll fetches pages until the resource has no more or a limit
	// is reached; the pages arrive as fetch/page notifications first.
	MethodFetchAll = "fetch/all"
	// MethodSyncRun runs the session's whole task tree.
	MethodSyncRun  = "sync/run"
	MethodStateGet = "state/get"
	MethodStateSet = "state/set"
)

// Payment initiation methods.
const (
	MethodBankAccountCreate = "bankAccount/create"
	// MethodTransferCreate initiates a transfer; the result holds the
	// payment, or a polling id for transfer/poll.
	MethodTransferCreate = "transfer/create"
	// MethodPayoutCreate initiates a payout, as MethodTransferCreate.
	MethodPayoutCreate = "payout/create"
	// MethodTransferPoll polls a pending transfer: neither payment nor error
	// in the result means still pending.
	MethodTransferPoll = "transfer/poll"
	// MethodPayoutPoll polls a pending payout, as MethodTransferPoll.
	MethodPayoutPoll      = "payout/poll"
	MethodTransferReverse = "transfer/reverse"
	MethodPayoutReverse   = "payout/reverse"
)

// Notifications from the daemon to the client, and the one request the
// daemon sends to clients.
const (
	NotifyFetchPage       = "fetch/page"
	NotifyProgress        = "$/progress"
	NotifyLog             = "log"
	NotifyHTTPExchange    = "http/exchange"
	NotifySessionChanged  = "session/changed"
	NotifyWebhookReceived = "webhook/received"

	// MethodWorkDoneProgressCreate is sent by the daemon to a client that
	// declared workDoneProgress, before it uses a token it made itself.
	MethodWorkDoneProgressCreate = "window/workDoneProgress/create"
)

// Resources a connector can fetch.
const (
	ResourceAccounts         = "accounts"
	ResourceBalances         = "balances"
	ResourceExternalAccounts = "externalAccounts"
	ResourcePayments         = "payments"
	ResourceOthers           = "others"
	ResourceOrders           = "orders"
	ResourceConversions      = "conversions"
)

// Resources lists every resource in the order a sync visits them.
var Resources = []string{ResourceAccounts, ResourceBalances, ResourceExternalAccounts, ResourcePayments, ResourceOthers, ResourceOrders, ResourceConversions}

// Capability strings reported per provider and per session.
const (
	CapFetchAccounts         = "fetch:accounts"
	CapFetchBalances         = "fetch:balances"
	CapFetchExternalAccounts = "fetch:externalAccounts"
	CapFetchPayments         = "fetch:payments"
	CapFetchOthers           = "fetch:others"
	CapFetchOrders           = "fetch:orders"
	CapFetchConversions      = "fetch:conversions"
	CapCreateBankAccount     = "create:bankAccount"
	CapCreateTransfer        = "create:transfer"
	CapReverseTransfer       = "reverse:transfer"
	CapPollTransfer          = "poll:transfer"
	CapCreatePayout          = "create:payout"
	CapReversePayout         = "reverse:payout"
	CapPollPayout            = "poll:payout"
	CapWebhooks              = "webhooks"
	CapCreateWebhooks        = "webhooks:create"
	CapTrimWebhook           = "webhooks:trim"
	CapVerifyWebhook         = "webhooks:verify"
	CapTranslateWebhook      = "webhooks:translate"
)

// FetchCapability returns the capability string that allows fetching
// resource, or "" for an unknown resource.
func FetchCapability(resource string) string {
	switch resource {
	case ResourceAccounts, ResourceBalances, ResourceExternalAccounts, ResourcePayments, ResourceOthers, ResourceOrders, ResourceConversions:
		return "fetch:" + resource
	}
	return ""
}

// Stored data methods (with a store).
const (
	MethodDataList   = "data/list"
	MethodDataExport = "data/export"
	MethodDataImport = "data/import"
)

// Inspection methods: what a connector did.
const (
	MethodHTTPList  = "http/list"
	MethodLogList   = "log/list"
	MethodCallsList = "calls/list"
)

// Webhook methods.
const (
	MethodWebhookCreate = "webhook/create"
	MethodWebhookList   = "webhook/list"
)
