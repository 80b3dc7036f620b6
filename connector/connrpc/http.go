package connrpc

import "encoding/json"

// MethodHTTPRequest is the one request a connector process sends the
// daemon: it asks the daemon to make an HTTP request for it, through the
// session's HTTP transport (its capture and its fault rules, faults/set),
// so that a connector in a process is recorded and broken on purpose like
// one in the daemon. The daemon offers it in the handshake
// (DaemonInfo.HTTP); a connector that does not use it makes its requests
// itself and reports them with connector/httpExchange.
const MethodHTTPRequest = "connector/httpRequest" // HTTPRequestParams -> HTTPRequestResult

// CodeHTTPFailed is the error of a connector/httpRequest whose request
// failed without a response; its data is HTTPFailedData.
const CodeHTTPFailed = -32040

// HTTPRequestParams are the params of connector/httpRequest.
type HTTPRequestParams struct {
	// RequestID is the id of the daemon's request the HTTP request is made
	// for, so that the daemon attributes it to that call (operation, page).
	RequestID json.RawMessage     `json:"requestId,omitempty"`
	Method    string              `json:"method"`
	URL       string              `json:"url"`
	Host      string              `json:"host,omitempty"`
	Headers   map[string][]string `json:"headers"`
	Body      []byte              `json:"body,omitempty"` // base64 on the wire
}

// HTTPRequestResult is the response the daemon got.
type HTTPRequestResult struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    []byte              `json:"body,omitempty"` // base64 on the wire
	// BodyError is set when reading the body failed after Body: the
	// connector reads Body, then this error.
	BodyError string `json:"bodyError,omitempty"`
	// UnexpectedEOF marks a BodyError that is an unexpected EOF (a body cut
	// short), so the connector sees io.ErrUnexpectedEOF.
	UnexpectedEOF bool `json:"unexpectedEOF,omitempty"`
}

// HTTPFailedData is the data of CodeHTTPFailed.
type HTTPFailedData struct {
	// Timeout marks a timeout (a net.Error whose Timeout() is true).
	Timeout bool `json:"timeout,omitempty"`
	// Reset marks a connection reset by the peer.
	Reset bool `json:"reset,omitempty"`
}
