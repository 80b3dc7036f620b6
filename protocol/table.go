package protocol

import "reflect"

// This file is the method table: every method and notification, declared
// once as a typed value. protocol/gen generates from it the daemon's
// dispatch, the Go client's methods, the TypeScript types, the web
// console's method module and docs/protocol.md. protocol/gen does not read
// this file's declarations as wire types.

// Direction says who sends a method.
type Direction int

// The directions of a method.
const (
	ClientToServer Direction = iota
	ServerToClient
)

// None stands for absent params, or a null result, in the table.
type None struct{}

// Spec is what the table says of one method.
type Spec struct {
	Name         string
	Dir          Direction
	Notification bool
	Params       reflect.Type // None: no params
	Result       reflect.Type // None: null; nil for notifications
	// Errors are the Switchboard error codes the method answers, besides
	// JSON-RPC's and LSP's own; their data types are the *Data types.
	Errors []int64
	// Client names the Go client's method; "" for none (hand-written or
	// not the client's to send).
	Client string
	// Lifecycle methods are served by the connection itself, not by a
	// handler of the daemon's Handlers.
	Lifecycle bool
}

// Request is a request with params P and result R.
type Request[P, R any] struct{ Spec }

// Notification is a notification with params P.
type Notification[P any] struct{ Spec }

var table []Spec

// Table returns every method, in declaration order.
func Table() []Spec { return append([]Spec(nil), table...) }

// opt adjusts a Spec while it is declared.
type opt func(*Spec)

func errs(codes ...int64) opt     { return func(s *Spec) { s.Errors = append(s.Errors, codes...) } }
func client(name string) opt      { return func(s *Spec) { s.Client = name } }
func lifecycle() opt              { return func(s *Spec) { s.Lifecycle = true } }
func dir(d Direction) opt         { return func(s *Spec) { s.Dir = d } }
func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

func request[P, R any](name string, opts ...opt) Request[P, R] {
	s := Spec{Name: name, Params: typeOf[P](), Result: typeOf[R]()}
	for _, o := range opts {
		o(&s)
	}
	table = append(table, s)
	return Request[P, R]{s}
}

func notification[P any](name string, opts ...opt) Notification[P] {
	s := Spec{Name: name, Notification: true, Params: typeOf[P]()}
	for _, o := range opts {
		o(&s)
	}
	table = append(table, s)
	return Notification[P]{s}
}

// Errors shared by many methods.
var (
	sessionErrs = []int64{CodeSessionNotFound}
	callErrs    = []int64{CodeSessionNotFound, CodeCapabilityUnsupported, CodeConnectorError, CodeConnectorPanicked}
	walkErrs    = []int64{CodeSessionNotFound, CodeCapabilityUnsupported, CodeConnectorError, CodeConnectorPanicked, CodeSessionBusy, CodeServerCancelled}
)

// The methods, in the order of the reference.
var (
	Initialize             = request[InitializeParams, InitializeResult](MethodInitialize, lifecycle(), client("Initialize"))
	Initialized            = notification[Empty](MethodInitialized, lifecycle(), client("Initialized"))
	Shutdown               = request[None, None](MethodShutdown, lifecycle())
	Exit                   = notification[None](MethodExit, lifecycle())
	CancelRequest          = notification[CancelParams](MethodCancelRequest, lifecycle())
	WorkDoneProgressCancel = notification[WorkDoneProgressCancelParams](MethodWorkDoneProgressCancel, lifecycle(), client("CancelProgress"))

	ProvidersList      = request[ProvidersListParams, ProvidersListResult](MethodProvidersList, client("Providers"))
	SessionCreate      = request[SessionCreateParams, Session](MethodSessionCreate, errs(CodeProviderNotFound, CodeConnectorError, CodeConnectorPanicked), client("CreateSession"))
	SessionList        = request[SessionListParams, SessionListResult](MethodSessionList, client("ListSessions"))
	SessionGet         = request[SessionParams, SessionDetail](MethodSessionGet, errs(sessionErrs...), client("SessionGet"))
	SessionClose       = request[SessionParams, Empty](MethodSessionClose, errs(sessionErrs...), client("SessionClose"))
	SessionReset       = request[SessionResetParams, Empty](MethodSessionReset, errs(CodeSessionNotFound, CodeSessionBusy), client("ResetSession"))
	SessionInstall     = request[SessionParams, InstallResult](MethodSessionInstall, errs(callErrs...), client("SessionInstall"))
	SessionSubscribe   = request[SessionParams, Empty](MethodSessionSubscribe, errs(sessionErrs...), client("SessionSubscribe"))
	SessionUnsubscribe = request[SessionParams, Empty](MethodSessionUnsubscribe, errs(sessionErrs...), client("SessionUnsubscribe"))

	FetchNext = request[FetchNextParams, Page](MethodFetchNext, errs(walkErrs...), client("FetchNext"))
	FetchAll  = request[FetchAllParams, FetchAllResult](MethodFetchAll, errs(walkErrs...), client("FetchAll"))
	SyncRun   = request[SyncRunParams, SyncRunResult](MethodSyncRun, errs(walkErrs...), client("SyncRun"))
	StateGet  = request[SessionParams, StateGetResult](MethodStateGet, errs(sessionErrs...), client("StateGet"))
	StateSet  = request[StateSetParams, Empty](MethodStateSet, errs(CodeSessionNotFound, CodeSessionBusy), client("SetState"))

	BankAccountCreate = request[BankAccountCreateParams, BankAccountCreateResult](MethodBankAccountCreate, errs(callErrs...), client("CreateBankAccount"))
	TransferCreate    = request[InitiationParams, InitiationResult](MethodTransferCreate, errs(callErrs...), client("CreateTransfer"))
	PayoutCreate      = request[InitiationParams, InitiationResult](MethodPayoutCreate, errs(callErrs...), client("CreatePayout"))
	TransferPoll      = request[PollParams, PollResult](MethodTransferPoll, errs(callErrs...), client("PollTransfer"))
	PayoutPoll        = request[PollParams, PollResult](MethodPayoutPoll, errs(callErrs...), client("PollPayout"))
	TransferReverse   = request[ReverseParams, ReverseResult](MethodTransferReverse, errs(callErrs...), client("ReverseTransfer"))
	PayoutReverse     = request[ReverseParams, ReverseResult](MethodPayoutReverse, errs(callErrs...), client("ReversePayout"))

	FetchPage              = notification[FetchPageParams](NotifyFetchPage, dir(ServerToClient))
	Progress               = notification[ProgressParams](NotifyProgress, dir(ServerToClient))
	Log                    = notification[LogParams](NotifyLog, dir(ServerToClient))
	HTTPExchange           = notification[HTTPExchangeParams](NotifyHTTPExchange, dir(ServerToClient))
	SessionChanged         = notification[SessionChangedParams](NotifySessionChanged, dir(ServerToClient))
	WorkDoneProgressCreate = request[WorkDoneProgressCreateParams, None](MethodWorkDoneProgressCreate, dir(ServerToClient))

	DataList   = request[DataListParams, DataListResult](MethodDataList, errs(sessionErrs...), client("DataList"))
	DataExport = request[DataExportParams, DataExportResult](MethodDataExport, errs(sessionErrs...), client("DataExport"))
	DataImport = request[DataImportParams, DataImportResult](MethodDataImport, errs(sessionErrs...), client("DataImport"))

	HTTPList  = request[HTTPListParams, HTTPListResult](MethodHTTPList, errs(sessionErrs...), client("HTTPList"))
	LogList   = request[LogListParams, LogListResult](MethodLogList, errs(sessionErrs...), client("LogList"))
	CallsList = request[CallsListParams, CallsListResult](MethodCallsList, errs(sessionErrs...), client("CallsList"))

	ConnectorCheck = request[ConnectorCheckParams, ConnectorCheckResult](MethodConnectorCheck, errs(callErrs...), client("ConnectorCheck"))
	CheckPage      = notification[CheckPageParams](NotifyCheckPage, dir(ServerToClient))

	ConnectorsAdd       = request[ConnectorsAddParams, WorkspaceConnector](MethodConnectorsAdd, client("ConnectorsAdd"))
	ConnectorsList      = request[ConnectorsListParams, ConnectorsListResult](MethodConnectorsList, client("ConnectorsList"))
	ConnectorsMethods   = request[ConnectorsMethodsParams, ConnectorsMethodsResult](MethodConnectorsMethods, client("ConnectorsMethods"))
	ProviderReloaded    = notification[ProviderReloadedParams](NotifyProviderReloaded, dir(ServerToClient))
	ProviderBuildFailed = notification[ProviderBuildFailedParams](NotifyProviderBuildFailed, dir(ServerToClient))

	WebhookCreate   = request[SessionParams, WebhookCreateResult](MethodWebhookCreate, errs(callErrs...), client("WebhookCreate"))
	WebhookList     = request[WebhookListParams, WebhookListResult](MethodWebhookList, errs(sessionErrs...), client("WebhookList"))
	WebhookReceived = notification[WebhookDelivery](NotifyWebhookReceived, dir(ServerToClient))
)
