package session

import (
	"encoding/json"
	"time"

	"github.com/switchboardpay/switchboard/protocol"
)

// Limits cap what a client may make the daemon hold; see the README's
// Security section. Zero fields take the defaults.
type Limits struct {
	// CallTimeout bounds each connector call (serve --call-timeout); 0
	// is none.
	CallTimeout time.Duration
	// MaxSessions caps the open sessions (serve --max-sessions).
	MaxSessions int
	// MaxStateSize caps, in bytes, a config, a state and a fromPayload a
	// client sends (--max-state-size).
	MaxStateSize int
}

// Defaults of Limits.
const (
	DefaultMaxSessions  = 1000
	DefaultMaxStateSize = 1 << 20
	// MaxNameSize caps a session name, in bytes.
	MaxNameSize = 256
)

func (l Limits) withDefaults() Limits {
	if l.MaxSessions <= 0 {
		l.MaxSessions = DefaultMaxSessions
	}
	if l.MaxStateSize <= 0 {
		l.MaxStateSize = DefaultMaxStateSize
	}
	return l
}

// SetLimits sets the manager's limits; call it before serving.
func (m *Manager) SetLimits(l Limits) { m.limits = l.withDefaults() }

// checkCreate refuses a session/create over a size limit.
func (m *Manager) checkCreate(p protocol.SessionCreateParams) error {
	if len(p.Name) > MaxNameSize {
		return protocol.LimitExceeded("sessionName", "the session name (bytes)", MaxNameSize, int64(len(p.Name)), "")
	}
	return checkSize("config", "the config (bytes)", p.Config, m.limits.MaxStateSize)
}

func checkSize(limit, what string, raw json.RawMessage, max int) error {
	if len(raw) > max {
		return protocol.LimitExceeded(limit, what, int64(max), int64(len(raw)), "--max-state-size")
	}
	return nil
}

// checkState refuses a state or fromPayload a client sends over the limit.
func (s *Session) checkState(state, fromPayload json.RawMessage) error {
	if err := checkSize("state", "the state (bytes)", state, s.maxState); err != nil {
		return err
	}
	return checkSize("fromPayload", "fromPayload (bytes)", fromPayload, s.maxState)
}

// reserve takes one of the MaxSessions places for a session being opened.
// The returned func gives it back: with the opened session, which takes
// the place in m.sessions in the same critical section (a session counted
// twice for a moment would refuse a create under the limit), or with nil
// when it failed to open. It must be called exactly once.
func (m *Manager) reserve() (func(s *Session), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.sessions) + m.opening; n >= m.limits.MaxSessions {
		return nil, protocol.LimitExceeded("sessions", "the open sessions", int64(m.limits.MaxSessions), int64(n+1), "--max-sessions")
	}
	m.opening++
	return func(s *Session) {
		m.mu.Lock()
		m.opening--
		if s != nil {
			m.sessions[s.id] = s
		}
		m.mu.Unlock()
	}, nil
}
