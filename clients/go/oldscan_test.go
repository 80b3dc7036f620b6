// The hand-written JSON scanner this package decoded messages with until
// issue 14, kept only as the baseline of BenchmarkDecodePage (old vs new
// in the same run): the package itself now decodes with segmentio/encoding.

package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboardpay/switchboard/protocol"
)

// This file holds the client's JSON fast paths. Every incoming oldMessage is
// checked once by a hand-written validating scanner (the JSON grammar of
// RFC 8259, as encoding/json accepts it) that also cuts the oldMessage's
// top-level members into byte spans; params and results are then decoded
// once, from those spans, into the caller's types. Pages (the results of
// fetch/next and the params of fetch/page) have a dedicated decoder that
// leaves their items where they are instead of copying them.

// maxNesting bounds the nesting of arrays and objects, as encoding/json
// does.
const maxNesting = 10000

// syntaxError is a malformed oldMessage.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

func errAt(off int, format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), off: off}
}

// strSpecial marks the bytes that end the fast loop in a string: the
// quote, the backslash and control characters.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// skipString validates the string starting at d[i] == '"' and returns the
// offset after its closing quote, and whether it holds escapes.
func skipString(d []byte, i int) (int, bool, error) {
	start := i
	escaped := false
	i++
	for {
		for i < len(d) && !strSpecial[d[i]] {
			i++
		}
		if i >= len(d) {
			return 0, false, errAt(start, "unterminated string")
		}
		switch c := d[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return 0, false, errAt(i, "unterminated escape")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return 0, false, errAt(i, "short \\u escape")
				}
				for _, h := range d[i+2 : i+6] {
					if !isHex(h) {
						return 0, false, errAt(i, "bad \\u escape")
					}
				}
				i += 6
			default:
				return 0, false, errAt(i, "bad escape")
			}
		default:
			return 0, false, errAt(i, "control character in string")
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipNumber validates the number starting at d[i].
func skipNumber(d []byte, i int) (int, error) {
	start := i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return 0, errAt(start, "bad number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return 0, errAt(start, "bad number")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return 0, errAt(start, "bad number")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	return i, nil
}

func skipLiteral(d []byte, i int, lit string) (int, error) {
	if !bytes.HasPrefix(d[i:], []byte(lit)) {
		return 0, errAt(i, "bad literal")
	}
	return i + len(lit), nil
}

// skipKey validates an object key and the colon after it, starting at
// d[i] (spaces allowed before both), and returns the offset after the
// colon.
func skipKey(d []byte, i int) (int, error) {
	i = skipSpace(d, i)
	if i >= len(d) || d[i] != '"' {
		return 0, errAt(i, "want an object key")
	}
	i, _, err := skipString(d, i)
	if err != nil {
		return 0, err
	}
	i = skipSpace(d, i)
	if i >= len(d) || d[i] != ':' {
		return 0, errAt(i, "want ':' after an object key")
	}
	return i + 1, nil
}

// skipValue validates the JSON value starting at d[i] (spaces allowed
// before it) and returns the offsets of its first byte and of the byte
// after it.
func skipValue(d []byte, i int) (start, end int, err error) {
	var buf [64]byte
	stack := buf[:0] // the closers of the open containers
	i = skipSpace(d, i)
	start = i
	for {
		// One value.
		i = skipSpace(d, i)
		if i >= len(d) {
			return 0, 0, errAt(i, "unexpected end of JSON")
		}
		switch c := d[i]; {
		case c == '"':
			i, _, err = skipString(d, i)
		case c == '{' || c == '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			i = skipSpace(d, i+1)
			if i < len(d) && d[i] == closer {
				i++
				break
			}
			if len(stack) >= maxNesting {
				return 0, 0, errAt(i, "nested too deep")
			}
			stack = append(stack, closer)
			if closer == '}' {
				if i, err = skipKey(d, i); err != nil {
					return 0, 0, err
				}
			}
			continue
		case c == 't':
			i, err = skipLiteral(d, i, "true")
		case c == 'f':
			i, err = skipLiteral(d, i, "false")
		case c == 'n':
			i, err = skipLiteral(d, i, "null")
		case c == '-' || isDigit(c):
			i, err = skipNumber(d, i)
		default:
			return 0, 0, errAt(i, "unexpected character %q", c)
		}
		if err != nil {
			return 0, 0, err
		}
		// After a value: close containers, or go on to the next element.
		for {
			if len(stack) == 0 {
				return start, i, nil
			}
			i = skipSpace(d, i)
			if i >= len(d) {
				return 0, 0, errAt(i, "unexpected end of JSON")
			}
			top := stack[len(stack)-1]
			if d[i] == top {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if d[i] != ',' {
				return 0, 0, errAt(i, "want ',' or %q", top)
			}
			i++
			if top == '}' {
				if i, err = skipKey(d, i); err != nil {
					return 0, 0, err
				}
			}
			break
		}
	}
}

// skipStringTrusted returns the offset after the validated string that
// starts at d[i] == '"', or len(d)+1 if it is not terminated.
func skipStringTrusted(d []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(d[j:], '"')
		if k < 0 {
			return len(d) + 1
		}
		q := j + k
		// The quote is escaped if an odd number of backslashes precede it.
		bs := 0
		for p := q - 1; p > i && d[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// skipTrusted returns the offset after the validated value that starts at
// d[i], or len(d)+1 if it does not end.
func skipTrusted(d []byte, i int) int {
	depth := 0
	for i < len(d) {
		switch d[i] {
		case '"':
			i = skipStringTrusted(d, i)
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		default:
			if depth == 0 {
				// A number or a literal.
				for i < len(d) && !isSpace(d[i]) && d[i] != ',' && d[i] != '}' && d[i] != ']' {
					i++
				}
				return i
			}
		}
		i++
	}
	return len(d) + 1
}

// objectMembers validates d as one JSON object (spaces around it allowed)
// and calls f for each of its members in order, until f returns false.
// A d that is not an object (null, say) reports ok false with a nil error.
//
// With trusted, d has been validated already (it is part of a oldMessage
// oldParseMessage accepted): values are then skipped without validation, much
// faster.
func objectMembers(d []byte, trusted bool, f func(key []byte, escaped bool, value []byte) bool) (ok bool, err error) {
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		if trusted {
			return false, nil
		}
		// Validate it all the same.
		_, end, err := skipValue(d, 0)
		if err == nil && skipSpace(d, end) != len(d) {
			err = errAt(end, "data after the top-level value")
		}
		return false, err
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		i++
	} else {
		for {
			i = skipSpace(d, i)
			if i >= len(d) || d[i] != '"' {
				return false, errAt(i, "want an object key")
			}
			ks := i
			var escaped bool
			if trusted {
				i = skipStringTrusted(d, i)
				escaped = bytes.IndexByte(d[ks:i], '\\') >= 0
			} else if i, escaped, err = skipString(d, i); err != nil {
				return false, err
			}
			key := d[ks+1 : i-1]
			i = skipSpace(d, i)
			if i >= len(d) || d[i] != ':' {
				return false, errAt(i, "want ':' after an object key")
			}
			var vs, ve int
			if trusted {
				vs = skipSpace(d, i+1)
				ve = skipTrusted(d, vs)
				if ve > len(d) {
					return false, errAt(vs, "unexpected end of JSON")
				}
			} else if vs, ve, err = skipValue(d, i+1); err != nil {
				return false, err
			}
			if f != nil && !f(key, escaped, d[vs:ve]) {
				f = nil // validate the rest
			}
			i = skipSpace(d, ve)
			if i < len(d) && d[i] == ',' {
				i++
				continue
			}
			if i < len(d) && d[i] == '}' {
				i++
				break
			}
			return false, errAt(i, "want ',' or '}'")
		}
	}
	if skipSpace(d, i) != len(d) {
		return false, errAt(i, "data after the top-level value")
	}
	return true, nil
}

// unquoteKey returns an object key as encoding/json would see it.
func unquoteKey(key []byte, escaped bool) string {
	if !escaped {
		return string(key)
	}
	var s string
	q := make([]byte, 0, len(key)+2)
	q = append(append(append(q, '"'), key...), '"')
	if json.Unmarshal(q, &s) != nil {
		return string(key)
	}
	return s
}

// keyIs reports whether an object key matches name the way encoding/json
// matches a field name: exactly, or else case-insensitively.
func keyIs(key []byte, escaped bool, name string) bool {
	if !escaped {
		return string(key) == name || (len(key) == len(name) && strings.EqualFold(string(key), name))
	}
	return strings.EqualFold(unquoteKey(key, true), name)
}

func isNull(v []byte) bool { return string(v) == "null" }

// --- Messages -------------------------------------------------------------

// oldMessage is one incoming JSON-RPC oldMessage cut into spans of its buffer.
// A span is nil when its member is absent or null.
type oldMessage struct {
	id     []byte // raw JSON id
	method string
	params []byte
	result []byte
	err    []byte // raw JSON error object
	hasRes bool   // a result member was present (null included)
}

// oldParseMessage validates one incoming oldMessage and cuts it up. It
// allocates only the method name.
func oldParseMessage(d []byte) (oldMessage, error) {
	var m oldMessage
	var perr error
	ok, err := objectMembers(d, false, func(key []byte, escaped bool, v []byte) bool {
		switch {
		case keyIs(key, escaped, "id"):
			m.id = oldNilIfNull(v)
		case keyIs(key, escaped, "method"):
			m.method, perr = oldDecodeString(v)
			if perr != nil {
				return false
			}
		case keyIs(key, escaped, "params"):
			m.params = oldNilIfNull(v)
		case keyIs(key, escaped, "result"):
			m.result, m.hasRes = v, true
		case keyIs(key, escaped, "error"):
			m.err = oldNilIfNull(v)
		}
		return true
	})
	if err != nil {
		return m, err
	}
	if perr != nil {
		return m, fmt.Errorf("bad method: %w", perr)
	}
	if !ok {
		return m, errors.New("oldMessage is not a JSON object")
	}
	return m, nil
}

func oldNilIfNull(v []byte) []byte {
	if isNull(v) {
		return nil
	}
	return v
}

// oldDecodeString decodes a JSON string (or null, as "") that the scanner has
// validated.
func oldDecodeString(v []byte) (string, error) {
	if isNull(v) {
		return "", nil
	}
	if len(v) >= 2 && v[0] == '"' && oldPlainString(v[1:len(v)-1]) {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// oldPlainString reports whether the content of a validated string decodes to
// itself: no escapes, valid UTF-8.
func oldPlainString(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			return bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s)
		}
	}
	return true
}

// oldParseID reads the id of a response to one of our requests: a number
// (or a string holding one, for peers that turn ids into strings).
func oldParseID(raw []byte) (uint64, bool) {
	if len(raw) >= 2 && raw[0] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	id, err := strconv.ParseUint(string(raw), 10, 64)
	return id, err == nil
}

// oldWireError is the error member of a response.
type oldWireError struct {
	Code    int64           `json:"code"`
	Message string          `json:"oldMessage"`
	Data    json.RawMessage `json:"data"`
}

func oldDecodeError(raw []byte) *protocol.Error {
	var we oldWireError
	if err := json.Unmarshal(raw, &we); err != nil {
		return &protocol.Error{Code: protocol.CodeInternalError, Message: "client: undecodable error response: " + err.Error()}
	}
	pe := &protocol.Error{Code: we.Code, Message: we.Message}
	if len(we.Data) > 0 && !isNull(we.Data) {
		pe.Data = we.Data
	}
	return pe
}

// --- Decoding params and results ------------------------------------------

// oldDecodeInto decodes JSON that oldParseMessage validated into v, as
// json.Unmarshal does, with fast paths for pages.
func oldDecodeInto(raw []byte, v any) error {
	switch v := v.(type) {
	case *protocol.Page:
		p := *v
		if oldDecodePage(raw, true, &p) {
			*v = p
			return nil
		}
	case *protocol.FetchPageParams:
		p := *v
		if oldDecodeFetchPageParams(raw, true, &p) {
			*v = p
			return nil
		}
	case *json.RawMessage:
		// What json.Unmarshal does, without a second validation.
		i, j := skipSpace(raw, 0), len(raw)
		for j > i && isSpace(raw[j-1]) {
			j--
		}
		*v = append((*v)[:0], raw[i:j]...)
		return nil
	}
	return json.Unmarshal(raw, v)
}

// oldDecodeFetchPageParams decodes fetch/page params into p. It reports false
// when the JSON holds anything it does not handle (an unknown member, a
// value of an unexpected type); the caller then decodes with encoding/json,
// which gives the same result or the proper error.
func oldDecodeFetchPageParams(raw []byte, trusted bool, p *protocol.FetchPageParams) bool {
	good := true
	ok, err := objectMembers(raw, trusted, func(key []byte, escaped bool, v []byte) bool {
		if escaped {
			good = false
			return false
		}
		switch string(key) {
		case "sessionId":
			good = oldSetString(v, &p.SessionID)
		case "task":
			good = oldSetString(v, &p.Task)
		case "page":
			good = isNull(v) || oldDecodePage(v, true, &p.Page)
		default:
			good = false
		}
		return good
	})
	return ok && err == nil && good
}

// oldDecodePage decodes a page into p, leaving its items and new state in
// raw rather than copying them (raw is a oldMessage's own buffer). Like
// oldDecodeFetchPageParams, it reports false for anything unusual.
func oldDecodePage(raw []byte, trusted bool, p *protocol.Page) bool {
	good := true
	ok, err := objectMembers(raw, trusted, func(key []byte, escaped bool, v []byte) bool {
		if escaped {
			good = false
			return false
		}
		switch string(key) {
		case "sessionId":
			good = oldSetString(v, &p.SessionID)
		case "resource":
			good = oldSetString(v, &p.Resource)
		case "key":
			good = oldSetString(v, &p.Key)
		case "page":
			good = oldSetInt(v, &p.Page)
		case "items":
			p.Items = json.RawMessage(v[:len(v):len(v)])
		case "itemCount":
			good = oldSetInt(v, &p.ItemCount)
		case "newState":
			p.NewState = json.RawMessage(v[:len(v):len(v)])
		case "hasMore":
			switch string(v) {
			case "true":
				p.HasMore = true
			case "false":
				p.HasMore = false
			case "null":
			default:
				good = false
			}
		case "durationMs":
			good = oldSetFloat(v, &p.DurationMs)
		case "httpExchanges":
			good = json.Unmarshal(v, &p.HTTPExchanges) == nil
		default:
			good = false
		}
		return good
	})
	return ok && err == nil && good
}

func oldSetString(v []byte, s *string) bool {
	if isNull(v) {
		return true
	}
	if len(v) < 2 || v[0] != '"' {
		return false
	}
	d, err := oldDecodeString(v)
	if err != nil {
		return false
	}
	*s = d
	return true
}

func oldSetInt(v []byte, n *int) bool {
	if isNull(v) {
		return true
	}
	i, err := strconv.ParseInt(string(v), 10, 0)
	if err != nil {
		return false
	}
	*n = int(i)
	return true
}

func oldSetFloat(v []byte, f *float64) bool {
	if isNull(v) {
		return true
	}
	if len(v) == 0 || (v[0] != '-' && !isDigit(v[0])) {
		return false
	}
	x, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return false
	}
	*f = x
	return true
}
