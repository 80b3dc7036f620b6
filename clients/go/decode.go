package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	sjson "github.com/segmentio/encoding/json"

	"github.com/switchboardpay/switchboard/protocol"
)

// Incoming messages are decoded with segmentio/encoding, which validates
// as encoding/json does, several times faster, and leaves strings and
// json.RawMessage members in the message's own buffer (ZeroCopy): a page's
// items are never copied. Each message read has a buffer of its own, so
// the spans stay valid.

// message is one incoming JSON-RPC message cut into spans of its buffer.
// A span is nil when its member is absent or null.
type message struct {
	id     []byte // raw JSON id
	method string
	params []byte
	result []byte
	err    []byte // raw JSON error object
	hasRes bool   // a result member was present (null included)
}

// envelope is the wire shape of any message.
type envelope struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// parse decodes one whole JSON value into v: trailing bytes are an error,
// as with json.Unmarshal.
func parse(d []byte, v any) error {
	rest, err := sjson.Parse(d, v, sjson.ZeroCopy)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("invalid character %q after top-level value", rest[0])
	}
	return nil
}

// parseMessage validates one incoming message and cuts it up.
func parseMessage(d []byte) (message, error) {
	var e envelope
	if t := bytes.TrimLeft(d, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		if !json.Valid(d) {
			return message{}, errors.New("message is not valid JSON")
		}
		return message{}, errors.New("message is not a JSON object")
	}
	if err := parse(d, &e); err != nil {
		return message{}, err
	}
	m := message{id: nilIfNull(e.ID), params: nilIfNull(e.Params), err: nilIfNull(e.Error), result: e.Result, hasRes: e.Result != nil}
	if e.Method != nil {
		m.method = *e.Method
	}
	return m, nil
}

func nilIfNull(v []byte) []byte {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

// parseID reads the id of a response to one of our requests: a number
// (or a string holding one, for peers that turn ids into strings).
func parseID(raw []byte) (uint64, bool) {
	if len(raw) >= 2 && raw[0] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	id, err := strconv.ParseUint(string(raw), 10, 64)
	return id, err == nil
}

// wireError is the error member of a response.
type wireError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func decodeError(raw []byte) *protocol.Error {
	var we wireError
	if err := parse(raw, &we); err != nil {
		return &protocol.Error{Code: protocol.CodeInternalError, Message: "client: undecodable error response: " + err.Error()}
	}
	pe := &protocol.Error{Code: we.Code, Message: we.Message}
	if d := nilIfNull(we.Data); d != nil {
		pe.Data = json.RawMessage(bytes.Clone(d))
	}
	return pe
}

// decodeInto decodes JSON that parseMessage validated into v, as
// json.Unmarshal does; a *json.RawMessage gets the span itself.
func decodeInto(raw []byte, v any) error {
	if r, ok := v.(*json.RawMessage); ok {
		*r = append((*r)[:0], bytes.TrimSpace(raw)...)
		return nil
	}
	return parse(raw, v)
}

// pageNotification is the wire shape of a fetch/page notification, decoded
// in one pass (the page is most of the traffic).
type pageNotification struct {
	ID     json.RawMessage          `json:"id"`
	Method string                   `json:"method"`
	Params protocol.FetchPageParams `json:"params"`
	Result json.RawMessage          `json:"result"`
	Error  json.RawMessage          `json:"error"`
}

// fetchPagePrefix is how the daemon begins every fetch/page notification
// (daemon/bus); another spelling takes the general path.
var fetchPagePrefix = []byte(`{"jsonrpc":"2.0","method":"fetch/page",`)

// decodePageNotification decodes msg in one pass when it is a fetch/page
// notification as the daemon writes it. It reports false for any other
// message (or a malformed one: the general path then says why).
func decodePageNotification(msg []byte) (protocol.FetchPageParams, bool) {
	if !bytes.HasPrefix(msg, fetchPagePrefix) {
		return protocol.FetchPageParams{}, false
	}
	var n pageNotification
	if parse(msg, &n) != nil || n.Method != protocol.NotifyFetchPage || n.ID != nil || n.Result != nil || n.Error != nil {
		return protocol.FetchPageParams{}, false
	}
	return n.Params, true
}

// pageResponse is the wire shape of an answer whose result is a page.
type pageResponse struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Result protocol.Page   `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// decodePageResponse decodes a successful response with a page result in
// one pass; false for anything else. A null or absent result is the zero
// page, as the general path decodes it.
func decodePageResponse(msg []byte) (id uint64, page *protocol.Page, ok bool) {
	r := new(pageResponse)
	if parse(msg, r) != nil || r.Method != nil || nilIfNull(r.Error) != nil {
		return 0, nil, false
	}
	id, ok = parseID(r.ID)
	return id, &r.Result, ok
}
