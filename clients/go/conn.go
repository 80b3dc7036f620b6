package client

import (
	"errors"
	"io"
	"io/fs"
	"net"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/internal/rpc"
)

// maxMessage bounds a message from the daemon: the one limit of every
// end (internal/rpc).
const maxMessage = rpc.DefaultMaxMessageSize

// isClosedErr reports whether err is what reading or writing a transport
// that is closed returns.
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) || errors.Is(err, fs.ErrClosed) ||
		errors.Is(err, websocket.ErrCloseSent)
}
