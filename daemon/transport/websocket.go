package transport

import (
	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/internal/rpc"
)

// NewWebsocketStream returns a Stream over c, one message per text frame.
// maxSize caps one message (gorilla closes the connection with 1009 past
// it); 0 means DefaultMaxMessageSize.
func NewWebsocketStream(c *websocket.Conn, maxSize int) *Stream {
	s := newStream(rpc.NewWebsocket(c, maxSize))
	s.networked = true
	return s
}
