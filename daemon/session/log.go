package session

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/protocol"
)

// logHandler is the slog.Handler behind a connector's Env.Logger: each
// record goes to the session's subscribers as a log notification, and to
// the daemon's own log (stderr, never stdout).
type logHandler struct {
	session  string
	notifier Notifier
	next     slog.Handler
	attrs    []slog.Attr
	group    string
	keep     *capture.Ring[protocol.LogParams]
	redact   func(string) string
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	fields := map[string]any{}
	add := func(a slog.Attr) {
		k := a.Key
		if h.group != "" {
			k = h.group + "." + k
		}
		v := h.clean(a.Value.Resolve().Any())
		fields[k] = v
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool { add(a); return true })
	if len(fields) == 0 {
		fields = nil
	}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	p := protocol.LogParams{
		SessionID: h.session, Level: strings.ToLower(r.Level.String()), Message: h.redact(r.Message), Fields: fields, Time: t.UTC(),
	}
	h.keep.Add(p)
	h.notifier.Log(p)
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		// The daemon's own log gets the redacted record too.
		r2 := slog.NewRecord(r.Time, r.Level, p.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool {
			r2.AddAttrs(slog.Any(a.Key, h.clean(a.Value.Resolve().Any())))
			return true
		})
		r2.AddAttrs(slog.String("session", h.session))
		return h.next.Handle(ctx, r2)
	}
	return nil
}

// clean returns a log attribute's value with the session's secrets
// redacted: strings, errors and Stringers as text, anything else but plain
// numbers, booleans and times as its JSON.
func (h *logHandler) clean(v any) any {
	switch x := v.(type) {
	case error:
		return h.redact(x.Error())
	case string:
		return h.redact(x)
	case fmt.Stringer:
		return h.redact(x.String())
	case nil, bool, int64, uint64, float64, time.Duration, time.Time:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return h.redact(fmt.Sprint(v))
	}
	red := h.redact(string(b))
	if red == string(b) {
		return v
	}
	if json.Valid([]byte(red)) {
		return json.RawMessage(red)
	}
	return capture.Redacted
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	if h.next != nil {
		clean := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			clean[i] = slog.Any(a.Key, h.clean(a.Value.Resolve().Any()))
		}
		h2.next = h.next.WithAttrs(clean)
	}
	return &h2
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	if h.group != "" {
		name = h.group + "." + name
	}
	h2.group = name
	if h.next != nil {
		h2.next = h.next.WithGroup(name)
	}
	return &h2
}
