package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/switchboardpay/switchboard/connector/connrpc"
)

// maxChildBody caps a response body the daemon passes to a child: past it
// the child reads the first bytes, then an error saying so.
const maxChildBody = 64 << 20

// onRequest answers the child's requests to the daemon: the only one is
// connector/httpRequest.
func (c *Connector) onRequest(peer *connrpc.Peer, ctx context.Context, method string, params json.RawMessage) (any, error) {
	if method != connrpc.MethodHTTPRequest {
		return nil, &connrpc.Error{Code: connrpc.CodeMethodNotFound, Message: "method not found: " + method}
	}
	var p connrpc.HTTPRequestParams
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, &connrpc.Error{Code: connrpc.CodeInvalidParams, Message: "connector/httpRequest: " + err.Error()}
	}
	return c.doHTTP(peer, ctx, p)
}

// doHTTP makes a child's request through the session's transport, with
// the context of the daemon's call it was made for (its operation and page
// for the capture and the fault rules), ended also when the child cancels.
func (c *Connector) doHTTP(peer *connrpc.Peer, ctx context.Context, p connrpc.HTTPRequestParams) (any, error) {
	if c.env.HTTPClient == nil {
		return nil, &connrpc.Error{Code: connrpc.CodeHTTPFailed, Message: "this daemon's session has no HTTP client"}
	}
	base := context.Background()
	if len(p.RequestID) > 0 {
		if cc := peer.CallContext(p.RequestID); cc != nil {
			base = cc
		}
	}
	rctx, cancel := context.WithCancel(base)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	req, err := http.NewRequestWithContext(rctx, p.Method, p.URL, bytes.NewReader(p.Body))
	if err != nil {
		return nil, &connrpc.Error{Code: connrpc.CodeInvalidParams, Message: "connector/httpRequest: " + err.Error()}
	}
	if len(p.Body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = http.Header(p.Headers)
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if p.Host != "" {
		req.Host = p.Host
	}
	t := c.env.HTTPClient.Transport
	if t == nil {
		t = http.DefaultTransport
	}
	resp, err := t.RoundTrip(req)
	if err != nil {
		var ne net.Error
		data := connrpc.HTTPFailedData{Timeout: errors.As(err, &ne) && ne.Timeout(), Reset: errors.Is(err, syscall.ECONNRESET)}
		raw, _ := json.Marshal(data)
		return nil, &connrpc.Error{Code: connrpc.CodeHTTPFailed, Message: err.Error(), Data: raw}
	}
	defer resp.Body.Close()
	res := connrpc.HTTPRequestResult{Status: resp.StatusCode, Headers: map[string][]string(resp.Header)}
	if res.Headers == nil {
		res.Headers = map[string][]string{}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxChildBody+1))
	switch {
	case err != nil:
		res.BodyError = err.Error()
		res.UnexpectedEOF = errors.Is(err, io.ErrUnexpectedEOF)
	case len(body) > maxChildBody:
		body = body[:maxChildBody]
		res.BodyError = fmt.Sprintf("the response body exceeds the %d bytes the daemon passes to a connector process", maxChildBody)
	}
	res.Body = body
	return res, nil
}
