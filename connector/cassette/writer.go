package cassette

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	vcr "gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/switchboardpay/switchboard/connector/httprecord"
	"github.com/switchboardpay/switchboard/connector/redact"
	"github.com/switchboardpay/switchboard/protocol"
)

// ErrorHeader holds, on the response of an exchange that failed before a
// response arrived, the transport error; its status code is 0.
const ErrorHeader = "X-Switchboard-Error"

// Writer records one session into a cassette. Everything is redacted as it
// is added: credential headers, secret query parameters and body fields,
// and the session's secret values anywhere, each replaced by the same
// placeholder every time, so a replay that redacts its requests the same
// way matches them.
//
// Invariant: byCall holds the interactions of calls not yet added.
type Writer struct {
	path string
	red  *redact.Redactor

	mu     sync.Mutex
	c      *vcr.Cassette              // guarded by mu
	byCall map[*httprecord.Call][]int // guarded by mu
	calls  int                        // guarded by mu
	saved  bool                       // guarded by mu: nothing added since the last save
	j      *journal                   // guarded by mu: what was added since the last save
}

// NewWriter starts a cassette at path for a session, with its secret
// config values. The file is written at once (with the session alone), so
// a path that cannot be written fails here, not at the end.
func NewWriter(path string, s Session, secrets []string) (*Writer, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	w := &Writer{path: path, red: redact.NewRedactor(secrets), c: vcr.New(name(path)), byCall: map[*httprecord.Call][]int{}}
	w.c.AddInteraction(jsonInteraction(sessionURL, s, nil))
	if err := w.Save(); err != nil {
		return nil, err
	}
	j, err := openJournal(path)
	if err != nil {
		return nil, err
	}
	w.j = j
	return w, nil
}

// Path returns the cassette's path.
func (w *Writer) Path() string { return w.path }

// RoundTrip sends req through base and records the exchange.
func (w *Writer) RoundTrip(base http.RoundTripper, req *http.Request) (*http.Response, error) {
	return httprecord.RoundTrip(base, req, func(req *http.Request, ex protocol.HTTPExchangeParams) {
		w.add(req.Context(), req, ex)
	})
}

func (w *Writer) add(ctx context.Context, req *http.Request, ex protocol.HTTPExchangeParams) {
	i := Interaction(w.red, req, ex)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.c.AddInteraction(i)
	w.j.append(i, false)
	w.saved = false
	if c := httprecord.CallFrom(ctx); c != nil {
		w.byCall[c] = append(w.byCall[c], i.ID)
	}
}

// Interaction turns an exchange into a cassette interaction, redacted with
// red.
func Interaction(red *redact.Redactor, req *http.Request, ex protocol.HTTPExchangeParams) *vcr.Interaction {
	headers := http.Header(red.Headers(ex.Request.Headers))
	body := red.Body(headers.Get("Content-Type"), ex.Request.Body)
	i := &vcr.Interaction{Request: vcr.Request{
		Proto: req.Proto, ProtoMajor: req.ProtoMajor, ProtoMinor: req.ProtoMinor,
		ContentLength: int64(len(body)), Host: req.URL.Host,
		Method: ex.Request.Method, URL: red.URL(ex.Request.URL), Headers: headers, Body: body,
	}}
	i.Response.Duration = time.Duration(ex.DurationMs * float64(time.Millisecond))
	if ex.Response == nil {
		i.Response.Headers = http.Header{ErrorHeader: {red.String(ex.Error)}}
		return i
	}
	rh := http.Header(red.Headers(ex.Response.Headers))
	rb := red.Body(rh.Get("Content-Type"), ex.Response.Body)
	i.Response.Proto, i.Response.ProtoMajor, i.Response.ProtoMinor = "HTTP/1.1", 1, 1
	i.Response.Code = ex.Response.Status
	i.Response.Status = strconv.Itoa(ex.Response.Status) + " " + http.StatusText(ex.Response.Status)
	i.Response.Headers, i.Response.Body, i.Response.ContentLength = rh, rb, int64(len(rb))
	return i
}

// AddCall records a connector call; c is the capture call its exchanges
// were made under, or nil.
func (w *Writer) AddCall(c *httprecord.Call, call Call) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c != nil {
		call.Interactions = w.byCall[c]
		delete(w.byCall, c)
	}
	call.StateBefore = redactJSON(w.red, call.StateBefore)
	call.StateAfter = redactJSON(w.red, call.StateAfter)
	call.Error = w.red.String(call.Error)
	w.calls++
	w.saved = false
	call.FromPayload = redactJSON(w.red, call.FromPayload)
	asked, outcome := call.halves()
	i := jsonInteraction(callURL+call.Operation+"?page="+strconv.Itoa(call.Page), asked, outcome)
	w.c.AddInteraction(i)
	// Synced once per call: a page's exchanges and its call survive a
	// kill together.
	w.j.append(i, true)
}

func redactJSON(red *redact.Redactor, raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	return []byte(red.String(string(raw)))
}

// Counts returns how many HTTP interactions and calls the cassette holds.
func (w *Writer) Counts() (interactions, calls int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.c.Interactions) - 1 - w.calls, w.calls
}

// Save writes the cassette (atomically: the old file or the new one).
func (w *Writer) Save() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.saved {
		return nil
	}
	if err := save(w.c, w.path); err != nil {
		return fmt.Errorf("cassette %s: save: %w", w.path, err)
	}
	w.saved = true
	if err := w.j.reset(); err != nil {
		return fmt.Errorf("cassette %s: journal: %w", w.path, err)
	}
	// What was just written is what a replay would parse back.
	if t, err := tapeOf(w.path, slices.Clone(w.c.Interactions)); err == nil {
		remember(w.path, t)
	}
	return nil
}

// Close ends the recording: it saves the cassette and removes its
// journal. A save that fails keeps both, and the recording usable.
func (w *Writer) Close() error {
	if err := w.Save(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.j.remove()
	w.j = nil
	return nil
}
