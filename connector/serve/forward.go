package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/connector/httprecord"
	"github.com/switchboardpay/switchboard/protocol"
)

// forwardTransport sends through base and reports each exchange to the
// daemon, unredacted and whole: the daemon redacts and caps it.
type forwardTransport struct {
	base http.RoundTripper
	peer *connrpc.Peer
}

func (t *forwardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := httprecord.RoundTrip(t.base, req, func(req *http.Request, ex protocol.HTTPExchangeParams) {
		fwd := connrpc.HTTPExchangeParams{Request: ex.Request, Response: ex.Response, DurationMs: ex.DurationMs, Error: ex.Error}
		if id, ok := req.Context().Value(requestIDKey{}).(json.RawMessage); ok {
			fwd.RequestID = id
		}
		_ = t.peer.Notify(connrpc.NotifyHTTPExchange, fwd)
	})
	return resp, err
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
