package protocol

import "fmt"

// Error codes of the daemon's defences: a file it will not touch, and a
// request over one of its limits.
const (
	CodePathRefused   = -32050
	CodeLimitExceeded = -32051
)

// Reasons of a CodePathRefused error.
const (
	PathExists          = "exists"          // data/export onto a file, without overwrite
	PathNotWritable     = "notWritable"     // data/export onto a file its mode says the user may not write
	PathNotRegular      = "notRegular"      // a FIFO, device, directory or socket
	PathOutsideRoot     = "outsideRoot"     // connectors/add over websocket outside --connector-root
	PathNoConnectorRoot = "noConnectorRoot" // connectors/add over websocket with no --connector-root
)

// PathRefusedData is the data of CodePathRefused.
type PathRefusedData struct {
	Path string `json:"path"`
	// Reason is one of exists, notWritable, notRegular, outsideRoot,
	// noConnectorRoot.
	Reason string `json:"reason"`
}

// PathRefused builds a CodePathRefused error; message says why and what to
// do instead.
func PathRefused(path, reason, message string) *Error {
	return &Error{Code: CodePathRefused, Message: message, Data: PathRefusedData{Path: path, Reason: reason}}
}

// LimitData is the data of CodeLimitExceeded.
type LimitData struct {
	// Limit names what is limited: sessionName, config, state, sessions.
	Limit string `json:"limit"`
	Max   int64  `json:"max"`
	Got   int64  `json:"got"`
	// Flag is the daemon flag that raises the limit, if any.
	Flag string `json:"flag,omitempty"`
}

// LimitExceeded builds a CodeLimitExceeded error naming the limit, its
// value and the flag that raises it.
func LimitExceeded(limit, what string, max, got int64, flag string) *Error {
	msg := fmt.Sprintf("%s is over the limit: %d, at most %d", what, got, max)
	if flag != "" {
		msg += fmt.Sprintf(" (start the daemon with %s to change it)", flag)
	}
	return &Error{Code: CodeLimitExceeded, Message: msg, Data: LimitData{Limit: limit, Max: max, Got: got, Flag: flag}}
}
