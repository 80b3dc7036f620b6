package connector

import (
	"errors"
	"fmt"
)

// Error is an error from the provider that a connector wants reported with
// its HTTP status and whether a retry may help. Return it (or wrap it) from
// any capability method; the daemon reports it as a connector error with
// these fields.
type Error struct {
	HTTPStatus int
	Retryable  bool
	Message    string
	Err        error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("http %d: %s", e.HTTPStatus, msg)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPError builds an Error for an HTTP response the connector could not
// use. 429 and 5xx are marked retryable.
func HTTPError(status int, body string) *Error {
	return &Error{HTTPStatus: status, Retryable: status == 429 || status >= 500, Message: body}
}

// ErrInvalidState is what a connector returns (wrapped) when the state it is
// handed does not parse; it tells the author to reset the state.
var ErrInvalidState = errors.New("invalid connector state")

// ErrNotImplemented is what a connector returns (wrapped or not) from a
// capability method it has but does not support, as Formance plugins'
// stubs do (plugins.ErrNotImplemented). The daemon answers the call with
// a capability-unsupported error and reports the capability as absent from
// then on; connector/check says so instead of failing.
var ErrNotImplemented = errors.New("not implemented")
