package transport

import (
	"io"

	"github.com/switchboardpay/switchboard/internal/rpc"
)

// FrameError is a frame the stream cannot delimit (internal/rpc): the peer
// is told, then the connection closes.
type FrameError = rpc.FrameError

// NewLSPStream returns a Stream over LSP-framed r and w. closer is closed by
// Close (it may be nil). maxSize caps one message; 0 means
// DefaultMaxMessageSize.
func NewLSPStream(r io.Reader, w io.Writer, closer io.Closer, maxSize int) *Stream {
	return newStream(rpc.NewLSP(r, w, closer, maxSize))
}
