// Package redact scrubs secrets out of captured traffic, logs and errors:
// secret config values wherever they appear, credential headers, and
// secret-named JSON, query and form fields. The daemon's capture and the
// SDK's cassettes share it, so a tape is redacted as the console is.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// Redacted replaces every secret in captured traffic.
const Redacted = "***"

// Headers whose values are credentials, whatever they contain.
var secretHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-api-key": true, "api-key": true, "apikey": true, "x-auth-token": true, "x-access-token": true,
	"x-amz-security-token": true, "x-goog-api-key": true, "ocp-apim-subscription-key": true,
}

// Query parameters and JSON or form fields that hold credentials.
var secretNames = map[string]bool{
	"api_key": true, "apikey": true, "api-key": true, "key": true, "token": true, "access_token": true,
	"refresh_token": true, "id_token": true, "secret": true, "client_secret": true, "password": true,
	"passwd": true, "signature": true, "sig": true, "private_key": true, "secret_key": true, "auth": true,
	"authorization": true, "session_token": true, "code_verifier": true,
}

// flatSecretNames holds secretNames lower-cased without separators, so
// apiKey, API_KEY and api-key are one name.
var flatSecretNames = func() map[string]bool {
	m := map[string]bool{}
	for n := range secretNames {
		m[flatten(n)] = true
	}
	return m
}()

func flatten(name string) string { return string(appendFlat(nil, name)) }

// appendFlat appends name lower-cased without separators.
func appendFlat(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_':
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// isSecretName matches names case- and separator-insensitively.
func isSecretName(name string) bool {
	if len(name) > 40 {
		return false
	}
	// Flattened on the stack: every key of every body comes here, and
	// a map lookup by string(bytes) does not allocate.
	var buf [40]byte
	return flatSecretNames[string(appendFlat(buf[:0], name))]
}

// Redactor scrubs one session's traffic: known credential headers, query
// parameters and body fields, plus the session's own secret config values
// wherever they appear, raw, URL-encoded or base64-encoded.
type Redactor struct {
	values []string // secret values and their encodings, longest first
}

// NewRedactor returns a redactor for the given secret values (values
// shorter than 4 characters are ignored: scrubbing them would mangle
// everything).
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	add := func(v string) {
		if len(v) >= 4 && !seen[v] {
			seen[v] = true
			r.values = append(r.values, v)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(base64.StdEncoding.EncodeToString([]byte(s)))
		add(strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(s)), "="))
		add(base64.StdEncoding.EncodeToString([]byte(s + ":")))
		add(base64.StdEncoding.EncodeToString([]byte(":" + s)))
		// As it appears inside JSON text, escaped.
		if b, err := json.Marshal(s); err == nil {
			add(string(b[1 : len(b)-1]))
		}
		add(jsonNoHTML(s))
	}
	// Longest first, so a value containing another is replaced whole.
	for i := 1; i < len(r.values); i++ {
		for j := i; j > 0 && len(r.values[j]) > len(r.values[j-1]); j-- {
			r.values[j], r.values[j-1] = r.values[j-1], r.values[j]
		}
	}
	return r
}

// jsonNoHTML is s as a JSON string body without HTML escaping.
func jsonNoHTML(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b := bytes.TrimRight(buf.Bytes(), "\n")
	return string(b[1 : len(b)-1])
}

// String scrubs the session's secret values out of s.
func (r *Redactor) String(s string) string {
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// TrimPartial redacts the end of a cut text when it is the beginning of a
// secret value: the cut must not leave half a key behind.
func (r *Redactor) TrimPartial(s string) string {
	for _, v := range r.values {
		for k := min(len(v)-1, len(s)); k >= 4; k-- {
			if strings.HasSuffix(s, v[:k]) {
				return s[:len(s)-k] + Redacted
			}
		}
	}
	return s
}

// Headers returns a redacted copy of h.
func (r *Redactor) Headers(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		for i, v := range vs {
			if secretHeaders[strings.ToLower(k)] || isSecretName(k) {
				cp[i] = redactHeaderValue(v)
			} else {
				cp[i] = r.String(v)
			}
		}
		out[k] = cp
	}
	return out
}

// redactHeaderValue keeps the scheme of an Authorization value ("Bearer
// ***"), which says how the connector authenticates without saying with
// what.
func redactHeaderValue(v string) string {
	if scheme, _, ok := strings.Cut(v, " "); ok && len(scheme) < 16 && !strings.ContainsAny(scheme, "=;") {
		return scheme + " " + Redacted
	}
	return Redacted
}

// URL returns the URL with secret query parameters, user info and secret
// values redacted.
func (r *Redactor) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return r.String(raw)
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if isSecretName(k) {
				for i := range vs {
					vs[i] = Redacted
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return r.String(u.String())
}

// Body redacts a request or response body: secret JSON string fields,
// secret form fields, and the session's secret values anywhere.
func (r *Redactor) Body(contentType, body string) string {
	if body == "" {
		return body
	}
	if strings.Contains(contentType, "x-www-form-urlencoded") {
		if q, err := url.ParseQuery(body); err == nil {
			changed := false
			for k, vs := range q {
				if isSecretName(formKey(k)) {
					for i := range vs {
						vs[i] = Redacted
					}
					changed = true
				}
			}
			if changed {
				body = q.Encode()
			}
		}
	} else if strings.IndexByte(body, '"') >= 0 {
		body = redactJSONFields(body)
	}
	return r.String(body)
}

// redactJSONFields replaces the string value of every object key that is a
// secret name, in one pass over the text (the body may be cut short, so it
// is scanned, not parsed).
func redactJSONFields(body string) string {
	var out []byte // nil until the first replacement
	last := 0
	for i := 0; i < len(body); {
		q := strings.IndexByte(body[i:], '"')
		if q < 0 {
			break
		}
		i += q
		end := stringEnd(body, i)
		if end < 0 {
			break
		}
		// A key is a string followed by a colon.
		j := end + 1
		for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
			j++
		}
		if j >= len(body) || body[j] != ':' {
			i = end + 1
			continue
		}
		key := body[i+1 : end]
		j++
		for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
			j++
		}
		if j < len(body) && body[j] == '"' && isSecretName(key) {
			vend := stringEnd(body, j)
			if vend < 0 {
				vend = len(body) - 1
			}
			if out == nil {
				out = make([]byte, 0, len(body))
			}
			out = append(out, body[last:j+1]...)
			out = append(out, Redacted...)
			out = append(out, '"')
			last = vend + 1
			i = vend + 1
			continue
		}
		i = j
	}
	if out == nil {
		return body
	}
	return string(append(out, body[last:]...))
}

// stringEnd returns the index of the quote closing the JSON string that
// opens at i, or -1.
func stringEnd(s string, i int) int {
	for k := i + 1; k < len(s); {
		q := strings.IndexByte(s[k:], '"')
		if q < 0 {
			return -1
		}
		end := k + q
		// Escaped when an odd number of backslashes precede it.
		n := 0
		for p := end - 1; p > i && s[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return end
		}
		k = end + 1
	}
	return -1
}

// formKey returns the last bracketed part of a form key: card[number] ->
// number, metadata[api_key] -> api_key.
func formKey(k string) string {
	if i := strings.LastIndexByte(k, '['); i >= 0 && strings.HasSuffix(k, "]") {
		return k[i+1 : len(k)-1]
	}
	return k
}
