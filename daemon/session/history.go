package session

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/protocol"
)

// How much history a session keeps; see the README's reliability section.
const (
	keepLogs  = 1000
	keepCalls = 500
)

// recordCall keeps one connector call in the session's history.
func (s *Session) recordCall(c *capture.Call, started time.Time, params json.RawMessage, result string, err error, before, after json.RawMessage) {
	call := protocol.Call{
		ID:            "c" + strconv.FormatUint(s.callSeq.Add(1), 10),
		Operation:     c.Operation,
		StartedAt:     started.UTC(),
		DurationMs:    float64(time.Since(started).Microseconds()) / 1000,
		Params:        params,
		Result:        result,
		StateBefore:   before,
		StateAfter:    after,
		HTTPExchanges: c.Exchanges(),
	}
	if err != nil {
		call.Error = s.rec.Redact(err.Error())
	}
	s.calls.Add(call)
}

// warn tells the session's subscribers about a problem of the connector
// that did not stop the call.
func (s *Session) warn(msg string, kv ...any) {
	fields := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		fields[fmt.Sprint(kv[i])] = kv[i+1]
	}
	p := protocol.LogParams{SessionID: s.id, Level: "warn", Message: s.rec.Redact(msg), Fields: fields, Time: time.Now().UTC()}
	s.logs.Add(p)
	s.notifier.Log(p)
}

// track runs one non-fetch connector call (transfers, payouts, install)
// with its exchanges attributed and the call kept in the history.
func track[T any](ctx context.Context, s *Session, op string, params any, fn func(ctx context.Context) (T, error), summary func(T) string) (T, error) {
	c := &capture.Call{Operation: op}
	started := time.Now()
	out, err := fn(capture.WithCall(ctx, c))
	p, _ := json.Marshal(params)
	res := ""
	if err == nil && summary != nil {
		res = summary(out)
	}
	s.recordCall(c, started, json.RawMessage(s.rec.Redact(string(p))), res, err, nil, nil)
	return out, err
}

// HTTPExchanges lists the session's recent exchanges (http/list).
func (s *Session) HTTPExchanges(p protocol.HTTPListParams) []protocol.HTTPExchangeParams {
	out := s.rec.List(p.Limit, p.Operation)
	if out == nil {
		out = []protocol.HTTPExchangeParams{}
	}
	return out
}

var levels = map[string]int{"debug": 0, "info": 1, "warn": 2, "error": 3}

// Logs lists the session's recent logs at or above a level (log/list).
func (s *Session) Logs(p protocol.LogListParams) ([]protocol.LogParams, error) {
	min := 0
	if p.Level != "" {
		l, ok := levels[strings.ToLower(p.Level)]
		if !ok {
			return nil, protocol.InvalidParams(protocol.FieldError{Field: "level", Message: "one of debug, info, warn, error"})
		}
		min = l
	}
	out := s.logs.Last(p.Limit, func(l *protocol.LogParams) bool { return levels[l.Level] >= min })
	if out == nil {
		out = []protocol.LogParams{}
	}
	return out, nil
}

// Calls lists the session's recent connector calls (calls/list).
func (s *Session) Calls(p protocol.CallsListParams) []protocol.Call {
	out := s.calls.Last(p.Limit, func(c *protocol.Call) bool { return p.Operation == "" || c.Operation == p.Operation })
	if out == nil {
		out = []protocol.Call{}
	}
	return out
}
