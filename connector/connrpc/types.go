// Package connrpc is the connector-side protocol of Switchboard: the
// messages a daemon and a connector process exchange over the connector's
// stdin and stdout (JSON-RPC 2.0, LSP framing), a small symmetric JSON-RPC
// peer, and the conversions between the SDK's item types and their wire
// form. docs/connector-protocol.md is its reference for other languages.
//
// Both sides use it: connector/serve in the connector process and
// daemon/remote in the daemon. The connector package itself stays free of
// JSON-RPC.
package connrpc

import (
	"encoding/json"
	"github.com/switchboardpay/switchboard/connector/wire"

	"github.com/switchboardpay/switchboard/protocol"
)

// ProtocolVersion is the connector protocol's version, checked in the
// handshake: both sides refuse any other.
const ProtocolVersion = "1"

// Methods the daemon calls on a connector process.
const (
	MethodHandshake         = "connector/handshake"         // HandshakeParams -> HandshakeResult
	MethodOpen              = "connector/open"              // OpenParams -> OpenResult
	MethodFetch             = "connector/fetch"             // FetchParams -> FetchResult
	MethodInstall           = "connector/install"           // {} -> InstallResult
	MethodUninstall         = "connector/uninstall"         // {} -> {}
	MethodCreateBankAccount = "connector/createBankAccount" // BankAccountParams -> BankAccountResult
	MethodCreateTransfer    = "connector/createTransfer"    // InitiationParams -> protocol.InitiationResult
	MethodCreatePayout      = "connector/createPayout"      // InitiationParams -> protocol.InitiationResult
	MethodPollTransfer      = "connector/pollTransfer"      // PollParams -> protocol.PollResult
	MethodPollPayout        = "connector/pollPayout"        // PollParams -> protocol.PollResult
	MethodReverseTransfer   = "connector/reverseTransfer"   // ReverseParams -> ReverseResult
	MethodReversePayout     = "connector/reversePayout"     // ReverseParams -> ReverseResult
	MethodCancelRequest     = "$/cancelRequest"             // notification: CancelParams
)

// Notifications a connector process sends to the daemon.
const (
	NotifyLog          = "connector/log"          // LogParams
	NotifyHTTPExchange = "connector/httpExchange" // HTTPExchangeParams
)

// Error codes a connector process answers with.
const (
	CodeParseError            = -32700
	CodeInvalidRequest        = -32600
	CodeMethodNotFound        = -32601
	CodeInvalidParams         = -32602 // data: ErrorData{Errors} for a bad config
	CodeInternal              = -32603
	CodeNotOpen               = -32002 // a capability call before connector/open
	CodeRequestCancelled      = -32800
	CodeCapabilityUnsupported = -32011
	CodeConnectorError        = -32020 // data: ErrorData{HTTPStatus, Retryable, InvalidState}
	CodeConnectorPanicked     = -32021
	CodeNotImplemented        = -32022 // the capability's method returned connector.ErrNotImplemented
)

// DaemonInfo names the daemon in the handshake.
type DaemonInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// HTTP is true when the daemon makes HTTP requests for the connector
	// (connector/httpRequest).
	HTTP bool `json:"http,omitempty"`
}

// HandshakeParams are the params of connector/handshake.
type HandshakeParams struct {
	ProtocolVersion string     `json:"protocolVersion"`
	Daemon          DaemonInfo `json:"daemon"`
}

// ProviderInfo is what a connector process declares about itself.
type ProviderInfo struct {
	Name            string          `json:"name"`
	Description     string          `json:"description"`
	DefaultPageSize int             `json:"defaultPageSize"`
	Capabilities    []string        `json:"capabilities"`
	ConfigSchema    json.RawMessage `json:"configSchema"`
}

// HandshakeResult is the result of connector/handshake.
type HandshakeResult struct {
	ProtocolVersion string       `json:"protocolVersion"`
	Provider        ProviderInfo `json:"provider"`
}

// OpenParams are the params of connector/open.
type OpenParams struct {
	Config json.RawMessage `json:"config"`
}

// OpenResult is the result of connector/open. Both fields are optional:
// without capabilities the handshake's hold; installs says whether
// connector/install returns a real task tree.
//
// bootstrapOnInstall, payoutsPerSecond and uninstalls carry the optional
// Bootstrapper, PayoutThrottler and Uninstaller.
type OpenResult struct {
	Capabilities       []string `json:"capabilities,omitempty"`
	Installs           bool     `json:"installs,omitempty"`
	BootstrapOnInstall []string `json:"bootstrapOnInstall,omitempty"`
	PayoutsPerSecond   float64  `json:"payoutsPerSecond,omitempty"`
	Uninstalls         bool     `json:"uninstalls,omitempty"`
}

// FetchParams are the params of connector/fetch.
type FetchParams struct {
	Resource    string          `json:"resource"`
	State       json.RawMessage `json:"state,omitempty"`
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	Name        string          `json:"name,omitempty"`
	PageSize    int             `json:"pageSize"`
}

// FetchResult is the result of connector/fetch (wire.FetchResult).
type FetchResult = wire.FetchResult

// InstallResult is the result of connector/install.
type InstallResult struct {
	Tasks []protocol.Task `json:"tasks"`
}

// BankAccountParams are the params of connector/createBankAccount.
type BankAccountParams struct {
	BankAccount protocol.BankAccount `json:"bankAccount"`
}

// BankAccountResult is the result of connector/createBankAccount.
type BankAccountResult struct {
	Account protocol.Account `json:"account"`
}

// InitiationParams are the params of connector/createTransfer and
// connector/createPayout.
type InitiationParams struct {
	Initiation protocol.Initiation `json:"initiation"`
}

// PollParams are the params of connector/pollTransfer and
// connector/pollPayout.
type PollParams struct {
	PollingID string `json:"pollingId"`
}

// ReverseParams are the params of connector/reverseTransfer and
// connector/reversePayout.
type ReverseParams struct {
	Reversal protocol.Reversal `json:"reversal"`
}

// ReverseResult is the result of the reverse methods.
type ReverseResult struct {
	Payment protocol.Payment `json:"payment"`
}

// CancelParams are the params of $/cancelRequest.
type CancelParams struct {
	ID json.RawMessage `json:"id"`
}

// LogParams are the params of connector/log.
type LogParams struct {
	Level   string         `json:"level"` // debug, info, warn, error
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields,omitempty"`
}

// HTTPExchangeParams are the params of connector/httpExchange: one HTTP
// exchange the connector made, unredacted (the daemon redacts it).
// RequestID is the id of the daemon's request the exchange was made for,
// so that the daemon attributes it to that call.
type HTTPExchangeParams struct {
	RequestID  json.RawMessage        `json:"requestId,omitempty"`
	Request    protocol.HTTPRequest   `json:"request"`
	Response   *protocol.HTTPResponse `json:"response,omitempty"`
	DurationMs float64                `json:"durationMs"`
	Error      string                 `json:"error,omitempty"`
}

// FieldError names a bad config field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ErrorData is the data of a connector process's error.
type ErrorData struct {
	HTTPStatus   int          `json:"httpStatus,omitempty"`
	Retryable    *bool        `json:"retryable,omitempty"`
	InvalidState bool         `json:"invalidState,omitempty"`
	Errors       []FieldError `json:"errors,omitempty"`
}
