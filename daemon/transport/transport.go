// Package transport frames JSON-RPC messages over the daemon's two
// transports, LSP-framed byte streams (stdio) and websockets, as
// jsonrpc2.ObjectStreams that survive bad input.
//
// sourcegraph/jsonrpc2 closes a connection when its stream returns a read
// error. Here a message that is not valid JSON, a batch, or a value that is
// not a request or response is answered with a coded error (id null) and
// the stream reads on; only a broken frame or a closed peer ends it. Streams
// also write pre-encoded message bodies (WriteRaw) so a notification
// encoded once can go to many connections.
package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// DefaultMaxMessageSize caps one incoming message. A frame that announces
// more is refused and the connection closed, before its body is read.
const DefaultMaxMessageSize = 64 << 20

// ErrMessageTooLarge is returned when a peer announces or sends a message
// above the cap; the stream cannot resynchronise after it.
var ErrMessageTooLarge = errors.New("message too large")

// framer reads and writes whole message bodies.
type framer interface {
	// readMessage returns the next message body. An error ends the stream.
	readMessage() ([]byte, error)
	// writeMessage writes one body as one frame. Calls are serialised by
	// Stream.
	writeMessage(body []byte) error
	close() error
}

// Stream is a jsonrpc2.ObjectStream over a framer that answers bad input
// itself instead of failing.
type Stream struct {
	f framer

	wmu sync.Mutex // serialises writes: responses and notifications share the frame stream

	// OnBadMessage, if set, is told of each message answered with an error
	// (for logs and tests).
	OnBadMessage func(code int, err error)

	networked bool // a websocket: its peer may be anyone who has the token
}

// Networked reports whether the stream came over the network (a
// websocket) rather than from the process that spawned the daemon (stdio).
func (s *Stream) Networked() bool { return s.networked }

func newStream(f framer) *Stream { return &Stream{f: f} }

// errorResponse is a JSON-RPC error response with a raw id.
type errorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ReadObject implements jsonrpc2.ObjectStream.
func (s *Stream) ReadObject(v any) error {
	for {
		body, err := s.f.readMessage()
		if err != nil {
			if errors.Is(err, ErrMessageTooLarge) {
				// Say why before the connection closes: the stream cannot
				// skip a body it refuses to read.
				_ = s.writeError(nil, -32600, "invalid request: "+err.Error()+"; closing the connection")
			}
			return err
		}
		code, msg, id := classify(body)
		if code == 0 {
			if err := json.Unmarshal(body, v); err != nil {
				code, msg = -32600, "invalid request: "+err.Error()
			} else {
				return nil
			}
		}
		if s.OnBadMessage != nil {
			s.OnBadMessage(code, errors.New(msg))
		}
		if err := s.writeError(id, code, msg); err != nil {
			return err
		}
	}
}

// classify returns 0 for a body that looks like a single JSON-RPC message,
// else the error code and message to answer with, and the id when one can
// be read.
func classify(body []byte) (code int, msg string, id json.RawMessage) {
	if !json.Valid(body) {
		return -32700, "parse error: message is not valid JSON", nil
	}
	t := bytes.TrimLeft(body, " \t\r\n")
	if len(t) == 0 {
		return -32700, "parse error: empty message", nil
	}
	switch t[0] {
	case '[':
		return -32600, "invalid request: batches are not supported", nil
	case '{':
	default:
		return -32600, "invalid request: a message must be a JSON object", nil
	}
	var probe struct {
		ID     json.RawMessage `json:"id"`
		Method json.RawMessage `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(t, &probe); err != nil {
		return -32600, "invalid request: " + err.Error(), nil
	}
	if len(probe.ID) > 0 {
		switch probe.ID[0] {
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			id = probe.ID
		case 'n':
		default:
			return -32600, "invalid request: id must be a number or a string", nil
		}
	}
	hasMethod := len(probe.Method) > 0 && string(probe.Method) != "null"
	if hasMethod && probe.Method[0] != '"' {
		return -32600, "invalid request: method must be a string", id
	}
	isResponse := len(probe.Result) > 0 || (len(probe.Error) > 0 && string(probe.Error) != "null")
	if !hasMethod && !isResponse {
		return -32600, "invalid request: neither a request nor a response", id
	}
	if hasMethod && isResponse {
		return -32600, "invalid request: both a request and a response", id
	}
	return 0, "", nil
}

func (s *Stream) writeError(id json.RawMessage, code int, msg string) error {
	r := errorResponse{JSONRPC: "2.0", ID: id}
	if r.ID == nil {
		r.ID = json.RawMessage("null")
	}
	r.Error.Code = code
	r.Error.Message = msg
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.WriteRaw(b)
}

// WriteObject implements jsonrpc2.ObjectStream.
func (s *Stream) WriteObject(obj any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	return s.WriteRaw(b)
}

// WriteRaw writes one already-encoded message body as one frame.
func (s *Stream) WriteRaw(body []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.f.writeMessage(body)
}

// Close implements jsonrpc2.ObjectStream.
func (s *Stream) Close() error { return s.f.close() }
