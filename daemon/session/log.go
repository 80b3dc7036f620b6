package session

import (
	"context"
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
		v := a.Value.Resolve().Any()
		switch x := v.(type) {
		case error:
			v = h.redact(x.Error())
		case string:
			v = h.redact(x)
		case fmt.Stringer:
			v = h.redact(x.String())
		}
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
			if a.Value.Kind() == slog.KindString {
				a.Value = slog.StringValue(h.redact(a.Value.String()))
			}
			r2.AddAttrs(a)
			return true
		})
		r2.AddAttrs(slog.String("session", h.session))
		return h.next.Handle(ctx, r2)
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	if h.next != nil {
		h2.next = h.next.WithAttrs(attrs)
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
