package dispatch

import (
	"encoding/json"

	"github.com/sourcegraph/jsonrpc2"
)

// redactError scrubs the secret config values of every open session out
// of an error's message and data, whatever produced it (a connector
// quoting the key back, a store error, a panic): the one point every
// error passes before it leaves, on any transport.
func (s *Server) redactError(e *jsonrpc2.Error) *jsonrpc2.Error {
	red := s.sessions.Redactor()
	if red.Empty() {
		return e
	}
	e.Message = red.String(e.Message)
	if e.Data != nil {
		if clean, fields := red.JSON(*e.Data); len(fields) > 0 {
			d := json.RawMessage(clean)
			e.Data = &d
		}
	}
	return e
}

// redactResult scrubs a result the same way: task errors of sync/run,
// findings of connector/check, anything a connector's answer carried. A
// request naming a session is scrubbed of that session's secrets (its
// results are about it alone), others of every session's. It returns res
// itself when there is nothing to scrub.
func (s *Server) redactResult(params *json.RawMessage, res any) any {
	var p struct {
		SessionID string `json:"sessionId"`
	}
	if params != nil {
		_ = json.Unmarshal(*params, &p)
	}
	red := s.sessions.RedactorFor(p.SessionID)
	if red.Empty() {
		return res
	}
	b, err := json.Marshal(res)
	if err != nil {
		return res // Reply reports the marshalling error
	}
	clean, _ := red.JSON(b)
	return json.RawMessage(clean)
}
