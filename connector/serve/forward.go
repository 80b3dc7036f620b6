package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/protocol"
)

// forwardTransport sends through base and reports each exchange to the
// daemon, unredacted and whole: the daemon redacts and caps it.
type forwardTransport struct {
	base http.RoundTripper
	peer *connrpc.Peer
}

func (t *forwardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	ex := connrpc.HTTPExchangeParams{Request: protocol.HTTPRequest{Method: req.Method, URL: req.URL.String(), Headers: cloneHeader(req.Header)}}
	if id, ok := req.Context().Value(requestIDKey{}).(json.RawMessage); ok {
		ex.RequestID = id
	}
	if req.Host != "" && req.Host != req.URL.Host {
		ex.Request.Headers["Host"] = []string{req.Host}
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.Request.Body = string(body)
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		ex.Error = err.Error()
		ex.DurationMs = ms(time.Since(start))
		_ = t.peer.Notify(connrpc.NotifyHTTPExchange, ex)
		return nil, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.DurationMs = ms(time.Since(start))
	ex.Response = &protocol.HTTPResponse{Status: resp.StatusCode, Headers: cloneHeader(resp.Header), Body: string(body)}
	if rerr != nil {
		ex.Error = fmt.Sprintf("reading the response body: %v", rerr)
	}
	_ = t.peer.Notify(connrpc.NotifyHTTPExchange, ex)
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func cloneHeader(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// logHandler forwards records as connector/log notifications.
type logHandler struct {
	peer   *connrpc.Peer
	attrs  []slog.Attr
	groups []string
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	fields := map[string]any{}
	prefix := strings.Join(h.groups, ".")
	add := func(a slog.Attr) {
		k := a.Key
		if prefix != "" {
			k = prefix + "." + k
		}
		fields[k] = a.Value.Resolve().Any()
	}
	for _, a := range h.attrs {
		fields[a.Key] = a.Value.Resolve().Any()
	}
	r.Attrs(func(a slog.Attr) bool { add(a); return true })
	for k, v := range fields {
		switch x := v.(type) {
		case error:
			fields[k] = x.Error()
		case time.Duration:
			fields[k] = x.String()
		case fmt.Stringer:
			fields[k] = x.String()
		}
	}
	p := connrpc.LogParams{Level: strings.ToLower(r.Level.String()), Message: r.Message}
	if len(fields) > 0 {
		p.Fields = fields
	}
	if _, err := json.Marshal(p.Fields); err != nil {
		for k, v := range p.Fields {
			p.Fields[k] = fmt.Sprint(v)
		}
	}
	return h.peer.Notify(connrpc.NotifyLog, p)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	prefix := strings.Join(h.groups, ".")
	n.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range as {
		if prefix != "" {
			a.Key = prefix + "." + a.Key
		}
		n.attrs = append(n.attrs, a)
	}
	return &n
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.groups = append(append([]string(nil), h.groups...), name)
	return &n
}
