// Package session holds the daemon's connector sessions: each is one opened
// connector with its config, its capabilities and its cached pagination
// state per key, usable from any connection.
//
// It owns the rules of fetch/next (continue from the cached state unless
// told otherwise, cache the new state after every page) and the busy guard
// that gives two calls on the same key a coded error instead of a race. It
// knows nothing of JSON-RPC: results and errors are protocol values, and
// notifications leave through the Notifier interface.
package session

import (
	"context"
	"encoding/json"
	"fmt"
	"golang.org/x/time/rate"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/daemon/faults"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/protocol"
)

// Notifier receives what sessions publish; the daemon's bus implements it.
type Notifier interface {
	Page(p *protocol.FetchPageParams)
	SessionChanged(s protocol.Session, reason string)
	Log(p protocol.LogParams)
	HTTPExchange(p protocol.HTTPExchangeParams)
	StepPaused(p protocol.StepPausedParams)
}

// Manager holds every session of the daemon.
//
// Lock order: Manager.mu before Session.mu.
type Manager struct {
	registry *connector.Registry
	notifier Notifier
	logger   *slog.Logger
	store    *store.Store

	red    atomic.Pointer[capture.Redactor] // the open sessions' secrets (Redactor)
	limits Limits                           // set before serving

	webhookBase atomic.Pointer[string] // the ingress base URL (SetWebhookBase)
	idem        idemKeys               // webhook idempotency keys seen

	mu       sync.RWMutex
	sessions map[string]*Session // guarded by mu
	opening  int                 // sessions being created, counted against MaxSessions; guarded by mu
}

// NewManager returns a manager opening providers from registry and
// keeping sessions, states and items in st.
func NewManager(registry *connector.Registry, notifier Notifier, logger *slog.Logger, st *store.Store) *Manager {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := &Manager{registry: registry, notifier: notifier, logger: logger, store: st, sessions: map[string]*Session{}, limits: Limits{}.withDefaults()}
	m.red.Store(capture.Merge())
	return m
}

// Providers describes every registered provider.
func (m *Manager) Providers() []protocol.Provider {
	ps := m.registry.Providers()
	out := make([]protocol.Provider, len(ps))
	for i, p := range ps {
		caps := p.Capabilities()
		if caps == nil {
			caps = []string{}
		}
		out[i] = protocol.Provider{
			Name: p.Name, Description: p.Info.Description, Capabilities: caps,
			ConfigSchema: p.ConfigSchema(), DefaultPageSize: p.Info.DefaultPageSize,
		}
	}
	return out
}

// create opens a session of a provider.
func (m *Manager) create(ctx context.Context, p protocol.SessionCreateParams) (*Session, error) {
	tape, err := loadReplay(&p)
	if err != nil {
		return nil, err
	}
	if p.Record != "" {
		if err := cassette.CheckPath(p.Record); err != nil {
			return nil, protocol.InvalidParams(protocol.FieldError{Field: "record", Message: err.Error()})
		}
	}
	if p.Provider == "" {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "provider", Message: "is required"})
	}
	prov, ok := m.registry.Lookup(p.Provider)
	if !ok {
		return nil, protocol.ProviderNotFound(p.Provider, m.registry.Names())
	}
	if p.PageSize < 0 {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "pageSize", Message: "must not be negative"})
	}
	if err := m.checkCreate(p); err != nil {
		return nil, err
	}
	release, err := m.reserve()
	if err != nil {
		return nil, err
	}
	var opened *Session
	defer func() { release(opened) }()
	config := p.Config
	if len(config) == 0 || string(config) == "null" {
		config = json.RawMessage("{}")
	}
	if err := prov.ValidateConfig(config); err != nil {
		return nil, configError(err)
	}
	id := uuid.NewString()
	name := p.Name
	if name == "" {
		name = prov.Name + "-" + id[:8]
	}
	pageSize := p.PageSize
	if pageSize == 0 {
		pageSize = prov.Info.DefaultPageSize
	}
	rec := store.Session{ID: id, Provider: prov.Name, Name: name, CreatedAt: time.Now().UTC().Truncate(time.Millisecond), PageSize: pageSize, Config: config}
	s, err := m.open(ctx, prov, rec, tape, p.ReplayMatch)
	if err != nil {
		return nil, err
	}
	if p.Record != "" {
		if _, err := s.Record(protocol.SessionRecordParams{Path: p.Record}); err != nil {
			s.close()
			return nil, err
		}
	}
	rec.Provider = storedProvider(prov, tape != nil)
	// Not cancelled half-way: a session the reply did not acknowledge must
	// not come back at the next start.
	if err := m.store.PutSession(context.WithoutCancel(ctx), rec); err != nil {
		s.close()
		return nil, storeError(err)
	}
	if err := s.saveWebhooks(ctx); err != nil {
		s.close()
		return nil, err
	}
	opened = s // in m.sessions once the place is given back
	m.logger.Info("session created", "session", id, "provider", prov.Name)
	return s, nil
}

// open opens the connector of a session record.
func (m *Manager) open(ctx context.Context, prov *connector.Provider, rec store.Session, tape *cassette.Tape, match string) (*Session, error) {
	s := &Session{
		id: rec.ID, provider: prov.Name, name: rec.Name, createdAt: rec.CreatedAt,
		pageSize: rec.PageSize, config: rec.Config, redacted: prov.RedactConfig(rec.Config), maxState: m.limits.MaxStateSize,
		notifier: m.notifier, store: m.store,
		states: map[string]*stateEntry{}, busy: map[string]string{},
		rec:     capture.NewRecorder(rec.ID, prov.SecretValues(rec.Config), m.notifier),
		secrets: prov.SecretValues(rec.Config),
		logs:    capture.NewRing[protocol.LogParams](keepLogs),
		calls:   capture.NewRing[protocol.Call](keepCalls),
		faults:  faults.New(),
		wh:      &webhooks{secret: newWebhookSecret(), configs: map[string]connector.WebhookConfig{}},

		deliveries:  capture.NewRing[protocol.WebhookDelivery](keepDeliveries),
		webhookBase: m.WebhookBase,
	}
	s.http = capture.NewClient(s.rec)
	// The cassette is the bottom layer (the network, or a replay), fault
	// rules run above it and under the capture, so the capture records
	// what they answer and a cassette only what the provider said.
	s.layerTape(tape, match, s.secrets)
	if t, ok := s.http.Transport.(*capture.Transport); ok {
		t.Base = s.faults.Wrap(t.Base)
	}
	env := connector.Env{
		HTTPClient: s.http,
		Logger:     slog.New(&logHandler{session: rec.ID, notifier: m.notifier, next: m.logger.Handler(), keep: s.logs, redact: s.rec.Redact}),
	}
	// The connector outlives this request: it is closed with the session.
	conn, err := prov.Open(context.WithoutCancel(ctx), rec.Config, env)
	if err != nil {
		if ce := configError(err); ce != nil {
			return nil, ce
		}
		return nil, &protocol.Error{Code: protocol.CodeConnectorError, Message: fmt.Sprintf("open %s: %v", prov.Name, err),
			Data: protocol.ConnectorErrorData{Provider: prov.Name, Operation: "open", Message: err.Error()}}
	}
	s.conn = conn
	s.drv = driver.Open(conn, driver.Opts{Provider: prov.Name, Logger: m.logger, Timeout: m.limits.CallTimeout})
	s.caps = s.drv.Capabilities()
	s.payouts = payoutLimiter(conn)
	return s, nil
}

// Restore reopens every stored session with its states, as the daemon
// starts. A session whose provider is gone or fails to open is left in the
// store, logged, and not served.
func (m *Manager) Restore(ctx context.Context) (restored int, err error) {
	recs, err := m.store.Sessions(ctx)
	if err != nil {
		return 0, err
	}
	for _, rec := range recs {
		m.mu.RLock()
		_, open := m.sessions[rec.ID]
		m.mu.RUnlock()
		if open {
			continue // restored already (Restore runs again once workspace connectors are registered)
		}
		if strings.HasPrefix(rec.Provider, replayProvider) {
			m.logger.Warn("replay session not restored: a replay does not survive a restart", "session", rec.ID, "provider", rec.Provider)
			if err := m.store.DeleteSession(ctx, rec.ID); err != nil {
				m.logger.Error("replay session's data not deleted", "session", rec.ID, "err", err)
			}
			continue
		}
		prov, ok := m.registry.Lookup(rec.Provider)
		if !ok {
			m.logger.Warn("stored session not restored: provider unknown", "session", rec.ID, "provider", rec.Provider)
			continue
		}
		s, err := m.open(ctx, prov, rec, nil, "")
		if err != nil {
			err = capture.NewRedactor(prov.SecretValues(rec.Config)).Error(err)
			m.logger.Warn("stored session not restored", "session", rec.ID, "provider", rec.Provider, "err", err)
			continue
		}
		states, err := m.store.States(ctx, rec.ID)
		if err != nil {
			s.close()
			return restored, err
		}
		for _, st := range states {
			s.states[st.Key] = &stateEntry{
				resource: st.Resource, name: st.Name, fromPayload: st.FromPayload, state: st.State,
				hasMore: st.HasMore, pages: st.Pages, items: st.Items, updatedAt: st.UpdatedAt,
			}
		}
		if err := m.restoreWebhooks(ctx, s); err != nil {
			s.close()
			return restored, err
		}
		m.mu.Lock()
		m.sessions[rec.ID] = s
		m.mu.Unlock()
		restored++
	}
	m.refreshRedactor()
	return restored, nil
}

func configError(err error) *protocol.Error {
	ce, ok := err.(*connector.ConfigError)
	if !ok {
		return nil
	}
	fields := make([]protocol.FieldError, len(ce.Fields))
	for i, f := range ce.Fields {
		name := "config"
		if f.Field != "" {
			name += "." + f.Field
		}
		fields[i] = protocol.FieldError{Field: name, Message: f.Message}
	}
	return protocol.InvalidParams(fields...)
}

// Get returns a session or a CodeSessionNotFound error.
func (m *Manager) Get(id string) (*Session, error) {
	m.mu.RLock()
	s, ok := m.sessions[id]
	m.mu.RUnlock()
	if !ok {
		return nil, protocol.SessionNotFound(id)
	}
	return s, nil
}

// List returns every session, oldest first.
func (m *Manager) List() []protocol.Session {
	m.mu.RLock()
	ss := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		ss = append(ss, s)
	}
	m.mu.RUnlock()
	sort.Slice(ss, func(i, j int) bool {
		if !ss[i].createdAt.Equal(ss[j].createdAt) {
			return ss[i].createdAt.Before(ss[j].createdAt)
		}
		return ss[i].id < ss[j].id
	})
	out := make([]protocol.Session, len(ss))
	for i, s := range ss {
		out[i] = s.Info()
	}
	return out
}

// Close closes a session and its connector.
func (m *Manager) Close(id string) error {
	// A recording is saved before anything goes; when that fails the
	// session stays open, recording, and the caller is told.
	m.mu.RLock()
	s, ok := m.sessions[id]
	m.mu.RUnlock()
	if ok {
		if err := s.saveRecording(); err != nil {
			return err
		}
	}
	m.mu.Lock()
	s, ok = m.sessions[id]
	delete(m.sessions, id)
	m.mu.Unlock()
	if !ok {
		return protocol.SessionNotFound(id)
	}
	info := s.Info()
	if err := s.uninstall(context.Background()); err != nil {
		m.logger.Warn("connector's Uninstall failed; the session is closed all the same", "session", id, "err", m.RedactorFor(id).Error(err))
	}
	s.close()
	m.refreshRedactor()
	m.checkLeaks(s)
	_ = s.waitPending(context.Background())
	// The reply acknowledges the deletion: it waits for its commit, and a
	// failed one is the reply's error (the session is back at the next
	// start).
	if err := m.store.DeleteSession(context.Background(), id); err != nil {
		m.logger.Error("closed session's data not deleted", "session", id, "err", err)
		m.notifier.SessionChanged(info, protocol.SessionChangedClosed)
		return storeError(err)
	}
	m.notifier.SessionChanged(info, protocol.SessionChangedClosed)
	m.logger.Info("session closed", "session", id)
	return nil
}

// Flush waits until every write queued so far, by any session, is
// durable, and returns the first failure not yet reported (shutdown
// answers with it).
func (m *Manager) Flush(ctx context.Context) error {
	m.mu.RLock()
	ss := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		ss = append(ss, s)
	}
	m.mu.RUnlock()
	var first error
	for _, s := range ss {
		if err := s.waitPending(ctx); err != nil && first == nil {
			first = err
		}
	}
	if err := m.store.Flush(ctx); err != nil && first == nil {
		first = storeError(err)
	}
	return first
}

// CloseAll closes every session (daemon shutdown).
func (m *Manager) CloseAll() {
	m.mu.Lock()
	ss := m.sessions
	m.sessions = map[string]*Session{}
	m.mu.Unlock()
	for _, s := range ss {
		if err := s.saveRecording(); err != nil {
			m.logger.Error("recording not saved", "session", s.id, "err", err)
		}
		s.close()
		_ = s.waitPending(context.Background())
	}
}

// Session is one opened connector.
//
// Invariant: an entry of busy exists exactly while a call holds that key.
type Session struct {
	id, provider, name string
	createdAt          time.Time
	pageSize           int
	maxState           int             // Limits.MaxStateSize
	config             json.RawMessage // with secrets: never echoed
	redacted           json.RawMessage
	secrets            []string // the config's secret values, for redaction
	tape               *tapeLayer
	caps               []string // replaced, never changed in place; guarded by mu
	conn               connector.Connector
	drv                *driver.Conn  // conn's capabilities, resolved at open
	payouts            *rate.Limiter // the connector's payout throttle, or nil
	notifier           Notifier
	store              *store.Store

	pmu     sync.Mutex
	pending []commit // commits queued and not yet collected, oldest first; guarded by pmu

	rec     *capture.Recorder
	http    *http.Client // the connector's, closed with the session
	logs    *capture.Ring[protocol.LogParams]
	calls   *capture.Ring[protocol.Call]
	callSeq atomic.Uint64
	faults  *faults.Injector // the fault rules of its HTTP transport

	wh          *webhooks
	deliveries  *capture.Ring[protocol.WebhookDelivery]
	webhookBase func() string // the daemon's ingress base URL, "" when none

	mu     sync.Mutex
	states map[string]*stateEntry     // key -> state; guarded by mu
	busy   map[string]string          // key -> operation holding it; guarded by mu
	steps  map[string]*engine.Stepper // walks in step mode, by step id; guarded by mu
	// bootstrapped is set once the connector's bootstrap-on-install
	// resources have run (or been started); guarded by mu.
	bootstrapped bool
}

// ID returns the session id.
func (s *Session) ID() string { return s.id }

// Provider returns the provider name.
func (s *Session) Provider() string { return s.provider }

// Connector returns the opened connector.
func (s *Session) Connector() connector.Connector { return s.conn }

// Driver returns the session's connector with its capabilities resolved.
func (s *Session) Driver() *driver.Conn { return s.drv }

// PageSize returns the session's default page size.
func (s *Session) PageSize() int { return s.pageSize }

// Info returns the session's wire description, config redacted.
func (s *Session) Info() protocol.Session {
	return protocol.Session{
		ID: s.id, Provider: s.provider, Name: s.name, CreatedAt: s.createdAt,
		PageSize: s.pageSize, Config: s.redacted, Capabilities: s.Capabilities(),
		Recording: s.Recording(), Replay: s.Replaying(),
	}
}

// Detail returns the session and its states.
func (s *Session) Detail() protocol.SessionDetail {
	return protocol.SessionDetail{Session: s.Info(), States: s.States()}
}

func (s *Session) close() {
	if c, ok := s.conn.(io.Closer); ok {
		_ = c.Close()
	}
	// Its keep-alive connections would otherwise outlive the session.
	if s.http != nil {
		s.http.CloseIdleConnections()
	}
}
