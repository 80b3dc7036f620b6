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

	"github.com/switchboardpay/switchboard/internal/rpc"
)

// DefaultMaxMessageSize caps one incoming message (internal/rpc's limit,
// shared by every end). A frame that announces more is refused and the
// connection closed, before its body is read.
const DefaultMaxMessageSize = rpc.DefaultMaxMessageSize

// ErrMessageTooLarge is returned when a peer announces or sends a message
// above the cap; the stream cannot resynchronise after it.
var ErrMessageTooLarge = rpc.ErrMessageTooLarge

// Stream is a jsonrpc2.ObjectStream over a framer that answers bad input
// itself instead of failing.
type Stream struct {
	f rpc.Framer

	wmu sync.Mutex // serialises writes: responses and notifications share the frame stream

	amu sync.Mutex // guards ids; a leaf
	ids aliases

	// OnBadMessage, if set, is told of each message answered with an error
	// (for logs and tests).
	OnBadMessage func(code int, err error)

	networked bool // a websocket: its peer may be anyone who has the token
}

// Networked reports whether the stream came over the network (a
// websocket) rather than from the process that spawned the daemon (stdio).
func (s *Stream) Networked() bool { return s.networked }

func newStream(f rpc.Framer) *Stream { return &Stream{f: f} }

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
		body, err := s.f.ReadMessage()
		if err != nil {
			var ferr *FrameError
			if errors.Is(err, ErrMessageTooLarge) || errors.As(err, &ferr) {
				// Say why before the connection closes: the stream cannot
				// skip a body it refuses or cannot delimit.
				_ = s.writeError(nil, -32600, "invalid request: "+err.Error()+"; closing the connection")
			}
			return err
		}
		m, code, msg := classify(body)
		if code == 0 {
			body, code, msg = s.normalize(body, m)
		}
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
		if err := s.writeError(m.replyID(), code, msg); err != nil {
			return err
		}
	}
}

// probe is what classify reads of a message.
type probe struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`

	hasMethod, isResponse bool
}

// replyID is the id an error answer to the message carries: a request's
// own, else null (a response or an unreadable message has no request to
// answer).
func (m *probe) replyID() json.RawMessage {
	if m == nil || !m.hasMethod || len(m.ID) == 0 {
		return nil
	}
	switch m.ID[0] {
	case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return m.ID
	}
	return nil
}

// classify returns code 0 for a body that is a single JSON-RPC 2.0
// message, else the error code and message to answer with. m is nil only
// when the body is not a JSON object.
func classify(body []byte) (m *probe, code int, msg string) {
	if !json.Valid(body) {
		return nil, -32700, "parse error: message is not valid JSON"
	}
	t := bytes.TrimLeft(body, " \t\r\n")
	if len(t) == 0 {
		return nil, -32700, "parse error: empty message"
	}
	switch t[0] {
	case '[':
		return nil, -32600, "invalid request: batches are not supported"
	case '{':
	default:
		return nil, -32600, "invalid request: a message must be a JSON object"
	}
	m = &probe{}
	if err := json.Unmarshal(t, m); err != nil {
		return nil, -32600, "invalid request: " + err.Error()
	}
	m.hasMethod = len(m.Method) > 0 && string(m.Method) != "null"
	m.isResponse = len(m.Result) > 0 || (len(m.Error) > 0 && string(m.Error) != "null")
	if len(m.ID) > 0 {
		switch m.ID[0] {
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'n':
		default:
			m.ID = nil
			return m, -32600, "invalid request: id must be a number, a string or null"
		}
	}
	if string(m.JSONRPC) != `"2.0"` {
		return m, -32600, `invalid request: "jsonrpc" must be "2.0"`
	}
	if m.hasMethod && m.Method[0] != '"' {
		return m, -32600, "invalid request: method must be a string"
	}
	if m.hasMethod && m.isResponse {
		return m, -32600, "invalid request: both a request and a response"
	}
	if !m.hasMethod && !m.isResponse && (len(m.ID) == 0 || string(m.ID) == "null") {
		return m, -32600, "invalid request: neither a request nor a response"
	}
	return m, 0, ""
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
	return s.f.WriteMessage(body)
}

// Close implements jsonrpc2.ObjectStream.
func (s *Stream) Close() error { return s.f.Close() }
