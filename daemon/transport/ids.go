package transport

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/sourcegraph/jsonrpc2"
)

// sourcegraph/jsonrpc2 keeps a request id as a uint64 or a string, so a
// negative id would come back as 18446744073709551615 and a null id would
// make the request a notification. JSON-RPC 2.0 and LSP allow both, and
// the answer must carry the id exactly as sent. The stream therefore hands
// jsonrpc2 such ids as private string aliases and gives the original bytes
// back to whoever writes the reply (ReplyID). A client's own string id
// that starts like an alias is aliased too, so aliases never collide.
const aliasPrefix = "\x00sb-id:"

// aliases maps the ids the stream made up to the ids the peer sent.
//
// Guarded by Stream.amu; a leaf lock.
type aliases struct {
	seq   uint64
	orig  map[string]json.RawMessage // alias -> id as sent
	byRaw map[string]string          // id as sent (compact) -> alias, for $/cancelRequest; not for null
}

// normalize rewrites what jsonrpc2 cannot represent: a request id it would
// alter gets an alias, a $/cancelRequest naming such an id names the
// alias, and a response with neither result nor error (x/exp/jsonrpc2
// sends one for a nil result) becomes a null result.
func (s *Stream) normalize(body []byte, m *probe) ([]byte, int, string) {
	switch {
	case m.hasMethod && len(m.ID) > 0 && !plainID(m.ID):
		alias := s.addAlias(m.ID)
		b, err := setMember(body, "id", jsonString(alias))
		if err != nil {
			return nil, -32600, "invalid request: " + err.Error()
		}
		return b, 0, ""
	case m.hasMethod && len(m.ID) == 0 && string(m.Method) == `"$/cancelRequest"`:
		var p struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(m.Params, &p) != nil || len(p.ID) == 0 || plainID(p.ID) {
			return body, 0, ""
		}
		s.amu.Lock()
		alias, ok := s.ids.byRaw[compact(p.ID)]
		s.amu.Unlock()
		if !ok {
			return body, 0, ""
		}
		b, err := setMember(body, "params", json.RawMessage(`{"id":`+string(jsonString(alias))+`}`))
		if err != nil {
			return nil, -32600, "invalid request: " + err.Error()
		}
		return b, 0, ""
	case !m.hasMethod && !m.isResponse:
		b, err := setMember(body, "result", json.RawMessage("null"))
		if err != nil {
			return nil, -32600, "invalid request: " + err.Error()
		}
		return b, 0, ""
	}
	return body, 0, ""
}

// plainID reports whether jsonrpc2 round-trips id unchanged: a
// non-negative integer in canonical form that fits an int64, or a string
// that is not alias-like.
func plainID(id json.RawMessage) bool {
	if id[0] == '"' {
		var s string
		return json.Unmarshal(id, &s) == nil && !bytes.HasPrefix([]byte(s), []byte(aliasPrefix))
	}
	if id[0] < '0' || id[0] > '9' || (id[0] == '0' && len(id) > 1) {
		return false
	}
	_, err := strconv.ParseInt(string(id), 10, 64)
	return err == nil
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

func (s *Stream) addAlias(id json.RawMessage) string {
	s.amu.Lock()
	defer s.amu.Unlock()
	if s.ids.orig == nil {
		s.ids.orig = map[string]json.RawMessage{}
		s.ids.byRaw = map[string]string{}
	}
	s.ids.seq++
	alias := aliasPrefix + strconv.FormatUint(s.ids.seq, 10)
	raw := compact(id)
	s.ids.orig[alias] = json.RawMessage(raw)
	if raw != "null" {
		s.ids.byRaw[raw] = alias
	}
	return alias
}

// ReplyID returns the id, as the peer sent it, to put in the answer to the
// request jsonrpc2 knows as id, and forgets the alias if it was one. Call
// it once per request, when writing its answer.
func (s *Stream) ReplyID(id jsonrpc2.ID) json.RawMessage {
	if id.IsString && len(id.Str) > len(aliasPrefix) && id.Str[:len(aliasPrefix)] == aliasPrefix {
		s.amu.Lock()
		raw, ok := s.ids.orig[id.Str]
		if ok {
			delete(s.ids.orig, id.Str)
			if s.ids.byRaw[string(raw)] == id.Str {
				delete(s.ids.byRaw, string(raw))
			}
		}
		s.amu.Unlock()
		if ok {
			return raw
		}
	}
	b, _ := json.Marshal(id)
	return b
}

// setMember returns the JSON object body with member name set to v.
func setMember(body []byte, name string, v json.RawMessage) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	obj[name] = v
	return json.Marshal(obj)
}
