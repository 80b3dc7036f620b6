package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/switchboardpay/switchboard/protocol"
)

// Merge returns one redactor for the secret values of all of rs: the
// daemon's, for what leaves it without naming a session (JSON-RPC errors
// and results, its own log).
func Merge(rs ...*Redactor) *Redactor {
	out := &Redactor{}
	seen := map[string]bool{}
	for _, r := range rs {
		if r == nil {
			continue
		}
		for _, v := range r.values {
			if !seen[v] {
				seen[v] = true
				out.values = append(out.values, v)
			}
		}
	}
	sort.SliceStable(out.values, func(i, j int) bool { return len(out.values[i]) > len(out.values[j]) })
	return out
}

// Empty reports whether r knows no secret value.
func (r *Redactor) Empty() bool { return r == nil || len(r.values) == 0 }

// Has reports whether s holds one of the secret values.
func (r *Redactor) Has(s string) bool {
	if r == nil {
		return false
	}
	for _, v := range r.values {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// HasBytes reports whether b holds one of the secret values.
func (r *Redactor) HasBytes(b []byte) bool {
	if r == nil {
		return false
	}
	for _, v := range r.values {
		if bytes.Contains(b, []byte(v)) {
			return true
		}
	}
	return false
}

// JSON redacts the secret values out of the JSON text raw, returning raw
// itself when it holds none, and the paths ("metadata.note", "raw[2]") of
// the strings that were changed. Only strings (keys and values) are
// touched, so the result is valid JSON whatever the secrets look like.
func (r *Redactor) JSON(raw json.RawMessage) (json.RawMessage, []string) {
	if !r.HasBytes(raw) {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// Not JSON: redact it as text, and say so.
		b, _ := json.Marshal(r.String(string(raw)))
		return b, []string{""}
	}
	var paths []string
	v = r.walk(v, "", &paths)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b, _ := json.Marshal(Redacted)
		return b, []string{""}
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), paths
}

func (r *Redactor) walk(v any, path string, paths *[]string) any {
	switch x := v.(type) {
	case string:
		if s := r.String(x); s != x {
			*paths = append(*paths, path)
			return s
		}
	case []any:
		for i := range x {
			x[i] = r.walk(x[i], path+"["+strconv.Itoa(i)+"]", paths)
		}
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			nk := r.String(k)
			ne := r.walk(e, p, paths)
			if nk != k {
				delete(x, k)
				*paths = append(*paths, p)
			}
			x[nk] = ne
		}
	}
	return v
}

// Error returns err with the secret values redacted from its message and,
// for a *protocol.Error, from its data; err itself when it holds none.
func (r *Redactor) Error(err error) error {
	if err == nil || r.Empty() {
		return err
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		msg, data := r.String(pe.Message), pe.Data
		changed := msg != pe.Message
		if data != nil {
			if b, merr := json.Marshal(data); merr == nil && r.HasBytes(b) {
				data, _ = r.JSON(b)
				changed = true
			}
		}
		if !changed {
			return err
		}
		return &protocol.Error{Code: pe.Code, Message: msg, Data: data}
	}
	if msg := err.Error(); r.Has(msg) {
		return &redactedError{msg: r.String(msg), cause: err}
	}
	return err
}

// redactedError is an error whose text held a secret. It unwraps to the
// context errors only, so that nothing can reach the original text.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error {
	switch {
	case errors.Is(e.cause, context.Canceled):
		return context.Canceled
	case errors.Is(e.cause, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return nil
}
