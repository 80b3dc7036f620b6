package demobank

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Webhooks: a client subscribes an URL (POST /v1/webhook_endpoints) and the
// bank delivers an event to it on every payment created (transfers and
// payouts), signed as Stripe signs: the header
//
//	Demobank-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, "UNIX." + body))
//
// A delivery answered with anything but 2xx is retried with exponential
// backoff, up to WebhookMaxAttempts. Deliveries go out one at a time, in
// order, from one goroutine that Close stops.

// SignatureHeader is the header carrying a delivery's signature.
const SignatureHeader = "Demobank-Signature"

// Event types.
const (
	EventPaymentCreated = "payment.created"
)

// webhookQueue bounds the deliveries waiting to go out.
const webhookQueue = 1024

// Sign returns the signature header value of body at t for secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Endpoint is a webhook subscription.
type Endpoint struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	URL    string `json:"url"`
	// Secret signs the deliveries; shown once, on creation.
	Secret string `json:"secret,omitempty"`
}

// Event is what a delivery's body holds.
type Event struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// Attempt is one delivery attempt, kept for tests and /admin/webhooks.
type Attempt struct {
	EventID    string `json:"eventId"`
	EndpointID string `json:"endpointId"`
	Attempt    int    `json:"attempt"`
	Status     int    `json:"status"`
	Error      string `json:"error,omitempty"`
}

type delivery struct {
	ep   Endpoint
	body []byte
	id   string
}

// hooks is the bank's webhook side.
//
// Lock order: Bank.mu before hooks.mu (events are queued under Bank.mu).
type hooks struct {
	client *http.Client
	queue  chan delivery
	stop   chan struct{}
	done   chan struct{}

	mu        sync.Mutex
	endpoints []Endpoint // guarded by mu
	attempts  []Attempt  // guarded by mu; the last 1000
	seq       uint64     // events and endpoints made; guarded by mu
	held      []delivery // deliveries WebhookOutOfOrder holds back; guarded by mu
	started   bool       // the sender runs; guarded by mu
	closed    bool       // guarded by mu
}

func (b *Bank) retryBase() time.Duration {
	if b.cfg.WebhookRetryBase > 0 {
		return b.cfg.WebhookRetryBase
	}
	return 500 * time.Millisecond
}

func (b *Bank) maxAttempts() int {
	if b.cfg.WebhookMaxAttempts > 0 {
		return b.cfg.WebhookMaxAttempts
	}
	return 6
}

// Subscribe adds a webhook endpoint and returns it with its secret.
func (b *Bank) Subscribe(rawURL string) (Endpoint, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Endpoint{}, fmt.Errorf("url must be an http(s) URL")
	}
	h := &b.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return Endpoint{}, fmt.Errorf("the bank is closed")
	}
	h.seq++
	ep := Endpoint{
		ID: "we_" + hex16(mix(b.cfg.Seed, saltWebhook, h.seq, 0)), Object: "webhook_endpoint", URL: rawURL,
		Secret: "whsec_" + randomHex(),
	}
	h.endpoints = append(h.endpoints, ep)
	if !h.started {
		h.started = true
		h.client = &http.Client{Timeout: 10 * time.Second}
		h.queue = make(chan delivery, webhookQueue)
		h.stop, h.done = make(chan struct{}), make(chan struct{})
		go b.sendLoop()
	}
	return ep, nil
}

func randomHex() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// Attempts returns the recent delivery attempts, oldest first.
func (b *Bank) Attempts() []Attempt {
	b.hooks.mu.Lock()
	defer b.hooks.mu.Unlock()
	return append([]Attempt(nil), b.hooks.attempts...)
}

// emit queues an event for every endpoint. A full queue drops it, recorded
// as a failed attempt: the bank never blocks its API on a slow receiver.
func (b *Bank) emit(typ string, object []byte) {
	h := &b.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.endpoints) == 0 || h.closed || (len(b.cfg.WebhookEvents) > 0 && !slices.Contains(b.cfg.WebhookEvents, typ)) {
		return
	}
	h.seq++
	ev := Event{ID: "evt_" + hex16(mix(b.cfg.Seed, saltWebhook, h.seq, 3)), Object: "event", Type: typ, Created: b.now().Unix()}
	ev.Data.Object = append(json.RawMessage(nil), object...)
	body, _ := json.Marshal(ev)
	f := b.faults.Load()
	var ds []delivery
	for _, ep := range h.endpoints {
		n := 1
		if f.WebhookDuplicate {
			n = 2
		}
		for range n {
			ds = append(ds, delivery{ep: ep, body: body, id: ev.ID})
		}
	}
	if f.WebhookOutOfOrder && h.held == nil {
		h.held = ds // sent after the next event's
		return
	}
	ds, h.held = append(ds, h.held...), nil
	for _, d := range ds {
		select {
		case h.queue <- d:
		default:
			h.recordLocked(Attempt{EventID: d.id, EndpointID: d.ep.ID, Error: "queue full: event dropped"})
		}
	}
}

func (h *hooks) recordLocked(a Attempt) {
	h.attempts = append(h.attempts, a)
	if len(h.attempts) > 1000 {
		h.attempts = h.attempts[len(h.attempts)-1000:]
	}
}

func (b *Bank) sendLoop() {
	h := &b.hooks
	defer close(h.done)
	for {
		select {
		case <-h.stop:
			return
		case d := <-h.queue:
			b.deliver(d)
		}
	}
}

// deliver sends one event until a 2xx, the last attempt, or Close.
func (b *Bank) deliver(d delivery) {
	h := &b.hooks
	wait := b.retryBase()
	for attempt := 1; ; attempt++ {
		if delay := b.faults.Load().WebhookDelay; delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-h.stop:
				t.Stop()
				return
			}
		}
		secret := d.ep.Secret
		if b.faults.Load().WebhookBadSignature {
			secret = "whsec_wrong"
		}
		a := Attempt{EventID: d.id, EndpointID: d.ep.ID, Attempt: attempt}
		req, err := http.NewRequest(http.MethodPost, d.ep.URL, bytes.NewReader(d.body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "demobank-webhooks/1")
			req.Header.Set(SignatureHeader, Sign(secret, b.now(), d.body))
			var resp *http.Response
			if resp, err = h.client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
				a.Status = resp.StatusCode
			}
		}
		if err != nil {
			a.Error = err.Error()
		}
		h.mu.Lock()
		h.recordLocked(a)
		h.mu.Unlock()
		if a.Status >= 200 && a.Status < 300 || attempt >= b.maxAttempts() {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-h.stop:
			t.Stop()
			return
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// closeHooks stops the sender; deliveries not yet sent are dropped.
func (b *Bank) closeHooks() {
	h := &b.hooks
	h.mu.Lock()
	started := h.started && !h.closed
	h.closed = true
	h.mu.Unlock()
	if started {
		close(h.stop)
		<-h.done
		h.client.CloseIdleConnections()
	}
}

func (b *Bank) createEndpoint(w http.ResponseWriter, r *http.Request) {
	var in struct {
		URL string `json:"url"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "request body: "+err.Error())
		return
	}
	ep, err := b.Subscribe(in.URL)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_url", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, ep)
}

func (b *Bank) listEndpoints(w http.ResponseWriter, r *http.Request) {
	b.hooks.mu.Lock()
	out := make([]Endpoint, len(b.hooks.endpoints))
	for i, ep := range b.hooks.endpoints {
		ep.Secret = "" // shown once only
		out[i] = ep
	}
	b.hooks.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out, "has_more": false})
}

func (b *Bank) adminWebhooks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"attempts": b.Attempts()})
}
