package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/switchboardpay/switchboard/connector/driver"
	"sort"
	"time"

	"github.com/switchboardpay/switchboard/protocol"
)

// stateEntry is the cached pagination state of one key.
type stateEntry struct {
	resource    string
	name        string
	fromPayload json.RawMessage
	state       json.RawMessage
	hasMore     bool
	pages       int
	items       int
	updatedAt   time.Time
}

func (e *stateEntry) wire(key string) protocol.StateEntry {
	st := e.state
	if len(st) == 0 {
		st = json.RawMessage("null")
	}
	return protocol.StateEntry{
		Resource: e.resource, Key: key, Name: e.name, FromPayload: e.fromPayload,
		State: st, HasMore: e.hasMore, Pages: e.pages, Items: e.items, UpdatedAt: e.updatedAt,
	}
}

// Key names the state of one resource, task name and parent item. It reads
// "payments", "others#fx", "balances@acc_001": a parent with a string
// "reference" or "id" is named by it, any other by a short hash of its JSON.
func Key(resource, name string, fromPayload json.RawMessage) string {
	k := resource
	if name != "" {
		k += "#" + name
	}
	if p := compact(fromPayload); p != nil {
		var ref struct {
			Reference any `json:"reference"`
			ID        any `json:"id"`
		}
		_ = json.Unmarshal(p, &ref)
		if r, ok := ref.Reference.(string); ok && r != "" {
			return k + "@" + r
		}
		if r, ok := ref.ID.(string); ok && r != "" {
			return k + "@" + r
		}
		sum := sha256.Sum256(p)
		return k + "@" + hex.EncodeToString(sum[:6])
	}
	return k
}

// compact returns the compact form of a JSON value, nil for none or null.
func compact(v json.RawMessage) json.RawMessage { return driver.NormalizeState(v) }

// States returns every cached state, sorted by key.
func (s *Session) States() []protocol.StateEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]protocol.StateEntry, 0, len(s.states))
	for k, e := range s.states {
		out = append(out, e.wire(k))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// SetState replaces the cached state of one key; the next fetch/next
// continues from it.
func (s *Session) SetState(ctx context.Context, p protocol.StateSetParams) error {
	if protocol.FetchCapability(p.Resource) == "" {
		return badResource(p.Resource)
	}
	if err := s.checkState(p.State, p.FromPayload); err != nil {
		return err
	}
	key := Key(p.Resource, p.Name, p.FromPayload)
	s.mu.Lock()
	if op, busy := s.busy[key]; busy {
		s.mu.Unlock()
		return protocol.SessionBusy(s.id, op)
	}
	e := s.entryLocked(key, p.Resource, p.Name, p.FromPayload)
	e.state = compact(p.State)
	e.hasMore = true
	e.updatedAt = time.Now().UTC()
	rec := e.record(s.id, key)
	s.mu.Unlock()
	// The reply acknowledges the write: it waits for the commit, whatever
	// the request's cancellation.
	if err := s.store.PutState(context.WithoutCancel(ctx), rec); err != nil {
		s.storeFailed() // the state in memory is not the store's
		return storeError(err)
	}
	s.notifier.SessionChanged(s.Info(), protocol.SessionChangedState)
	return nil
}

// Reset forgets the cached state of one resource (every key of it), or of
// all resources when resource is "", and with purge their stored items.
func (s *Session) Reset(ctx context.Context, resource string, purge bool) error {
	if resource != "" && protocol.FetchCapability(resource) == "" {
		return badResource(resource)
	}
	s.mu.Lock()
	for k, e := range s.states {
		if resource == "" || e.resource == resource {
			if op, busy := s.busy[k]; busy {
				s.mu.Unlock()
				return protocol.SessionBusy(s.id, op)
			}
		}
	}
	for k, e := range s.states {
		if resource == "" || e.resource == resource {
			delete(s.states, k)
		}
	}
	s.mu.Unlock()
	// The states are gone from the cache already: the store follows,
	// whatever the request's cancellation.
	ctx = context.WithoutCancel(ctx)
	if err := s.waitPending(ctx); err != nil {
		return err
	}
	if err := s.store.DeleteStates(ctx, s.id, resource, purge); err != nil {
		s.storeFailed() // the states in memory are not the store's
		return storeError(err)
	}
	s.notifier.SessionChanged(s.Info(), protocol.SessionChangedReset)
	return nil
}

func (s *Session) entryLocked(key, resource, name string, fromPayload json.RawMessage) *stateEntry {
	e := s.states[key]
	if e == nil {
		e = &stateEntry{resource: resource, name: name, fromPayload: compact(fromPayload)}
		s.states[key] = e
	}
	return e
}

// acquire marks key busy with op, or returns CodeSessionBusy.
func (s *Session) acquire(key, op string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if holder, busy := s.busy[key]; busy {
		return nil, protocol.SessionBusy(s.id, holder)
	}
	s.busy[key] = op
	return func() {
		s.mu.Lock()
		delete(s.busy, key)
		s.mu.Unlock()
	}, nil
}

func badResource(r string) error {
	if r == "" {
		return protocol.InvalidParams(protocol.FieldError{Field: "resource", Message: "is required"})
	}
	return protocol.InvalidParams(protocol.FieldError{Field: "resource", Message: "unknown resource " + r + "; one of accounts, balances, externalAccounts, payments, others"})
}
