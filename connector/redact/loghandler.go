package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// RedactingHandler is the daemon's own log handler: each record's message
// and attributes are scrubbed of the secret values current returns (the
// open sessions'), then passed to next.
type RedactingHandler struct {
	next    slog.Handler
	current func() *Redactor
}

var _ slog.Handler = (*RedactingHandler)(nil)

// NewRedactingHandler wraps next.
func NewRedactingHandler(next slog.Handler, current func() *Redactor) *RedactingHandler {
	return &RedactingHandler{next: next, current: current}
}

// Enabled implements slog.Handler.
func (h *RedactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *RedactingHandler) Handle(ctx context.Context, r slog.Record) error {
	red := h.current()
	if red.Empty() {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, red.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(red, a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func redactAttr(red *Redactor, a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, red.String(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]any, len(as))
		for i, g := range as {
			out[i] = redactAttr(red, g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, red.String(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, red.String(x.String()))
		default:
			return slog.String(a.Key, red.String(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// WithAttrs implements slog.Handler. The attributes are redacted by the
// redactor of now: the secrets of sessions opened later cannot be in them.
func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := h.current()
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = redactAttr(red, a)
	}
	return &RedactingHandler{next: h.next.WithAttrs(out), current: h.current}
}

// WithGroup implements slog.Handler.
func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{next: h.next.WithGroup(name), current: h.current}
}
