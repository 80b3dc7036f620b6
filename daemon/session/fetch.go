package session

import (
	"context"
	"encoding/json"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/protocol"
)

// FetchNext fetches the next page of one key: from the cached state, or
// from p.State, or from the beginning with p.Reset. The new state is cached
// and the page published before it is returned.
func (s *Session) FetchNext(ctx context.Context, p protocol.FetchNextParams) (protocol.Page, error) {
	if protocol.FetchCapability(p.Resource) == "" {
		return protocol.Page{}, badResource(p.Resource)
	}
	if p.PageSize < 0 {
		return protocol.Page{}, protocol.InvalidParams(protocol.FieldError{Field: "pageSize", Message: "must not be negative"})
	}
	key := Key(p.Resource, p.Name, p.FromPayload)
	release, err := s.acquire(key, protocol.MethodFetchNext)
	if err != nil {
		return protocol.Page{}, err
	}
	defer release()
	var override json.RawMessage
	if p.State != nil {
		override = p.State
	}
	return s.fetchHeld(ctx, key, p.Resource, p.Name, p.FromPayload, p.PageSize, override, p.Reset, "")
}

// fetchHeld fetches one page of a key the caller holds busy. reset starts
// from null; override, when not nil, replaces the cached state for this
// call. task names the sync task in the notification.
func (s *Session) fetchHeld(ctx context.Context, key, resource, name string, fromPayload json.RawMessage,
	pageSize int, override json.RawMessage, reset bool, task string) (protocol.Page, error) {
	if pageSize <= 0 {
		pageSize = s.pageSize
	}
	s.mu.Lock()
	var state json.RawMessage
	if e := s.states[key]; e != nil && !reset {
		state = e.state
	}
	s.mu.Unlock()
	if override != nil {
		state = compact(override)
	}
	if reset {
		state = nil
	}
	res, err := engine.Fetch(ctx, s.provider, s.conn, resource, connector.FetchRequest{
		State: state, FromPayload: compact(fromPayload), Name: name, PageSize: pageSize,
	})
	if err != nil {
		return protocol.Page{}, err
	}
	s.mu.Lock()
	e := s.entryLocked(key, resource, name, fromPayload)
	if reset {
		e.pages, e.items = 0, 0
	}
	e.pages++
	e.items += res.Count
	e.state = compact(res.NewState)
	e.hasMore = res.HasMore
	e.updatedAt = time.Now().UTC()
	n := e.pages
	s.mu.Unlock()
	page := protocol.Page{
		SessionID: s.id, Resource: resource, Key: key, Page: n,
		Items: res.Items, ItemCount: res.Count, NewState: res.NewState, HasMore: res.HasMore,
		DurationMs: float64(res.Duration.Microseconds()) / 1000,
	}
	s.notifier.Page(&protocol.FetchPageParams{SessionID: s.id, Task: task, Page: page})
	return page, nil
}
