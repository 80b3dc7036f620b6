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
	MethodInitialize  = "initialize"  // request: InitializeParams -> InitializeResult
	MethodInitialized = "initialized" // notification: {}
	MethodShutdown    = "shutdown"    // request: none -> null
	MethodExit        = "exit"        // notification: none
	// MethodCancelRequest is the client's notification that cancels a request
	// in flight; that request then answers CodeRequestCancelled.
	MethodCancelRequest = "$/cancelRequest" // notification: CancelParams
)

// Provider and session methods.
const (
	MethodProvidersList      = "providers/list"      // ProvidersListParams -> ProvidersListResult
	MethodSessionCreate      = "session/create"      // SessionCreateParams -> Session
	MethodSessionList        = "session/list"        // SessionListParams -> SessionListResult
	MethodSessionGet         = "session/get"         // SessionParams -> SessionDetail
	MethodSessionClose       = "session/close"       // SessionParams -> Empty
	MethodSessionReset       = "session/reset"       // SessionResetParams -> Empty
	MethodSessionInstall     = "session/install"     // SessionParams -> InstallResult
	MethodSessionSubscribe   = "session/subscribe"   // SessionParams -> Empty
	MethodSessionUnsubscribe = "session/unsubscribe" // SessionParams -> Empty
)

// Fetching and state methods.
const (
	MethodFetchNext = "fetch/next" // FetchNextParams -> Page
	MethodFetchAll  = "fetch/all"  // FetchAllParams -> FetchAllResult
	MethodSyncRun   = "sync/run"   // SyncRunParams -> SyncRunResult
	MethodStateGet  = "state/get"  // SessionParams -> StateGetResult
	MethodStateSet  = "state/set"  // StateSetParams -> Empty
)

// Payment initiation methods.
const (
	MethodBankAccountCreate = "bankAccount/create" // BankAccountCreateParams -> BankAccountCreateResult
	MethodTransferCreate    = "transfer/create"    // InitiationParams -> InitiationResult
	MethodPayoutCreate      = "payout/create"      // InitiationParams -> InitiationResult
	MethodTransferPoll      = "transfer/poll"      // PollParams -> PollResult
	MethodPayoutPoll        = "payout/poll"        // PollParams -> PollResult
	MethodTransferReverse   = "transfer/reverse"   // ReverseParams -> ReverseResult
	MethodPayoutReverse     = "payout/reverse"     // ReverseParams -> ReverseResult
)

// Notifications from the daemon to the client, and the one request the
// daemon sends to clients.
const (
	NotifyFetchPage      = "fetch/page"      // FetchPageParams
	NotifyProgress       = "$/progress"      // ProgressParams
	NotifyLog            = "log"             // LogParams
	NotifyHTTPExchange   = "http/exchange"   // HTTPExchangeParams
	NotifySessionChanged = "session/changed" // SessionChangedParams

	// MethodWorkDoneProgressCreate is sent by the daemon to a client that
	// declared workDoneProgress, before it uses a token it made itself.
	MethodWorkDoneProgressCreate = "window/workDoneProgress/create" // WorkDoneProgressCreateParams -> null
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
	MethodDataList   = "data/list"   // DataListParams -> DataListResult
	MethodDataExport = "data/export" // DataExportParams -> DataExportResult
	MethodDataImport = "data/import" // DataImportParams -> DataImportResult
)

// Inspection methods: what a connector did.
const (
	MethodHTTPList  = "http/list"  // HTTPListParams -> HTTPListResult
	MethodLogList   = "log/list"   // LogListParams -> LogListResult
	MethodCallsList = "calls/list" // CallsListParams -> CallsListResult
)
