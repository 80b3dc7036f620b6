package rpc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorilla/websocket"
)

// wsFramer carries one JSON-RPC message per websocket text frame.
type wsFramer struct {
	c   *websocket.Conn
	buf bytes.Buffer // reused read buffer
}

var _ Framer = (*wsFramer)(nil)

// NewWebsocket returns a framer over c. max caps one message (gorilla
// closes the connection with 1009 past it); 0 means
// DefaultMaxMessageSize.
func NewWebsocket(c *websocket.Conn, max int) Framer {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	c.SetReadLimit(int64(max))
	return &wsFramer{c: c}
}

func (f *wsFramer) ReadMessage() ([]byte, error) {
	for {
		typ, r, err := f.c.NextReader()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				return nil, io.EOF
			}
			return nil, err
		}
		if typ != websocket.TextMessage && typ != websocket.BinaryMessage {
			continue
		}
		f.buf.Reset()
		_, err = f.buf.ReadFrom(r)
		if errors.Is(err, websocket.ErrReadLimit) {
			return nil, fmt.Errorf("%w: the message exceeds the limit", ErrMessageTooLarge)
		}
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read frame: %w", err)
		}
		msg := bytes.Clone(f.buf.Bytes())
		if f.buf.Cap() > 1<<20 {
			f.buf = bytes.Buffer{} // do not keep a huge buffer for a rare huge message
		}
		return msg, nil
	}
}

func (f *wsFramer) WriteMessage(body []byte) error {
	return f.c.WriteMessage(websocket.TextMessage, body)
}

// Close ends the websocket with a close frame, so that the peer can tell
// a clean end from a crash.
func (f *wsFramer) Close() error {
	_ = f.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return f.c.Close()
}
