package rpc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// lspFramer speaks the LSP base protocol: "Content-Length: N\r\n\r\n" then N
// bytes of JSON. Other headers (Content-Type) are ignored.
type lspFramer struct {
	r   *bufio.Reader
	w   io.Writer
	c   io.Closer
	max int
	out []byte // reused frame buffer; writes do not overlap
}

var _ Framer = (*lspFramer)(nil)

// NewLSP returns a framer reading r and writing w; Close closes c (which
// may be nil). max caps one message; 0 means DefaultMaxMessageSize.
func NewLSP(r io.Reader, w io.Writer, c io.Closer, max int) Framer {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return &lspFramer{r: bufio.NewReaderSize(r, 64<<10), w: w, c: c, max: max}
}

func (f *lspFramer) ReadMessage() ([]byte, error) {
	length, headers := -1, 0
	for {
		line, err := f.r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, &FrameError{fmt.Sprintf("header line too long: not a message header (garbage on the stream?): %.200q", line)}
			}
			if err == io.EOF && len(line) == 0 && headers == 0 {
				return nil, io.EOF
			}
			if err == io.EOF {
				return nil, &FrameError{fmt.Sprintf("input ended inside a header: %.200q", line)}
			}
			return nil, fmt.Errorf("read header: %w", err)
		}
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
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
		name, value, ok := strings.Cut(s, ":")
		if !ok {
			return nil, &FrameError{fmt.Sprintf("malformed header: not a message header (garbage on the stream?): %.200q", s)}
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

func (f *lspFramer) WriteMessage(body []byte) error {
	// One Write per frame, header and body together: a peer never waits
	// on half a frame, and pipes see one write.
	out := append(f.out[:0], "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, body...)
	_, err := f.w.Write(out)
	if cap(out) <= 256<<10 {
		f.out = out
	} else {
		f.out = nil // do not keep a huge buffer for a rare huge message
	}
	return err
}

func (f *lspFramer) Close() error {
	if f.c != nil {
		return f.c.Close()
	}
	return nil
}
