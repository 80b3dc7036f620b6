package session

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/protocol"
)

// How much webhook history is kept: deliveries per session, idempotency
// keys per daemon.
const (
	keepDeliveries = 200
	keepIdemKeys   = 10000
)

// webhookNotifier is implemented by notifiers that publish webhook/received
// (the bus); others are not told.
type webhookNotifier interface {
	WebhookReceived(p protocol.WebhookDelivery)
}

// webhooks is a session's webhook side: its ingress secret, the configs
// CreateWebhooks returned, and the recent deliveries.
type webhooks struct {
	secret string // the URL path segment that stands in for a bearer token

	mu      sync.Mutex
	configs map[string]connector.WebhookConfig // by name; guarded by mu
	seq     int                                // guarded by mu
}

func newWebhookSecret() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// idemKeys remembers the idempotency keys seen by every session of the
// daemon, the oldest forgotten past keepIdemKeys.
type idemKeys struct {
	mu    sync.Mutex
	first map[string]string // provider NUL key -> delivery id; guarded by mu
	order []string          // keys of first, oldest first; guarded by mu
}

// seen records key and returns the delivery that had it first, if any.
func (k *idemKeys) seen(provider, key, delivery string) (string, bool) {
	id := provider + "\x00" + key
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.first == nil {
		k.first = map[string]string{}
	}
	if d, ok := k.first[id]; ok {
		return d, true
	}
	k.first[id] = delivery
	k.order = append(k.order, id)
	if len(k.order) > keepIdemKeys {
		delete(k.first, k.order[0])
		k.order = k.order[1:]
	}
	return "", false
}

// SetWebhookBase sets the base URL of the ingress (http://HOST:PORT),
// handed to CreateWebhooks; set before serving.
func (m *Manager) SetWebhookBase(base string) { m.webhookBase.Store(&base) }

// WebhookBaseURL returns the ingress base URL of a session: deliveries to
// BASE/CONFIG reach it.
func (s *Session) WebhookBaseURL(base string) string {
	return strings.TrimSuffix(base, "/") + "/webhooks/" + s.id + "/" + s.wh.secret
}

// CreateWebhooks calls the connector's CreateWebhooks with the session's
// ingress URL and keeps the configs it returns (webhook/create).
func (m *Manager) CreateWebhooks(ctx context.Context, s *Session) (protocol.WebhookCreateResult, error) {
	return s.createWebhooks(ctx, nil)
}

var _ engine.WebhookInstaller = (*Session)(nil)

// InstallWebhooks runs a CREATE_WEBHOOKS task of the task tree.
func (s *Session) InstallWebhooks(ctx context.Context, from json.RawMessage) (int, error) {
	res, err := s.createWebhooks(ctx, from)
	return len(res.Configs), err
}

// WebhookBase returns the daemon's ingress base (http://HOST:PORT), or ""
// when it has none.
func (m *Manager) WebhookBase() string {
	if p := m.webhookBase.Load(); p != nil {
		return *p
	}
	return ""
}

func (s *Session) createWebhooks(ctx context.Context, from json.RawMessage) (protocol.WebhookCreateResult, error) {
	wc := s.drv.WebhookCreator
	if wc == nil {
		return protocol.WebhookCreateResult{}, protocol.CapabilityUnsupported(s.provider, protocol.CapCreateWebhooks)
	}
	base := s.webhookBase()
	if base == "" {
		return protocol.WebhookCreateResult{}, &protocol.Error{Code: protocol.CodeInvalidRequest,
			Message: "this daemon has no webhook ingress: start it with `switchboard serve`, or `switchboard stdio` without --webhook-listen=off"}
	}
	url := s.WebhookBaseURL(base)
	req := connector.CreateWebhooksRequest{FromPayload: from, ConnectorID: s.id, WebhookBaseURL: url}
	resp, err := track(ctx, s, "webhook/create", map[string]string{"connectorId": s.id}, func(ctx context.Context) (connector.CreateWebhooksResponse, error) {
		return driver.Call(ctx, s.drv.Opts, "webhook/create", func(ctx context.Context) (connector.CreateWebhooksResponse, error) {
			return wc.CreateWebhooks(ctx, req)
		})
	}, func(r connector.CreateWebhooksResponse) string { return fmt.Sprintf("%d configs", len(r.Configs)) })
	if err != nil {
		return protocol.WebhookCreateResult{}, err
	}
	out := protocol.WebhookCreateResult{Configs: []protocol.WebhookConfig{}}
	s.wh.mu.Lock()
	for _, c := range resp.Configs {
		s.wh.configs[c.Name] = c
		out.Configs = append(out.Configs, protocol.WebhookConfig{
			Name: c.Name, URLPath: c.URLPath, URL: url + "/" + strings.TrimPrefix(c.URLPath, "/"), Metadata: c.Metadata,
		})
	}
	s.wh.mu.Unlock()
	if err := s.saveWebhooks(ctx); err != nil {
		return out, err
	}
	return out, nil
}

// Webhooks lists the session's recent deliveries (webhook/list).
func (s *Session) Webhooks(p protocol.WebhookListParams) []protocol.WebhookDelivery {
	out := s.deliveries.Last(p.Limit, nil)
	if out == nil {
		out = []protocol.WebhookDelivery{}
	}
	return out
}

// Delivery is one HTTP request to the ingress.
type Delivery struct {
	SessionID, Secret, Config string
	Method, Path              string
	Query, Headers            map[string][]string
	Body                      []byte
}

// Deliver runs one delivery through the session's connector: Trim, Verify,
// Translate, then the items are stored. It returns the HTTP status to
// answer and the delivery as published; an unknown session or a wrong
// secret is ok=false, answered 404 with nothing published.
func (m *Manager) Deliver(ctx context.Context, d Delivery) (protocol.WebhookDelivery, bool) {
	s, err := m.Get(d.SessionID)
	if err != nil || subtle.ConstantTimeCompare([]byte(d.Secret), []byte(s.wh.secret)) != 1 {
		return protocol.WebhookDelivery{}, false
	}
	return m.record(ctx, s, d, nil), true
}

// record runs a delivery, lets mark annotate it, saves it, keeps it and
// publishes it.
func (m *Manager) record(ctx context.Context, s *Session, d Delivery, mark func(*protocol.WebhookDelivery)) protocol.WebhookDelivery {
	out := s.deliver(ctx, m, d)
	if mark != nil {
		mark(&out)
	}
	// Saved before the ingress answers: a delivery acknowledged 2xx is in
	// the history after a restart; one not saved is answered 500, so the
	// provider retries it.
	if err := s.saveDelivery(ctx, out); err != nil {
		out.Steps = append(out.Steps, protocol.WebhookStep{Step: "record", Verdict: protocol.VerdictFailed, Error: s.rec.Redact(err.Error())})
		out.Status = http.StatusInternalServerError
	}
	s.deliveries.Add(out)
	if n, ok := s.notifier.(webhookNotifier); ok {
		n.WebhookReceived(out)
	}
	return out
}

func (s *Session) deliver(ctx context.Context, m *Manager, d Delivery) protocol.WebhookDelivery {
	s.wh.mu.Lock()
	s.wh.seq++
	id := "w" + strconv.Itoa(s.wh.seq)
	cfg, known := s.wh.configs[d.Config]
	s.wh.mu.Unlock()
	out := protocol.WebhookDelivery{
		ID: id, SessionID: s.id, Config: d.Config, ReceivedAt: time.Now().UTC(), Status: http.StatusOK,
		Request: s.redactRequest(d), Steps: []protocol.WebhookStep{},
	}
	step := func(name, verdict string, err error) {
		st := protocol.WebhookStep{Step: name, Verdict: verdict}
		if err != nil {
			st.Error = s.rec.Redact(err.Error())
		}
		out.Steps = append(out.Steps, st)
	}
	fail := func(name string, status int, err error) protocol.WebhookDelivery {
		step(name, protocol.VerdictFailed, err)
		out.Status = status
		return out
	}
	if !known {
		// A config CreateWebhooks did not return (or a daemon restarted
		// since): routed by name alone.
		cfg = connector.WebhookConfig{Name: d.Config}
	}
	hook := connector.Webhook{QueryValues: d.Query, Headers: d.Headers, Body: d.Body}

	hooks := []connector.Webhook{hook}
	if t := s.drv.WebhookTrimmer; t != nil {
		got, err := webhookCall(ctx, s, "webhook/trim", func(ctx context.Context) ([]connector.Webhook, error) {
			return t.TrimWebhook(ctx, connector.WebhookRequest{Config: cfg, Webhook: hook})
		})
		if err != nil {
			return fail("trim", http.StatusInternalServerError, err)
		}
		hooks = got
		step("trim", protocol.VerdictOK, nil)
	} else {
		step("trim", protocol.VerdictSkipped, nil)
	}

	if v := s.drv.WebhookVerifier; v != nil {
		for _, h := range hooks {
			res, err := webhookCall(ctx, s, "webhook/verify", func(ctx context.Context) (connector.VerifyWebhookResponse, error) {
				return v.VerifyWebhook(ctx, connector.WebhookRequest{Config: cfg, Webhook: h})
			})
			if err != nil {
				return fail("verify", http.StatusUnauthorized, err)
			}
			if res.IdempotencyKey == "" {
				continue
			}
			out.IdempotencyKeys = append(out.IdempotencyKeys, res.IdempotencyKey)
			if first, dup := m.idem.seen(s.provider, res.IdempotencyKey, s.id+"/"+id); dup && !out.Duplicate {
				out.Duplicate, out.DuplicateOf = true, first
			}
		}
		step("verify", protocol.VerdictOK, nil)
	} else {
		step("verify", protocol.VerdictSkipped, nil)
	}

	tr := s.drv.WebhookTranslator
	if tr == nil {
		step("translate", protocol.VerdictSkipped, nil)
		return out
	}
	var responses []connector.WebhookResponse
	for _, h := range hooks {
		rs, err := webhookCall(ctx, s, "webhook/translate", func(ctx context.Context) ([]connector.WebhookResponse, error) {
			return tr.TranslateWebhook(ctx, connector.WebhookRequest{Config: cfg, Webhook: h})
		})
		if err != nil {
			return fail("translate", http.StatusInternalServerError, err)
		}
		responses = append(responses, rs...)
	}
	t, err := driver.TranslateResponses(responses)
	if err != nil {
		return fail("translate", http.StatusInternalServerError, err)
	}
	step("translate", protocol.VerdictOK, nil)
	if err := s.storeTranslated(ctx, t, &out); err != nil {
		return fail("store", http.StatusInternalServerError, err)
	}
	step("store", protocol.VerdictOK, nil)
	return out
}

// webhookCall runs one webhook step of the connector, contained and kept
// in the session's call history.
func webhookCall[T any](ctx context.Context, s *Session, op string, fn func(context.Context) (T, error)) (T, error) {
	return track(ctx, s, op, nil, func(ctx context.Context) (T, error) {
		return driver.Call(ctx, s.drv.Opts, op, fn)
	}, nil)
}

// storeTranslated stores a delivery's items as fetched ones are stored,
// then applies its deletions and cancellations.
func (s *Session) storeTranslated(ctx context.Context, t driver.Translated, out *protocol.WebhookDelivery) error {
	if s.store == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.waitPending(ctx); err != nil {
		return err
	}
	for _, resource := range protocol.Resources {
		recs := t.Records[resource]
		if len(recs) == 0 {
			continue
		}
		if err := s.store.PutItems(ctx, s.id, resource, toItems(recs)); err != nil {
			return storeError(err)
		}
		if out.Items == nil {
			out.Items = map[string][]json.RawMessage{}
		}
		for _, r := range recs {
			out.Items[resource] = append(out.Items[resource], r.JSON)
		}
	}
	if len(t.Cancelled) > 0 {
		done, err := s.cancelPayments(ctx, t.Cancelled)
		if err != nil {
			return err
		}
		out.Cancelled = done
	}
	if len(t.Deleted) > 0 {
		if err := s.store.DeleteItems(ctx, s.id, protocol.ResourcePayments, t.Deleted); err != nil {
			return storeError(err)
		}
		out.Deleted = t.Deleted
	}
	return nil
}

// cancelPayments marks stored payments CANCELLED and returns those it
// found; a reference not stored is skipped.
func (s *Session) cancelPayments(ctx context.Context, refs []string) ([]string, error) {
	var items []store.Item
	var done []string
	for _, ref := range refs {
		stored, ok, err := s.store.Get(ctx, s.id, protocol.ResourcePayments, ref)
		if err != nil {
			return nil, storeError(err)
		}
		if !ok {
			continue
		}
		r, err := driver.CancelPayment(stored)
		if err != nil {
			return nil, err
		}
		items = append(items, toItems([]driver.Record{r})...)
		done = append(done, ref)
	}
	return done, storeError(s.store.PutItems(ctx, s.id, protocol.ResourcePayments, items))
}

// redactRequest is the delivery's request as shown: the session's secrets
// and the ingress secret masked, credentials headers dropped.
func (s *Session) redactRequest(d Delivery) protocol.WebhookRequest {
	hs := map[string][]string{}
	for k, vs := range d.Headers {
		switch strings.ToLower(k) {
		case "authorization", "cookie", "proxy-authorization":
			hs[k] = []string{"[REDACTED]"}
			continue
		}
		for _, v := range vs {
			hs[k] = append(hs[k], s.rec.Redact(v))
		}
	}
	return protocol.WebhookRequest{
		Method: d.Method, Path: strings.ReplaceAll(d.Path, s.wh.secret, "[SECRET]"),
		Query: d.Query, Headers: hs, Body: s.rec.Redact(string(d.Body)),
	}
}
