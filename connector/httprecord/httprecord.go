// Package httprecord makes one HTTP round trip and describes it as a wire
// exchange (protocol.HTTPExchangeParams), reading both bodies whole so the
// caller still gets them intact. The daemon's capture and a connector
// process forwarding its traffic to the daemon both record with it; what
// they do with the record (redact, keep, send) is theirs.
package httprecord

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
	"unsafe"

	"github.com/switchboardpay/switchboard/protocol"
)

// RoundTrip sends req through base and calls record with the exchange,
// unredacted, before returning. A response body that fails half-way is
// returned with the bytes read, then the error, as the connector would
// have seen it.
func RoundTrip(base http.RoundTripper, req *http.Request, record func(req *http.Request, ex protocol.HTTPExchangeParams)) (*http.Response, error) {
	start := time.Now()
	ex := protocol.HTTPExchangeParams{Request: protocol.HTTPRequest{Method: req.Method, URL: req.URL.String(), Headers: cloneHeader(req.Header)}}
	if req.Host != "" && req.Host != req.URL.Host {
		ex.Request.Headers["Host"] = []string{req.Host}
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := readAll(req.Body, req.ContentLength)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.Request.Body = bytesString(body)
		// A retry or redirect needs the body again.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		ex.Error = err.Error()
		ex.DurationMs = ms(time.Since(start))
		record(req, ex)
		return nil, err
	}
	body, rerr := readAll(resp.Body, resp.ContentLength)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.DurationMs = ms(time.Since(start))
	ex.Response = &protocol.HTTPResponse{Status: resp.StatusCode, Headers: cloneHeader(resp.Header), Body: bytesString(body)}
	if rerr != nil {
		ex.Error = fmt.Sprintf("reading the response body: %v", rerr)
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{rerr}))
	}
	record(req, ex)
	return resp, nil
}

// readAll reads r whole into a buffer sized from the declared length, or
// from 32 KiB when there is none: io.ReadAll starts at 512 bytes and
// copies a 100 KiB page body about eight times as it grows.
func readAll(r io.Reader, declared int64) ([]byte, error) {
	size := int64(32 << 10)
	if declared >= 0 && declared < 64<<20 {
		size = declared + 1 // +1: the read that sees EOF needs room
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// bytesString shares body's bytes with the recorded string instead of
// copying them: nothing writes body after it is read (the connector gets
// a reader over it).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func cloneHeader(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}
