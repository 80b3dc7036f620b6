package transport

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorilla/websocket"
)

// wsFramer carries one JSON-RPC message per websocket text frame.
type wsFramer struct {
	c *websocket.Conn
}

// NewWebsocketStream returns a Stream over c. maxSize caps one message
// (gorilla closes the connection with 1009 past it); 0 means
// DefaultMaxMessageSize.
func NewWebsocketStream(c *websocket.Conn, maxSize int) *Stream {
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	c.SetReadLimit(int64(maxSize))
	s := newStream(&wsFramer{c: c})
	s.networked = true
	return s
}

func (f *wsFramer) readMessage() ([]byte, error) {
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
		b, err := io.ReadAll(r)
		if errors.Is(err, websocket.ErrReadLimit) {
			return nil, fmt.Errorf("%w: the message exceeds the limit", ErrMessageTooLarge)
		}
		if err != nil {
			return nil, fmt.Errorf("read frame: %w", err)
		}
		return b, nil
	}
}

func (f *wsFramer) writeMessage(body []byte) error {
	return f.c.WriteMessage(websocket.TextMessage, body)
}

func (f *wsFramer) close() error {
	// A close frame lets the peer tell a clean end from a crash.
	_ = f.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return f.c.Close()
}
