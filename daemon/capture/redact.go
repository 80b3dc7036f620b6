package capture

import (
	"log/slog"

	"github.com/switchboardpay/switchboard/connector/redact"
)

// Redactor is the SDK's redactor (connector/redact), which the capture
// shares with cassettes.
type Redactor = redact.Redactor

// Redacted replaces every secret in captured traffic.
const Redacted = redact.Redacted

// NewRedactor returns a redactor of the given secret values.
func NewRedactor(secrets []string) *Redactor { return redact.NewRedactor(secrets) }

// Redact scrubs the session's secret values out of s (for logs and
// errors).
func (r *Recorder) Redact(s string) string { return r.redactor.String(s) }

// Redactor returns the recorder's redactor.
func (r *Recorder) Redactor() *Redactor { return r.redactor }

// Merge returns a redactor of the secret values of all rs.
func Merge(rs ...*Redactor) *Redactor { return redact.Merge(rs...) }

// NewRedactingHandler returns a slog handler that redacts with current().
func NewRedactingHandler(next slog.Handler, current func() *Redactor) *redact.RedactingHandler {
	return redact.NewRedactingHandler(next, current)
}
