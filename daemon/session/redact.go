package session

import (
	"context"
	"encoding/json"
	"github.com/switchboardpay/switchboard/connector/driver"
	"strings"

	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/protocol"
)

// Redactor returns a redactor for the secret config values of every open
// session: what leaves the daemon without naming its session (JSON-RPC
// errors and results, the daemon's own log) passes through it.
func (m *Manager) Redactor() *capture.Redactor { return m.red.Load() }

// RedactorFor returns the redactor of the session id names, or the
// daemon-wide Redactor when there is no such session: a result about one
// session is scanned for that session's secrets only, which keeps the cost
// of a large result independent of how many sessions are open.
func (m *Manager) RedactorFor(id string) *capture.Redactor {
	if id != "" {
		m.mu.RLock()
		s, ok := m.sessions[id]
		m.mu.RUnlock()
		if ok {
			return s.rec.Redactor()
		}
	}
	return m.Redactor()
}

// refreshRedactor rebuilds Redactor's from the open sessions; called
// whenever a session opens or closes.
func (m *Manager) refreshRedactor() {
	m.mu.RLock()
	rs := make([]*capture.Redactor, 0, len(m.sessions))
	for _, s := range m.sessions {
		rs = append(rs, s.rec.Redactor())
	}
	m.mu.RUnlock()
	m.red.Store(capture.Merge(rs...))
}

// Create opens a session of a provider. An error is redacted with the
// session's own secrets: the connector may quote the key it refused.
func (m *Manager) Create(ctx context.Context, p protocol.SessionCreateParams) (*Session, error) {
	s, err := m.create(ctx, p)
	if err != nil {
		if prov, ok := m.registry.Lookup(p.Provider); ok && len(p.Config) > 0 {
			err = capture.NewRedactor(prov.SecretValues(p.Config)).Error(err)
		}
		return nil, err
	}
	m.refreshRedactor()
	return s, nil
}

// scrubItems redacts the session's secret values out of a fetched page's
// items before they are stored or sent: a PSP may echo the key it was sent
// (in a description, a metadata field, a raw payload).
func (s *Session) scrubItems(res *driver.Result, operation string) {
	if !s.rec.Redactor().HasBytes(res.Items) {
		return
	}
	items := make([]json.RawMessage, len(res.Records))
	for i := range res.Records {
		s.scrubRecord(&res.Records[i], operation)
		items[i] = res.Records[i].JSON
	}
	if b, err := json.Marshal(items); err == nil {
		res.Items = b
	}
}

// scrubRecord redacts one item, with a warning log naming it and the
// fields that held a secret.
func (s *Session) scrubRecord(rec *driver.Record, operation string) {
	red := s.rec.Redactor()
	clean, fields := red.JSON(rec.JSON)
	if len(fields) == 0 {
		return
	}
	rec.JSON = clean
	rec.Ref = red.String(rec.Ref)
	msg := "a secret config value was found in item " + rec.Ref + " (field " + strings.Join(fields, ", ") + "); it was redacted before the item was stored"
	s.warn(msg, "operation", operation, "item", rec.Ref, "fields", fields)
}
