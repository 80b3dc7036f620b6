package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/protocol"
)

// Transport applies an injector's rules to the requests it sends through
// Base. It sits under capture.Transport, so the capture records what the
// connector got (the fault's answer), marked with the rule.
type Transport struct {
	Base http.RoundTripper
	In   *Injector
}

var _ http.RoundTripper = (*Transport)(nil)

// Wrap returns base with in's rules applied.
func (in *Injector) Wrap(base http.RoundTripper) http.RoundTripper {
	return &Transport{Base: base, In: in}
}

// saved is an answer kept for a later duplicate.
type saved struct {
	status int
	header http.Header
	body   []byte
}

// maxSaved caps the body kept for a duplicate; a larger one is not kept.
const maxSaved = 8 << 20

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.In.active.Load() {
		return t.Base.RoundTrip(req)
	}
	ctx := req.Context()
	op, page := "", 0
	if c := capture.CallFrom(ctx); c != nil {
		op, page = c.Operation, c.Page
	}
	r, fire := t.In.decide(op, page, req.URL.String())
	key := op + " " + req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	if !fire {
		return t.send(req, key)
	}
	mark := func(detail string) {
		capture.MarkFault(ctx, protocol.InjectedFault{Rule: r.ID, Kind: r.Kind, Detail: detail})
	}
	switch r.Kind {
	case protocol.FaultStatus:
		closeBody(req)
		status := r.Status
		if status == 0 {
			status = DefaultStatus
		}
		h := http.Header{"Content-Type": {"application/json"}}
		detail := strconv.Itoa(status)
		if status == http.StatusTooManyRequests || r.RetryAfter > 0 {
			ra := r.RetryAfter
			if ra == 0 {
				ra = DefaultRetryAfter
			}
			h.Set("Retry-After", strconv.Itoa(ra))
			detail += fmt.Sprintf(", Retry-After %d", ra)
		}
		body, _ := json.Marshal(map[string]any{"error": map[string]any{
			"status": status, "message": fmt.Sprintf("%s: injected by Switchboard fault rule %s", http.StatusText(status), r.ID),
		}})
		mark(detail)
		return answer(req, status, h, body), nil
	case protocol.FaultTimeout:
		closeBody(req)
		d := r.DelayMs
		if d == 0 {
			d = DefaultDelayMs
		}
		mark(fmt.Sprintf("timed out after %d ms", d))
		timer := time.NewTimer(time.Duration(d) * time.Millisecond)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
		}
		return nil, &net.OpError{Op: "read", Net: "tcp", Addr: addr(req), Err: timeoutError{rule: r.ID}}
	case protocol.FaultReset:
		closeBody(req)
		mark("connection reset")
		return nil, &net.OpError{Op: "read", Net: "tcp", Addr: addr(req), Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	case protocol.FaultDuplicate:
		t.In.mu.Lock()
		prev, ok := t.In.last[key]
		t.In.mu.Unlock()
		if !ok {
			t.In.unfire(r.ID)
			return t.send(req, key)
		}
		closeBody(req)
		mark(fmt.Sprintf("served the previous answer of %s again", req.URL.Path))
		return answer(req, prev.status, prev.header.Clone(), prev.body), nil
	case protocol.FaultTruncate, protocol.FaultReorder, protocol.FaultRewrite:
		resp, err := t.Base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
			return resp, nil
		}
		if r.Kind == protocol.FaultTruncate {
			cut := len(body) / 2
			mark(fmt.Sprintf("body cut at %d of %d bytes", cut, len(body)))
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:cut]), errReader{io.ErrUnexpectedEOF}))
			return resp, nil
		}
		edit, what := reverse, "%d items in reverse order"
		if r.Kind == protocol.FaultRewrite {
			edit, what = setField(r.Field, r.Value), "%d items with "+r.Field+" set to "+string(r.Value)
		}
		out, n, ok := editItems(body, edit)
		if !ok || n == 0 {
			t.In.unfire(r.ID)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return resp, nil
		}
		mark(fmt.Sprintf(what, n))
		resp.Body = io.NopCloser(bytes.NewReader(out))
		resp.ContentLength = int64(len(out))
		resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
		return resp, nil
	}
	return t.send(req, key)
}

// send sends req unaltered, keeping a 2xx answer when a duplicate rule
// may serve it again.
func (t *Transport) send(req *http.Request, key string) (*http.Response, error) {
	resp, err := t.Base.RoundTrip(req)
	if err != nil || resp.StatusCode/100 != 2 || !t.In.wantsAnswers() {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxSaved+1))
	if rerr != nil || len(body) > maxSaved {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	t.In.mu.Lock()
	if t.In.last == nil {
		t.In.last = map[string]saved{}
	}
	t.In.last[key] = saved{status: resp.StatusCode, header: resp.Header.Clone(), body: body}
	t.In.mu.Unlock()
	return resp, nil
}

func answer(req *http.Request, status int, h http.Header, body []byte) *http.Response {
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// addr is the request's host, for the error's message.
func addr(req *http.Request) net.Addr { return hostAddr(req.URL.Host) }

type hostAddr string

func (h hostAddr) Network() string { return "tcp" }
func (h hostAddr) String() string  { return string(h) }

// timeoutError is a net.Error that timed out, as a read deadline gives.
type timeoutError struct{ rule string }

func (e timeoutError) Error() string   { return "i/o timeout (injected by fault rule " + e.rule + ")" }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// itemKeys are the names a page's array of items goes by, in the order
// they are preferred when a body holds several arrays.
var itemKeys = []string{"data", "items", "results", "transactions", "payments"}

// editItems applies edit to the page's items: a top-level array, or the
// array of the object's first item key (else its first array field by
// name). edit returns how many items it changed. Values it does not touch
// are kept byte for byte.
func editItems(body []byte, edit func([]json.RawMessage) int) ([]byte, int, bool) {
	var arr []json.RawMessage
	if json.Unmarshal(body, &arr) == nil {
		n := edit(arr)
		out, err := json.Marshal(arr)
		return out, n, err == nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return nil, 0, false
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	keys = append(append([]string(nil), itemKeys...), keys...)
	for _, k := range keys {
		v, ok := obj[k]
		if !ok || json.Unmarshal(v, &arr) != nil || arr == nil {
			continue
		}
		n := edit(arr)
		b, err := json.Marshal(arr)
		if err != nil {
			return nil, 0, false
		}
		obj[k] = b
		out, err := json.Marshal(obj)
		return out, n, err == nil
	}
	return nil, 0, false
}

func reverse(items []json.RawMessage) int {
	slices.Reverse(items)
	return len(items)
}

// setField returns an edit that sets field to value in every item object
// that has it.
func setField(field string, value json.RawMessage) func([]json.RawMessage) int {
	return func(items []json.RawMessage) int {
		n := 0
		for i, it := range items {
			var o map[string]json.RawMessage
			if json.Unmarshal(it, &o) != nil {
				continue
			}
			if _, ok := o[field]; !ok {
				continue
			}
			o[field] = value
			if b, err := json.Marshal(o); err == nil {
				items[i] = b
				n++
			}
		}
		return n
	}
}
