package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/protocol"
)

// record returns the store's view of the entry.
func (e *stateEntry) record(sessionID, key string) store.State {
	return store.State{
		SessionID: sessionID, Key: key, Resource: e.resource, Name: e.name, FromPayload: e.fromPayload,
		State: e.state, HasMore: e.hasMore, Pages: e.pages, Items: e.items, UpdatedAt: e.updatedAt,
	}
}

func toItems(recs []engine.Record) []store.Item {
	out := make([]store.Item, len(recs))
	for i, r := range recs {
		out[i] = store.Item{Ref: r.Ref, CreatedAt: r.CreatedAt, Status: r.Status, Type: r.Type, Asset: r.Asset, Accounts: r.Accounts, Data: r.JSON}
	}
	return out
}

// commitPage queues the page's items and state for the store; the outcome
// is collected by checkPending or waitPending.
func (s *Session) commitPage(ctx context.Context, resource string, recs []engine.Record, st store.State) error {
	if s.store == nil {
		return nil
	}
	done, err := s.store.CommitPage(context.WithoutCancel(ctx), resource, toItems(recs), st)
	if err != nil {
		return storeError(err)
	}
	s.pmu.Lock()
	s.pending = append(s.pending, done)
	s.pmu.Unlock()
	return nil
}

// checkPending collects the commits already done and returns the first
// error among them.
func (s *Session) checkPending() error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	var first error
	keep := s.pending[:0]
	for _, ch := range s.pending {
		select {
		case err := <-ch:
			if err != nil && first == nil {
				first = err
			}
		default:
			keep = append(keep, ch)
		}
	}
	s.pending = keep
	return storeError(first)
}

// waitPending waits for every queued commit of the session.
func (s *Session) waitPending(ctx context.Context) error {
	s.pmu.Lock()
	pending := s.pending
	s.pending = nil
	s.pmu.Unlock()
	if len(pending) > 0 {
		// The writer may be holding these pages back to commit them with
		// more; someone waits for them now.
		s.store.Kick()
	}
	var first error
	for _, ch := range pending {
		select {
		case err := <-ch:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return storeError(first)
}

// storeError makes a store failure a coded error that says what to do.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &protocol.Error{Code: protocol.CodeInternalError, Message: err.Error()}
}

// ListData lists stored items (data/list).
func (s *Session) ListData(ctx context.Context, p protocol.DataListParams) (protocol.DataListResult, error) {
	if protocol.FetchCapability(p.Resource) == "" {
		return protocol.DataListResult{}, badResource(p.Resource)
	}
	if p.Limit < 0 {
		return protocol.DataListResult{}, protocol.InvalidParams(protocol.FieldError{Field: "limit", Message: "must not be negative"})
	}
	if err := s.waitPending(ctx); err != nil {
		return protocol.DataListResult{}, err
	}
	q := store.Query{SessionID: s.id, Resource: p.Resource, Limit: p.Limit, Cursor: p.Cursor}
	if f := p.Filter; f != nil {
		q.Status, q.Type, q.Asset, q.Account, q.After, q.Before = f.Status, f.Type, f.Asset, f.Account, f.CreatedAfter, f.CreatedBefore
	}
	items, next, total, err := s.store.List(ctx, q)
	if errors.Is(err, store.ErrBadCursor) {
		return protocol.DataListResult{}, protocol.InvalidParams(protocol.FieldError{Field: "cursor", Message: "is not a cursor from data/list"})
	}
	if err != nil {
		return protocol.DataListResult{}, storeError(err)
	}
	return protocol.DataListResult{Items: items, NextCursor: next, Total: total}, nil
}

// Export streams the session's stored items to fn as export lines.
func (s *Session) Export(ctx context.Context, resource string, fn func(line []byte) error) (int, error) {
	if resource != "" && protocol.FetchCapability(resource) == "" {
		return 0, badResource(resource)
	}
	if err := s.waitPending(ctx); err != nil {
		return 0, err
	}
	n := 0
	err := s.store.Each(ctx, s.id, resource, func(res string, data json.RawMessage) error {
		line, err := json.Marshal(protocol.ExportLine{Resource: res, Item: data})
		if err != nil {
			return err
		}
		n++
		return fn(line)
	})
	return n, storeError(err)
}

// Import upserts export lines into the session's stored items. Each line
// is checked; the first bad one fails the import with its line number,
// before anything is written.
func (s *Session) Import(ctx context.Context, lines func(yield func(line []byte) error) error) (int, error) {
	byResource := map[string][]store.Item{}
	n := 0
	err := lines(func(line []byte) error {
		n++
		var l protocol.ExportLine
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		rec, err := engine.RecordOf(l.Resource, l.Item)
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		s.scrubRecord(&rec, protocol.MethodDataImport)
		byResource[l.Resource] = append(byResource[l.Resource], toItems([]engine.Record{rec})...)
		return nil
	})
	if err != nil {
		return 0, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: err.Error()})
	}
	total := 0
	for res, items := range byResource {
		if err := s.store.PutItems(ctx, s.id, res, items); err != nil {
			return total, storeError(err)
		}
		total += len(items)
	}
	return total, nil
}
