package protocol

import (
	"fmt"
)

// Error codes. The JSON-RPC ones are the specification's; the rest are
// Switchboard's, in the server range.
const (
	CodeParseError       = -32700
	CodeInvalidRequest   = -32600
	CodeMethodNotFound   = -32601
	CodeInvalidParams    = -32602
	CodeInternalError    = -32603
	CodeNotInitialized   = -32002
	CodeRequestCancelled = -32800
	// CodeServerCancelled (LSP 3.17) answers a request the server ended
	// itself, as a walk stopped by shutdown; editors mute -32800.
	CodeServerCancelled = -32802

	CodeSessionNotFound       = -32001
	CodeProviderNotFound      = -32010
	CodeCapabilityUnsupported = -32011
	CodeConnectorError        = -32020
	CodeConnectorPanicked     = -32021
	CodeSessionBusy           = -32030
	CodeStoreFull             = -32040
	CodeStoreDamaged          = -32041
)

// Error is a coded error. Domain code returns it (wrapped with %w as it
// likes); the daemon's dispatcher turns it into a JSON-RPC error in one
// place, and the Go client returns it for every error response.
type Error struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
	// Data is one of the *Data types below, or raw JSON on the client side.
	Data any `json:"data,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (code %d)", e.Message, e.Code)
}

// Is reports whether target is an *Error with the same code, so callers can
// write errors.Is(err, &protocol.Error{Code: protocol.CodeSessionNotFound}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// FieldError names one bad field of a request's params.
type FieldError struct {
	// Field is a dotted path into the params ("config.apiKey", "pageSize").
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidParamsData is the data of CodeInvalidParams.
type InvalidParamsData struct {
	Errors []FieldError `json:"errors"`
}

// SessionNotFoundData is the data of CodeSessionNotFound.
type SessionNotFoundData struct {
	SessionID string `json:"sessionId"`
}

// ProviderNotFoundData is the data of CodeProviderNotFound.
type ProviderNotFoundData struct {
	Provider string   `json:"provider"`
	Known    []string `json:"known"`
}

// CapabilityData is the data of CodeCapabilityUnsupported.
type CapabilityData struct {
	Provider   string `json:"provider"`
	Capability string `json:"capability"`
	// NotImplemented is set when the connector has the method but it
	// answered "not implemented" (connector.ErrNotImplemented): the
	// capability is reported as absent from then on.
	NotImplemented bool `json:"notImplemented,omitempty"`
}

// ConnectorErrorData is the data of CodeConnectorError.
type ConnectorErrorData struct {
	Provider   string `json:"provider"`
	Operation  string `json:"operation"`
	Message    string `json:"message"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	Retryable  *bool  `json:"retryable,omitempty"`
}

// PanicData is the data of CodeConnectorPanicked.
type PanicData struct {
	Provider  string `json:"provider"`
	Operation string `json:"operation"`
}

// BusyData is the data of CodeSessionBusy.
type BusyData struct {
	SessionID string `json:"sessionId"`
	Operation string `json:"operation"`
}

// StoreFull builds a CodeStoreFull error: a write refused because the
// disk holding the store is short of space (under --store-reserve). Reads
// go on, and writes resume by themselves once space is back.
func StoreFull(message string) *Error { return &Error{Code: CodeStoreFull, Message: message} }

// StoreDamaged builds a CodeStoreDamaged error: the store failed a
// checksum; the message names it and the commands that check and salvage
// it.
func StoreDamaged(message string) *Error { return &Error{Code: CodeStoreDamaged, Message: message} }

// InvalidParams builds a CodeInvalidParams error listing each bad field.
func InvalidParams(errs ...FieldError) *Error {
	msg := "invalid params"
	if len(errs) == 1 {
		msg = fmt.Sprintf("invalid params: %s: %s", errs[0].Field, errs[0].Message)
	} else if len(errs) > 1 {
		msg = fmt.Sprintf("invalid params: %s: %s (and %d more)", errs[0].Field, errs[0].Message, len(errs)-1)
	}
	return &Error{Code: CodeInvalidParams, Message: msg, Data: InvalidParamsData{Errors: errs}}
}

// SessionNotFound builds a CodeSessionNotFound error.
func SessionNotFound(id string) *Error {
	return &Error{Code: CodeSessionNotFound, Message: fmt.Sprintf("session %q not found", id), Data: SessionNotFoundData{SessionID: id}}
}

// ProviderNotFound builds a CodeProviderNotFound error.
func ProviderNotFound(name string, known []string) *Error {
	return &Error{Code: CodeProviderNotFound, Message: fmt.Sprintf("provider %q not found", name), Data: ProviderNotFoundData{Provider: name, Known: known}}
}

// CapabilityNotImplemented builds the CodeCapabilityUnsupported error of a
// capability whose method answered "not implemented".
func CapabilityNotImplemented(provider, capability string) *Error {
	return &Error{Code: CodeCapabilityUnsupported, Message: fmt.Sprintf("provider %q does not support %s: its method answered \"not implemented\"", provider, capability),
		Data: CapabilityData{Provider: provider, Capability: capability, NotImplemented: true}}
}

// CapabilityUnsupported builds a CodeCapabilityUnsupported error.
func CapabilityUnsupported(provider, capability string) *Error {
	return &Error{Code: CodeCapabilityUnsupported, Message: fmt.Sprintf("provider %q does not support %s", provider, capability), Data: CapabilityData{Provider: provider, Capability: capability}}
}

// SessionBusy builds a CodeSessionBusy error.
func SessionBusy(sessionID, operation string) *Error {
	return &Error{Code: CodeSessionBusy, Message: fmt.Sprintf("session %s is busy with %s on the same key", sessionID, operation), Data: BusyData{SessionID: sessionID, Operation: operation}}
}
