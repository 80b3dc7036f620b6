package protocol

import (
	"encoding/json"
	"time"
)

// Empty is the result of methods that return {} and the params of methods
// that take none.
type Empty struct{}

// --- Lifecycle --------------------------------------------------------------

// InitializeParams are the params of initialize.
type InitializeParams struct {
	ClientInfo   *ClientInfo         `json:"clientInfo,omitempty"`
	Capabilities *ClientCapabilities `json:"capabilities,omitempty"`
}

// ClientInfo names the client, for logs.
type ClientInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// ClientCapabilities says what the client can take.
type ClientCapabilities struct {
	// WorkDoneProgress: the client accepts window/workDoneProgress/create and
	// $/progress for tokens the server makes. Kept as an alias of LSP's
	// window.workDoneProgress, which editors send.
	WorkDoneProgress bool `json:"workDoneProgress,omitempty"`
	// Window holds LSP's window capabilities.
	Window *WindowClientCapabilities `json:"window,omitempty"`
	// PageItems: false asks for fetch/page notifications without their items
	// (counts and state only). Absent means true.
	PageItems *bool `json:"pageItems,omitempty"`
}

// WindowClientCapabilities are LSP's window capabilities, of which the
// daemon reads one.
type WindowClientCapabilities struct {
	// WorkDoneProgress: as ClientCapabilities.WorkDoneProgress, in LSP's
	// spelling.
	WorkDoneProgress bool `json:"workDoneProgress,omitempty"`
}

// ProgressWanted reports whether the client accepts server-made progress
// tokens, in either spelling.
func (c *ClientCapabilities) ProgressWanted() bool {
	return c != nil && (c.WorkDoneProgress || (c.Window != nil && c.Window.WorkDoneProgress))
}

// InitializeResult is the result of initialize.
type InitializeResult struct {
	ServerInfo      ServerInfo         `json:"serverInfo"`
	ProtocolVersion string             `json:"protocolVersion"`
	Capabilities    ServerCapabilities `json:"capabilities"`
	// Webhooks is the daemon's webhook ingress, absent when it has none.
	Webhooks *WebhookIngress `json:"webhooks,omitempty"`
}

// ServerInfo names the daemon.
type ServerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ServerCapabilities lists what this daemon serves.
type ServerCapabilities struct {
	Resources []string `json:"resources"`
	Methods   []string `json:"methods"`
}

// CancelParams are the params of $/cancelRequest. ID is the id of the
// request to cancel (a number or a string).
type CancelParams struct {
	ID json.RawMessage `json:"id"`
}

// --- Providers and sessions -------------------------------------------------

// ProvidersListParams are the params of providers/list.
type ProvidersListParams struct{}

// ProvidersListResult is the result of providers/list.
type ProvidersListResult struct {
	Providers []Provider `json:"providers"`
}

// Provider describes one registered connector.
type Provider struct {
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Capabilities []string `json:"capabilities"`
	// ConfigSchema is a JSON Schema of the provider's config; secret fields
	// carry "writeOnly": true.
	ConfigSchema    json.RawMessage `json:"configSchema"`
	DefaultPageSize int             `json:"defaultPageSize"`
}

// SessionCreateParams are the params of session/create.
type SessionCreateParams struct {
	Provider string          `json:"provider"`
	Name     string          `json:"name,omitempty"`
	Config   json.RawMessage `json:"config,omitempty"`
	PageSize int             `json:"pageSize,omitempty"`
	// Record starts recording the session into this cassette (see
	// session/record).
	Record string `json:"record,omitempty"`
	// Replay runs the session's connector against this cassette, with no
	// network. Provider and config may then be left out: the recorded
	// ones are used.
	Replay string `json:"replay,omitempty"`
	// ReplayMatch is ReplayStrict (the default) or ReplayLenient.
	ReplayMatch string `json:"replayMatch,omitempty"`
	// Overwrite lets Record replace an existing cassette (never a
	// read-only one).
	Overwrite bool `json:"overwrite,omitempty"`
}

// Session is a connector instance held by the daemon, usable from any
// connection.
type Session struct {
	ID        string    `json:"id"`
	Provider  string    `json:"provider"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	PageSize  int       `json:"pageSize"`
	// Config is echoed with every secret field replaced by "***".
	Config       json.RawMessage `json:"config"`
	Capabilities []string        `json:"capabilities"`
	// Recording is the cassette the session records into, if any.
	Recording string `json:"recording,omitempty"`
	// Replay is the cassette the session replays, if any.
	Replay string `json:"replay,omitempty"`
}

// SessionListParams are the params of session/list.
type SessionListParams struct{}

// SessionListResult is the result of session/list.
type SessionListResult struct {
	Sessions []Session `json:"sessions"`
}

// SessionParams are the params of every method that names only a session.
type SessionParams struct {
	SessionID string `json:"sessionId"`
}

// SessionDetail is the result of session/get: the session and its states.
type SessionDetail struct {
	Session
	States []StateEntry `json:"states"`
}

// SessionResetParams are the params of session/reset. Without a resource,
// every cached state of the session is cleared.
type SessionResetParams struct {
	SessionID string `json:"sessionId"`
	Resource  string `json:"resource,omitempty"`
	// Purge also deletes the session's stored items (with a store).
	Purge bool `json:"purge,omitempty"`
}

// Task is one node of a connector's task tree. As in production, a child
// task runs once for every item its parent fetched, with that item as
// fromPayload.
type Task struct {
	Resource     string `json:"resource"`
	Name         string `json:"name,omitempty"`
	Periodically bool   `json:"periodically"`
	Next         []Task `json:"next"`
}

// InstallResult is the result of session/install.
type InstallResult struct {
	Tasks []Task `json:"tasks"`
}

// --- Fetching ---------------------------------------------------------------

// FetchNextParams are the params of fetch/next.
type FetchNextParams struct {
	SessionID string `json:"sessionId"`
	Resource  string `json:"resource"`
	// PageSize overrides the session's page size for this call.
	PageSize int `json:"pageSize,omitempty"`
	// FromPayload is the parent item for child resources (balances of an
	// account, say). It is part of the state key.
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	// Name tells apart several tasks of the same resource. Part of the key.
	Name string `json:"name,omitempty"`
	// State, when present, is used instead of the cached state for this call.
	State json.RawMessage `json:"state,omitempty"`
	// Reset starts from the beginning (a null state).
	Reset bool `json:"reset,omitempty"`
}

// Page is one page fetched from a connector.
type Page struct {
	SessionID string `json:"sessionId"`
	Resource  string `json:"resource"`
	// Key identifies the state entry: resource, name and fromPayload.
	Key string `json:"key"`
	// Page is the 1-based number of this page for its key since the last
	// reset.
	Page int `json:"page"`
	// Items is a JSON array of Account, Balance, Payment or Other, by
	// resource. It is left out of fetch/page notifications to clients that
	// said pageItems: false.
	Items      json.RawMessage `json:"items,omitempty"`
	ItemCount  int             `json:"itemCount"`
	NewState   json.RawMessage `json:"newState"`
	HasMore    bool            `json:"hasMore"`
	DurationMs float64         `json:"durationMs"`
	// Deleted and Cancelled are the references of stored payments the
	// page deleted, or marked CANCELLED (a payments page's
	// paymentsToDelete and paymentsToCancel).
	Deleted   []string `json:"deleted,omitempty"`
	Cancelled []string `json:"cancelled,omitempty"`
	// HTTPExchanges are the ids of the HTTP exchanges the page caused
	// (see http/list).
	HTTPExchanges []string `json:"httpExchanges,omitempty"`
}

// FetchAllParams are the params of fetch/all.
type FetchAllParams struct {
	SessionID     string          `json:"sessionId"`
	Resource      string          `json:"resource"`
	FromPayload   json.RawMessage `json:"fromPayload,omitempty"`
	Name          string          `json:"name,omitempty"`
	PageSize      int             `json:"pageSize,omitempty"`
	MaxPages      int             `json:"maxPages,omitempty"`
	MaxItems      int             `json:"maxItems,omitempty"`
	WorkDoneToken json.RawMessage `json:"workDoneToken,omitempty"`
	StepOptions
}

// FetchAllResult is the result of fetch/all.
type FetchAllResult struct {
	Pages        int     `json:"pages"`
	Items        int     `json:"items"`
	HasMore      bool    `json:"hasMore"`
	LimitReached bool    `json:"limitReached"`
	Stalled      bool    `json:"stalled"`
	DurationMs   float64 `json:"durationMs"`
	// Diagnostic explains a stall: which state repeated, and how.
	Diagnostic string `json:"diagnostic,omitempty"`
}

// SyncRunParams are the params of sync/run.
type SyncRunParams struct {
	SessionID       string          `json:"sessionId"`
	MaxPagesPerTask int             `json:"maxPagesPerTask,omitempty"`
	WorkDoneToken   json.RawMessage `json:"workDoneToken,omitempty"`
	StepOptions
}

// SyncRunResult is the result of sync/run.
type SyncRunResult struct {
	Tasks      []TaskRun `json:"tasks"`
	DurationMs float64   `json:"durationMs"`
}

// TaskRun reports one task run of a sync.
type TaskRun struct {
	// Path names the task in the tree, e.g. "accounts/payments".
	Path        string          `json:"path"`
	Resource    string          `json:"resource"`
	Name        string          `json:"name,omitempty"`
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	Pages       int             `json:"pages"`
	Items       int             `json:"items"`
	HasMore     bool            `json:"hasMore"`
	Stalled     bool            `json:"stalled,omitempty"`
	Error       string          `json:"error,omitempty"`
}

// StateGetResult is the result of state/get.
type StateGetResult struct {
	States []StateEntry `json:"states"`
}

// StateSetParams are the params of state/set.
type StateSetParams struct {
	SessionID   string          `json:"sessionId"`
	Resource    string          `json:"resource"`
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	Name        string          `json:"name,omitempty"`
	State       json.RawMessage `json:"state"`
}

// StateEntry is the cached pagination state of one key.
type StateEntry struct {
	Resource    string          `json:"resource"`
	Key         string          `json:"key"`
	Name        string          `json:"name,omitempty"`
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	State       json.RawMessage `json:"state"`
	HasMore     bool            `json:"hasMore"`
	Pages       int             `json:"pages"`
	Items       int             `json:"items"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// --- Items ------------------------------------------------------------------

// Account is an account or an external account. Money amounts everywhere
// are integer minor units written as decimal strings; assets are
// "CODE/DECIMALS".
type Account struct {
	Reference    string            `json:"reference"`
	CreatedAt    time.Time         `json:"createdAt"`
	Name         string            `json:"name,omitempty"`
	DefaultAsset string            `json:"defaultAsset,omitempty"`
	Metadata     map[string]string `json:"metadata"`
	Raw          json.RawMessage   `json:"raw"`
}

// Balance is the balance of one account in one asset.
type Balance struct {
	AccountReference string    `json:"accountReference"`
	Asset            string    `json:"asset"`
	Amount           string    `json:"amount"`
	CreatedAt        time.Time `json:"createdAt"`
}

// Payment is a pay-in, payout, transfer or other movement.
type Payment struct {
	// ParentReference is the payment this one refunds, captures or
	// disputes (Formance's ParentReference), or "".
	ParentReference             string            `json:"parentReference,omitempty"`
	Reference                   string            `json:"reference"`
	CreatedAt                   time.Time         `json:"createdAt"`
	Type                        string            `json:"type"`
	Amount                      string            `json:"amount"`
	InitialAmount               string            `json:"initialAmount,omitempty"`
	Asset                       string            `json:"asset"`
	Scheme                      string            `json:"scheme"`
	Status                      string            `json:"status"`
	SourceAccountReference      string            `json:"sourceAccountReference,omitempty"`
	DestinationAccountReference string            `json:"destinationAccountReference,omitempty"`
	Metadata                    map[string]string `json:"metadata"`
	Raw                         json.RawMessage   `json:"raw"`
}

// Other is an item of a provider-specific resource.
type Other struct {
	ID    string          `json:"id"`
	Other json.RawMessage `json:"other"`
}

// Payment statuses.
const (
	PaymentStatusPending         = "PENDING"
	PaymentStatusSucceeded       = "SUCCEEDED"
	PaymentStatusFailed          = "FAILED"
	PaymentStatusCancelled       = "CANCELLED"
	PaymentStatusExpired         = "EXPIRED"
	PaymentStatusRefunded        = "REFUNDED"
	PaymentStatusRefundedFailure = "REFUNDED_FAILURE"
	PaymentStatusDispute         = "DISPUTE"
	PaymentStatusDisputeWon      = "DISPUTE_WON"
	PaymentStatusDisputeLost     = "DISPUTE_LOST"
	PaymentStatusAuthorisation   = "AUTHORISATION"
	PaymentStatusCapture         = "CAPTURE"
	PaymentStatusOther           = "OTHER"
)

// Payment types.
const (
	PaymentTypePayIn    = "PAY-IN"
	PaymentTypePayout   = "PAYOUT"
	PaymentTypeTransfer = "TRANSFER"
	PaymentTypeOther    = "OTHER"
)

// --- Payment initiation -----------------------------------------------------

// BankAccount is a bank account to create at the provider.
type BankAccount struct {
	Name          string            `json:"name"`
	AccountNumber string            `json:"accountNumber,omitempty"`
	IBAN          string            `json:"iban,omitempty"`
	SwiftBicCode  string            `json:"swiftBicCode,omitempty"`
	Country       string            `json:"country,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
}

// BankAccountCreateParams are the params of bankAccount/create.
type BankAccountCreateParams struct {
	SessionID   string      `json:"sessionId"`
	BankAccount BankAccount `json:"bankAccount"`
}

// BankAccountCreateResult is the result of bankAccount/create.
type BankAccountCreateResult struct {
	Account Account `json:"account"`
}

// Initiation is a transfer or payout to create.
type Initiation struct {
	Reference                   string            `json:"reference"`
	Amount                      string            `json:"amount"`
	Asset                       string            `json:"asset"`
	SourceAccountReference      string            `json:"sourceAccountReference,omitempty"`
	DestinationAccountReference string            `json:"destinationAccountReference"`
	Description                 string            `json:"description,omitempty"`
	Metadata                    map[string]string `json:"metadata,omitempty"`
}

// InitiationParams are the params of transfer/create and payout/create.
type InitiationParams struct {
	SessionID  string     `json:"sessionId"`
	Initiation Initiation `json:"initiation"`
}

// InitiationResult is the result of transfer/create and payout/create:
// either the payment, or a polling id to poll it with.
type InitiationResult struct {
	Payment   *Payment `json:"payment,omitempty"`
	PollingID string   `json:"pollingId,omitempty"`
}

// PollParams are the params of transfer/poll and payout/poll.
type PollParams struct {
	SessionID string `json:"sessionId"`
	PollingID string `json:"pollingId"`
}

// PollResult is the result of transfer/poll and payout/poll. Neither
// payment nor error means: still pending, poll again.
type PollResult struct {
	Payment *Payment `json:"payment,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Reversal reverses (part of) a transfer or payout.
type Reversal struct {
	Reference        string `json:"reference"`
	PaymentReference string `json:"paymentReference"`
	Amount           string `json:"amount"`
	Asset            string `json:"asset"`
	Description      string `json:"description,omitempty"`
}

// ReverseParams are the params of transfer/reverse and payout/reverse.
type ReverseParams struct {
	SessionID string   `json:"sessionId"`
	Reversal  Reversal `json:"reversal"`
}

// ReverseResult is the result of transfer/reverse and payout/reverse.
type ReverseResult struct {
	Payment Payment `json:"payment"`
}

// --- Notifications ----------------------------------------------------------

// FetchPageParams are the params of the fetch/page notification.
//
// Every connection subscribed to the session gets it, with the page's
// items unless it said pageItems: false at initialize.
type FetchPageParams struct {
	SessionID string `json:"sessionId"`
	// Task is the task path when the page came from sync/run.
	Task string `json:"task,omitempty"`
	Page Page   `json:"page"`
}

// ProgressParams are the params of $/progress. Token is a number or a
// string, as the client or the server made it.
type ProgressParams struct {
	Token json.RawMessage `json:"token"`
	Value ProgressValue   `json:"value"`
}

// ProgressValue is an LSP work-done progress value.
type ProgressValue struct {
	Kind        string `json:"kind"` // "begin", "report" or "end"
	Title       string `json:"title,omitempty"`
	Message     string `json:"message,omitempty"`
	Percentage  *int   `json:"percentage,omitempty"`
	Cancellable bool   `json:"cancellable,omitempty"`
}

// WorkDoneProgressCreateParams are the params of
// window/workDoneProgress/create.
type WorkDoneProgressCreateParams struct {
	Token json.RawMessage `json:"token"`
}

// WorkDoneProgressCancelParams are the params of
// window/workDoneProgress/cancel: the client's Cancel button on a progress.
type WorkDoneProgressCancelParams struct {
	Token json.RawMessage `json:"token"`
}

// LogParams are the params of the log notification.
type LogParams struct {
	SessionID string         `json:"sessionId,omitempty"`
	Level     string         `json:"level"`
	Message   string         `json:"message"`
	Fields    map[string]any `json:"fields,omitempty"`
	Time      time.Time      `json:"time"`
}

// HTTPExchangeParams are the params of http/exchange: one HTTP exchange of a
// connector, with secrets redacted.
type HTTPExchangeParams struct {
	SessionID  string        `json:"sessionId"`
	ID         string        `json:"id"`
	Operation  string        `json:"operation"`
	Page       int           `json:"page,omitempty"`
	Request    HTTPRequest   `json:"request"`
	Response   *HTTPResponse `json:"response,omitempty"`
	DurationMs float64       `json:"durationMs"`
	Error      string        `json:"error,omitempty"`
	// Fault is set when a fault rule (faults/set) replaced or altered the
	// exchange.
	Fault *InjectedFault `json:"fault,omitempty"`
}

// HTTPRequest is the request side of an exchange.
type HTTPRequest struct {
	Method        string              `json:"method"`
	URL           string              `json:"url"`
	Headers       map[string][]string `json:"headers"`
	Body          string              `json:"body,omitempty"`
	BodyTruncated bool                `json:"bodyTruncated"`
}

// HTTPResponse is the response side of an exchange.
type HTTPResponse struct {
	Status        int                 `json:"status"`
	Headers       map[string][]string `json:"headers"`
	Body          string              `json:"body,omitempty"`
	BodyTruncated bool                `json:"bodyTruncated"`
}

// SessionChangedParams are the params of session/changed.
type SessionChangedParams struct {
	Session Session `json:"session"`
	// Reason is one of the SessionChanged* constants.
	Reason string `json:"reason"`
}

// Reasons of session/changed.
const (
	SessionChangedCreated = "created"
	SessionChangedClosed  = "closed"
	SessionChangedReset   = "reset"
	SessionChangedState   = "state"
	// SessionChangedCapabilities: a capability answered "not implemented"
	// and is no longer reported.
	SessionChangedCapabilities = "capabilities"
	SessionChangedRecording    = "recording"
	SessionChangedUnsubscribed = "unsubscribed: subscriber fell behind"
)
