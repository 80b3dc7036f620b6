package transport

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FrameError is a frame the stream cannot delimit: a header without
// Content-Length, a malformed or too long header line. The peer is told,
// then the connection closes, since the stream cannot find the next frame.
type FrameError struct{ Msg string }

func (e *FrameError) Error() string { return e.Msg }

// lspFramer speaks the LSP base protocol: "Content-Length: N\r\n\r\n" then N
// bytes of JSON.
type lspFramer struct {
	r   *bufio.Reader
	w   *bufio.Writer
	c   io.Closer
	max int
	hdr []byte // reused header buffer
}

// NewLSPStream returns a Stream over LSP-framed r and w. closer is closed by
// Close (it may be nil). maxSize caps one message; 0 means
// DefaultMaxMessageSize.
func NewLSPStream(r io.Reader, w io.Writer, closer io.Closer, maxSize int) *Stream {
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	return newStream(&lspFramer{r: bufio.NewReaderSize(r, 64<<10), w: bufio.NewWriterSize(w, 64<<10), c: closer, max: maxSize})
}

func (f *lspFramer) readMessage() ([]byte, error) {
	length, headers := -1, 0
	for {
		line, err := f.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" && length < 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read header: %w", err)
		}
		if len(line) > 8<<10 {
			return nil, &FrameError{"header line too long"}
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if length >= 0 {
				break
			}
			if headers > 0 {
				// The body's end is unknown: waiting for more would hang.
				return nil, &FrameError{"frame headers without Content-Length"}
			}
			// Blank lines between frames are tolerated.
			continue
		}
		headers++
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, &FrameError{fmt.Sprintf("malformed header %q", line)}
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 {
				return nil, &FrameError{fmt.Sprintf("bad Content-Length %q", value)}
			}
			length = n
		}
	}
	if length > f.max {
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", ErrMessageTooLarge, length, f.max)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(f.r, body); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

func (f *lspFramer) writeMessage(body []byte) error {
	f.hdr = append(f.hdr[:0], "Content-Length: "...)
	f.hdr = strconv.AppendInt(f.hdr, int64(len(body)), 10)
	f.hdr = append(f.hdr, "\r\n\r\n"...)
	if _, err := f.w.Write(f.hdr); err != nil {
		return err
	}
	if _, err := f.w.Write(body); err != nil {
		return err
	}
	// One flush per frame: a peer never waits on a frame sitting in the buffer.
	return f.w.Flush()
}

func (f *lspFramer) close() error {
	if f.c != nil {
		return f.c.Close()
	}
	return nil
}
