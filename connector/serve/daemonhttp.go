package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"

	"github.com/switchboardpay/switchboard/connector/connrpc"
)

// daemonTransport has the daemon make each request (connector/httpRequest),
// through the session's transport: its capture records the exchange and
// its fault rules apply, as for a connector in the daemon. Failures come
// back as the errors a transport of this process would give: a timeout is
// a net.Error that timed out, a reset wraps ECONNRESET, a cut body ends in
// io.ErrUnexpectedEOF.
type daemonTransport struct {
	peer *connrpc.Peer
}

var _ http.RoundTripper = (*daemonTransport)(nil)

func (t *daemonTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := connrpc.HTTPRequestParams{Method: req.Method, URL: req.URL.String(), Headers: map[string][]string(req.Header.Clone())}
	if p.Headers == nil {
		p.Headers = map[string][]string{}
	}
	if req.Host != "" && req.Host != req.URL.Host {
		p.Host = req.Host
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		p.Body = body
	}
	if id, ok := req.Context().Value(requestIDKey{}).(json.RawMessage); ok {
		p.RequestID = id
	}
	var res connrpc.HTTPRequestResult
	if err := t.peer.Call(req.Context(), connrpc.MethodHTTPRequest, p, &res); err != nil {
		var re *connrpc.Error
		if !errors.As(err, &re) || re.Code != connrpc.CodeHTTPFailed {
			return nil, err
		}
		var data connrpc.HTTPFailedData
		_ = json.Unmarshal(re.Data, &data)
		switch {
		case data.Timeout:
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: timeoutError(re.Message)}
		case data.Reset:
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
		}
		return nil, errors.New(re.Message)
	}
	var body io.Reader = bytes.NewReader(res.Body)
	if res.BodyError != "" {
		berr := errors.New(res.BodyError)
		if res.UnexpectedEOF {
			berr = io.ErrUnexpectedEOF
		}
		body = io.MultiReader(body, errReader{berr})
	}
	h := http.Header(res.Headers)
	if h == nil {
		h = http.Header{}
	}
	length := int64(-1)
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil {
		length = n
	}
	return &http.Response{
		Status: strconv.Itoa(res.Status) + " " + http.StatusText(res.Status), StatusCode: res.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(body), ContentLength: length, Request: req,
	}, nil
}

type timeoutError string

func (e timeoutError) Error() string   { return string(e) }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
