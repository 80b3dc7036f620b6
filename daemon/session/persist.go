package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/switchboardpay/switchboard/connector/driver"

	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/internal/jsonenc"
	"github.com/switchboardpay/switchboard/protocol"
)

// record returns the store's view of the entry.
func (e *stateEntry) record(sessionID, key string) store.State {
	return store.State{
		SessionID: sessionID, Key: key, Resource: e.resource, Name: e.name, FromPayload: e.fromPayload,
		State: e.state, HasMore: e.hasMore, Pages: e.pages, Items: e.items, UpdatedAt: e.updatedAt,
	}
}

func toItems(recs []driver.Record) []store.Item {
	out := make([]store.Item, len(recs))
	for i, r := range recs {
		out[i] = store.Item{Ref: r.Ref, CreatedAt: r.CreatedAt, Status: r.Status, Type: r.Type, Asset: r.Asset, Accounts: r.Accounts, Data: r.JSON}
	}
	return out
}

// storeError makes a store failure a coded error that says what to do.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	var perr *protocol.Error
	switch {
	case errors.Is(err, context.Canceled), errors.As(err, &perr):
		return err
	case errors.Is(err, store.ErrFull):
		return protocol.StoreFull(err.Error())
	case errors.Is(err, store.ErrDamaged):
		return protocol.StoreDamaged(err.Error())
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
	// The pages queued before are listed; a failed one is the walk's
	// error (the store is full, say), not this read's.
	if err := s.waitPending(ctx); errors.Is(err, context.Canceled) {
		return protocol.DataListResult{}, err
	}
	q := store.Query{SessionID: s.id, Resource: p.Resource, Limit: p.Limit, Cursor: p.Cursor}
	if f := p.Filter; f != nil {
		q.Status, q.Type, q.Asset, q.Account, q.After, q.Before = f.Status, f.Type, f.Asset, f.Account, f.CreatedAfter, f.CreatedBefore
	}
	page, err := s.store.ListPage(ctx, q)
	if errors.Is(err, store.ErrBadCursor) {
		return protocol.DataListResult{}, protocol.InvalidParams(protocol.FieldError{Field: "cursor", Message: "is not a cursor from data/list"})
	}
	if err != nil {
		return protocol.DataListResult{}, storeError(err)
	}
	return protocol.DataListResult{Items: page.Items, NextCursor: page.Next, Total: page.Total, TotalAtLeast: page.TotalAtLeast}, nil
}

// Export streams the session's stored items to fn as export lines, each
// ending in a newline.
func (s *Session) Export(ctx context.Context, resource string, fn func(line []byte) error) (int, error) {
	if resource != "" && protocol.FetchCapability(resource) == "" {
		return 0, badResource(resource)
	}
	if err := s.waitPending(ctx); errors.Is(err, context.Canceled) {
		return 0, err
	}
	n := 0
	var line []byte
	err := s.store.Each(ctx, s.id, resource, func(res string, data json.RawMessage) error {
		// protocol.ExportLine, written by hand: json.Marshal validates and
		// compacts the item, which the store holds compact and valid,
		// and that was most of an export's time.
		line = append(line[:0], `{"resource":`...)
		line = jsonenc.AppendString(line, res)
		line = append(line, `,"item":`...)
		line = append(line, data...)
		line = append(line, '}', '\n')
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
		rec, err := driver.RecordOf(l.Resource, l.Item)
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		s.scrubRecord(&rec, protocol.MethodDataImport)
		byResource[l.Resource] = append(byResource[l.Resource], toItems([]driver.Record{rec})...)
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
