package client

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// transport carries whole JSON-RPC messages. readMessage is called from
// one goroutine only and returns a buffer of its own for each message (the
// client keeps spans of it); writeMessage calls are serialized by the
// client. close may come at any time, from any goroutine, and makes a
// blocked readMessage return.
type transport interface {
	readMessage() ([]byte, error)
	writeMessage(msg []byte) error
	close() error
}

// maxMessage bounds the Content-Length the client accepts.
const maxMessage = 1 << 30

// lspTransport speaks LSP framing (Content-Length: N\r\n\r\n, then N bytes
// of JSON) over a byte stream.
type lspTransport struct {
	rwc io.ReadWriteCloser
	r   *bufio.Reader
	out []byte // reused frame buffer, under the client's write lock
}

func newLSPTransport(rwc io.ReadWriteCloser) *lspTransport {
	return &lspTransport{rwc: rwc, r: bufio.NewReaderSize(rwc, 32<<10)}
}

func (t *lspTransport) readMessage() ([]byte, error) {
	n := -1
	for {
		line, err := t.r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errors.New("client: LSP header line too long")
			}
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if n < 0 {
				return nil, errors.New("client: LSP header without Content-Length")
			}
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return nil, fmt.Errorf("client: bad LSP header line %q", line)
		}
		if strings.EqualFold(string(bytes.TrimSpace(name)), "Content-Length") {
			v, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil || v < 0 || v > maxMessage {
				return nil, fmt.Errorf("client: bad Content-Length %q", value)
			}
			n = v
		}
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(t.r, msg); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg, nil
}

func (t *lspTransport) writeMessage(msg []byte) error {
	// One Write per message: header and body together.
	out := append(t.out[:0], "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(msg)), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, msg...)
	_, err := t.rwc.Write(out)
	if cap(out) <= 256<<10 {
		t.out = out
	} else {
		t.out = nil // do not keep a huge buffer for a rare huge message
	}
	return err
}

func (t *lspTransport) close() error { return t.rwc.Close() }

// wsTransport carries one message per websocket text frame.
type wsTransport struct {
	conn *websocket.Conn
	buf  bytes.Buffer // reused read buffer
}

func (t *wsTransport) readMessage() ([]byte, error) {
	for {
		typ, r, err := t.conn.NextReader()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				return nil, io.EOF
			}
			return nil, err
		}
		if typ != websocket.TextMessage && typ != websocket.BinaryMessage {
			continue
		}
		t.buf.Reset()
		if _, err := t.buf.ReadFrom(r); err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				return nil, io.EOF
			}
			return nil, err
		}
		msg := bytes.Clone(t.buf.Bytes())
		if t.buf.Cap() > 1<<20 {
			t.buf = bytes.Buffer{} // do not keep a huge buffer for a rare huge message
		}
		return msg, nil
	}
}

func (t *wsTransport) writeMessage(msg []byte) error {
	return t.conn.WriteMessage(websocket.TextMessage, msg)
}

// close ends the websocket with a close frame.
func (t *wsTransport) close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = t.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	return t.conn.Close()
}

// isClosedErr reports whether err is what reading or writing a transport
// that is closed returns.
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) || errors.Is(err, fs.ErrClosed) ||
		errors.Is(err, websocket.ErrCloseSent)
}
