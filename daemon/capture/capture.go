// Package capture records what a connector does, per session: every HTTP
// exchange through the client the SDK hands it (redacted before anything
// leaves the transport), and bounded histories of exchanges, logs and
// connector calls that http/list, log/list and calls/list read.
package capture

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/switchboardpay/switchboard/connector/httprecord"
	"github.com/switchboardpay/switchboard/protocol"
)

// Limits of what a session keeps; see the README's reliability section.
const (
	// DefaultExchanges is how many exchanges a session keeps.
	DefaultExchanges = 500
	// DefaultBodyCap caps each captured body; the rest is cut and flagged
	// bodyTruncated. The connector always gets the whole body.
	DefaultBodyCap = 64 << 10
)

// Publisher sends exchanges live (the daemon's bus).
type Publisher interface {
	HTTPExchange(p protocol.HTTPExchangeParams)
}

// Recorder holds one session's exchanges.
type Recorder struct {
	session  string
	redactor *Redactor
	pub      Publisher
	bodyCap  int
	ring     *Ring[protocol.HTTPExchangeParams]
	seq      atomic.Uint64
}

// NewRecorder returns a recorder for a session whose secret config values
// are secrets.
func NewRecorder(sessionID string, secrets []string, pub Publisher) *Recorder {
	return &Recorder{session: sessionID, redactor: NewRedactor(secrets), pub: pub, bodyCap: DefaultBodyCap, ring: NewRing[protocol.HTTPExchangeParams](DefaultExchanges)}
}

// List returns up to limit of the newest exchanges, oldest first, of one
// operation or all.
func (r *Recorder) List(limit int, operation string) []protocol.HTTPExchangeParams {
	return r.ring.Last(limit, func(e *protocol.HTTPExchangeParams) bool { return operation == "" || e.Operation == operation })
}

// Record redacts, keeps and publishes an exchange made elsewhere (by a
// connector in another process), attributing it to the call in ctx.
func (r *Recorder) Record(ctx context.Context, ex protocol.HTTPExchangeParams) string {
	ex.Request.URL = r.redactor.URL(ex.Request.URL)
	ex.Request.Headers = r.redactor.Headers(ex.Request.Headers)
	// Cut before redacting, so the cost of a large body is bounded; a
	// secret split by the cut is caught by TrimPartial.
	body, cut := r.cap(ex.Request.Body, ex.Request.BodyTruncated)
	ex.Request.Body, ex.Request.BodyTruncated = r.redactor.Body(first(ex.Request.Headers, "Content-Type"), body), cut
	if ex.Response != nil {
		resp := *ex.Response
		resp.Headers = r.redactor.Headers(resp.Headers)
		body, cut := r.cap(resp.Body, resp.BodyTruncated)
		resp.Body, resp.BodyTruncated = r.redactor.Body(first(resp.Headers, "Content-Type"), body), cut
		ex.Response = &resp
	}
	ex.Error = r.redactor.String(ex.Error)
	return r.keep(ctx, ex)
}

func (r *Recorder) cap(s string, truncated bool) (string, bool) {
	if len(s) > r.bodyCap {
		return r.redactor.TrimPartial(s[:r.bodyCap]), true
	}
	return s, truncated
}

func first(h map[string][]string, k string) string {
	for name, vs := range h {
		if len(vs) > 0 && http.CanonicalHeaderKey(name) == k {
			return vs[0]
		}
	}
	return ""
}

func (r *Recorder) keep(ctx context.Context, ex protocol.HTTPExchangeParams) string {
	ex.SessionID = r.session
	ex.ID = "h" + strconv.FormatUint(r.seq.Add(1), 10)
	if c := CallFrom(ctx); c != nil {
		ex.Operation = c.Operation
		ex.Page = c.Page
		c.Add(ex.ID)
	}
	r.ring.Add(ex)
	if r.pub != nil {
		r.pub.HTTPExchange(ex)
	}
	return ex.ID
}

// Call is the connector call in progress (httprecord.Call).
type Call = httprecord.Call

// WithCall returns ctx carrying the call.
func WithCall(ctx context.Context, c *Call) context.Context { return httprecord.WithCall(ctx, c) }

// CallFrom returns the call of ctx, or nil.
func CallFrom(ctx context.Context) *Call { return httprecord.CallFrom(ctx) }

// Transport is the http.RoundTripper of a session's connector: it sends
// through Base and records each exchange, redacted, in Rec.
type Transport struct {
	Base http.RoundTripper
	Rec  *Recorder
}

var _ http.RoundTripper = (*Transport)(nil)

// NewClient returns the *http.Client handed to a session's connector: its
// own clone of the default transport, wrapped. The global default
// transport is never touched.
func NewClient(rec *Recorder) *http.Client {
	return &http.Client{Transport: &Transport{Base: http.DefaultTransport.(*http.Transport).Clone(), Rec: rec}}
}

// RoundTrip implements http.RoundTripper. Bodies are read whole so that the
// connector gets them intact and the capture gets their first bytes.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, slot := withFaultSlot(req.Context())
	return httprecord.RoundTrip(t.Base, req.WithContext(ctx), func(req *http.Request, ex protocol.HTTPExchangeParams) {
		ex.Fault = slot.get()
		t.Rec.Record(req.Context(), ex)
	})
}
