// Package rpc holds what every JSON-RPC end of Switchboard shares: the
// framers of its two transports (LSP-framed byte streams and websockets)
// and their one message limit. The daemon's transports (daemon/transport),
// the child-process connector protocol (connector/connrpc) and the Go
// client (clients/go) all read and write messages through it, so a frame
// is delimited, limited and refused the same way everywhere.
package rpc

import (
	"errors"
)

// DefaultMaxMessageSize caps one incoming message. A frame that announces
// more is refused before its body is read.
const DefaultMaxMessageSize = 64 << 20

// ErrMessageTooLarge is returned when a peer announces or sends a message
// above the limit; the stream cannot resynchronise after it.
var ErrMessageTooLarge = errors.New("message too large")

// FrameError is a frame that cannot be delimited: a header without
// Content-Length, a malformed or too long header line, input ending inside
// a header. The stream cannot find the next frame after it.
type FrameError struct{ Msg string }

func (e *FrameError) Error() string { return e.Msg }

// Framer reads and writes whole message bodies.
type Framer interface {
	// ReadMessage returns the next message body, in a buffer of its own
	// (callers may keep spans of it). An error ends the stream; io.EOF is
	// a clean end.
	ReadMessage() ([]byte, error)
	// WriteMessage writes one body as one frame. Calls must not overlap.
	WriteMessage(body []byte) error
	// Close closes the underlying connection; a blocked ReadMessage
	// returns.
	Close() error
}
