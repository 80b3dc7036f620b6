package drift

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/protocol"
)

// Diff runs the fetch calls of the cassette p.From again, each from its
// recorded state: once replayed from the cassette, once live (recorded
// into p.Save, or a temporary cassette) or from the newer cassette
// p.Against (its own calls). It compares the response bodies' schemas per
// endpoint and the items per reference, and calls emit with each drift
// as it is found.
func Diff(ctx context.Context, m *session.Manager, p protocol.RecordingDiffParams, emit func(protocol.Drift)) (protocol.RecordingDiffResult, error) {
	start := time.Now()
	res := protocol.RecordingDiffResult{From: p.From, Against: p.Against, Endpoints: []string{}, Schema: []protocol.Drift{}, Data: []protocol.Drift{}}
	if p.From == "" {
		return res, protocol.InvalidParams(protocol.FieldError{Field: "from", Message: "is required"})
	}
	if p.Against != "" && p.Save != "" {
		return res, protocol.InvalidParams(protocol.FieldError{Field: "save", Message: "saves a live run: it cannot go with against"})
	}
	for _, f := range []struct{ name, path string }{{"from", p.From}, {"against", p.Against}, {"save", p.Save}} {
		if f.path != "" {
			if err := cassette.CheckPath(f.path); err != nil {
				return res, protocol.InvalidParams(protocol.FieldError{Field: f.name, Message: err.Error()})
			}
		}
	}
	old, err := cassette.Load(p.From)
	if err != nil {
		return res, &protocol.Error{Code: protocol.CodeRecordingFailed, Message: err.Error()}
	}
	if len(old.FetchCalls()) == 0 {
		return res, protocol.InvalidParams(protocol.FieldError{Field: "from", Message: "the cassette holds no fetch call"})
	}
	oldItems, err := runCalls(ctx, m, protocol.SessionCreateParams{Replay: p.From}, old.FetchCalls())
	if err != nil {
		return res, err
	}
	var newTape *cassette.Tape
	var newItems []Item
	if p.Against != "" {
		newTape, err = cassette.Load(p.Against)
		if err != nil {
			return res, &protocol.Error{Code: protocol.CodeRecordingFailed, Message: err.Error()}
		}
		if newItems, err = runCalls(ctx, m, protocol.SessionCreateParams{Replay: p.Against, Config: p.Config}, newTape.FetchCalls()); err != nil {
			return res, err
		}
	} else {
		save := p.Save
		if save == "" {
			dir, err := os.MkdirTemp("", "switchboard-diff-")
			if err != nil {
				return res, err
			}
			defer os.RemoveAll(dir)
			save = filepath.Join(dir, "live.yaml")
		} else {
			res.Saved = save
		}
		config := p.Config
		if len(config) == 0 {
			config = old.Session.Config
		}
		live := protocol.SessionCreateParams{Provider: old.Session.Provider, Config: config, PageSize: old.Session.PageSize, Record: save}
		if newItems, err = runCalls(ctx, m, live, old.FetchCalls()); err != nil {
			return res, err
		}
		if newTape, err = cassette.Load(save); err != nil {
			return res, &protocol.Error{Code: protocol.CodeRecordingFailed, Message: err.Error()}
		}
	}
	res.Calls = len(old.FetchCalls())

	oldSchemas, newSchemas := schemas(old), schemas(newTape)
	for _, ep := range sortedKeys(oldSchemas) {
		ns, ok := newSchemas[ep]
		if !ok {
			continue // not asked again: nothing to compare
		}
		res.Endpoints = append(res.Endpoints, ep)
		for _, d := range CompareSchemas(ep, oldSchemas[ep], ns) {
			res.Schema = append(res.Schema, d)
			emit(d)
		}
	}
	data, total := CompareItems(oldItems, newItems)
	for _, d := range data {
		emit(d)
	}
	res.Data = append(res.Data, data...)
	if total > len(data) {
		res.DataTruncated = total - len(data)
	}
	res.Drifted = len(res.Schema) > 0 || total > 0
	res.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// runCalls opens a session with create, makes each call from its recorded
// state and returns the items, then closes the session (which saves its
// recording).
func runCalls(ctx context.Context, m *session.Manager, create protocol.SessionCreateParams, calls []cassette.Call) ([]Item, error) {
	s, err := m.Create(ctx, create)
	if err != nil {
		return nil, err
	}
	var items []Item
	var ferr error
	for _, c := range calls {
		if c.Error != "" {
			continue
		}
		state := c.StateBefore
		if len(state) == 0 {
			state = json.RawMessage("null")
		}
		r, err := s.Peek(ctx, engine.Target{Resource: c.Resource, Name: c.Name, FromPayload: c.FromPayload, PageSize: c.PageSize}, state)
		if err != nil {
			ferr = err
			break
		}
		for _, rec := range r.Records {
			items = append(items, Item{Resource: c.Resource, Reference: rec.Ref, JSON: rec.JSON})
		}
	}
	if err := m.Close(s.ID()); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil {
		return nil, ferr
	}
	return items, nil
}

// schemas infers one schema per endpoint from the successful JSON
// responses of a tape.
func schemas(t *cassette.Tape) map[string]Schema {
	out := map[string]Schema{}
	for _, i := range t.HTTP {
		if i.Response.Code < 200 || i.Response.Code > 299 || i.Response.Body == "" {
			continue
		}
		ep := Endpoint(i.Request.Method, i.Request.URL)
		s := out[ep]
		if s == nil {
			s = Schema{}
			out[ep] = s
		}
		s.Add([]byte(i.Response.Body))
	}
	return out
}
