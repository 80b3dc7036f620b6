package session

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/daemon/capture"
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
	if err := s.checkState(p.State, p.FromPayload); err != nil {
		return protocol.Page{}, err
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
	page, err := s.fetchHeld(ctx, key, p.Resource, p.Name, p.FromPayload, p.PageSize, override, p.Reset, "", nil)
	if err != nil {
		return page, err
	}
	// The reply acknowledges the page: it is sent once the page's items
	// and state are durable, so a kill -9 right after it loses neither.
	if err := s.waitPending(context.WithoutCancel(ctx)); err != nil {
		return protocol.Page{}, err
	}
	return page, nil
}

// fetchHeld fetches one page of a key the caller holds busy. reset starts
// from null; override, when not nil, replaces the cached state for this
// call. task names the sync task in the notification.
func (s *Session) fetchHeld(ctx context.Context, key, resource, name string, fromPayload json.RawMessage,
	pageSize int, override json.RawMessage, reset bool, task string, ahead *driver.Prefetcher) (protocol.Page, error) {
	if pageSize <= 0 {
		pageSize = s.pageSize
	}
	// A commit that failed since the last page fails this call: the caller
	// learns that the disk is full before fetching on.
	if err := s.checkPending(); err != nil {
		return protocol.Page{}, err
	}
	s.mu.Lock()
	var state json.RawMessage
	pageNo := 1
	if e := s.states[key]; e != nil && !reset {
		state = e.state
		pageNo = e.pages + 1
	}
	s.mu.Unlock()
	if override != nil {
		state = compact(override)
	}
	if reset {
		state = nil
	}
	call := &capture.Call{Operation: "fetch/" + resource, Page: pageNo}
	started := time.Now()
	misses := s.missCount()
	res, err := driver.FetchAhead(capture.WithCall(ctx, call), s.drv, ahead, resource, connector.FetchRequest{
		State: state, FromPayload: compact(fromPayload), Name: name, PageSize: pageSize,
	})
	err = s.replayError(err, misses)
	s.recordFetch(call, resource, name, fromPayload, pageSize, reset, state, res, err)
	params, _ := json.Marshal(map[string]any{"key": key, "pageSize": pageSize, "reset": reset})
	if err != nil {
		s.recordCall(call, started, params, "", err, state, nil)
		s.noteNotImplemented(err)
		return protocol.Page{}, err
	}
	if err := s.applyCancels(ctx, &res); err != nil {
		s.recordCall(call, started, params, "", err, state, nil)
		return protocol.Page{}, err
	}
	s.scrubItems(&res, call.Operation)
	summary := fmt.Sprintf("%d items, hasMore %v", res.Count, res.HasMore)
	for _, w := range res.Warnings {
		summary += "; warning: " + w
		s.warn(w, "operation", call.Operation, "page", pageNo)
	}
	s.recordCall(call, started, params, summary, nil, state, res.NewState)
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
	rec := e.record(s.id, key)
	s.mu.Unlock()
	if err := s.commitPage(ctx, resource, res.Records, res.Delete, rec); err != nil {
		return protocol.Page{}, err
	}
	if err := s.holdWindow(context.WithoutCancel(ctx)); err != nil {
		return protocol.Page{}, err
	}
	page := protocol.Page{
		SessionID: s.id, Resource: resource, Key: key, Page: n,
		Items: res.Items, ItemCount: res.Count, NewState: res.NewState, HasMore: res.HasMore,
		Deleted: res.Delete, Cancelled: res.Cancel,
		DurationMs:    float64(res.Duration.Microseconds()) / 1000,
		HTTPExchanges: call.Exchanges(),
	}
	s.notifier.Page(&protocol.FetchPageParams{SessionID: s.id, Task: task, Page: page})
	return page, nil
}

// Hold implements engine.Pager: it marks the target's key busy.
func (s *Session) Hold(t engine.Target, op string) (func(), error) {
	if protocol.FetchCapability(t.Resource) == "" {
		return nil, badResource(t.Resource)
	}
	return s.acquire(Key(t.Resource, t.Name, t.FromPayload), op)
}

// NextPage implements engine.Pager for a key the caller holds.
func (s *Session) NextPage(ctx context.Context, t engine.Target, task string, ahead *driver.Prefetcher) (protocol.Page, error) {
	return s.fetchHeld(ctx, Key(t.Resource, t.Name, t.FromPayload), t.Resource, t.Name, t.FromPayload, t.PageSize, nil, false, task, ahead)
}

// Peek implements engine.Pager: one page from state, cached nowhere.
func (s *Session) Peek(ctx context.Context, t engine.Target, state json.RawMessage) (driver.Result, error) {
	size := t.PageSize
	if size <= 0 {
		size = s.pageSize
	}
	return driver.Fetch(ctx, s.drv, t.Resource, connector.FetchRequest{
		State: state, FromPayload: compact(t.FromPayload), Name: t.Name, PageSize: size,
	})
}

// KeyOf implements engine.Pager.
func (s *Session) KeyOf(t engine.Target) string { return Key(t.Resource, t.Name, t.FromPayload) }

// KnownParents implements engine.Pager with the items in the store.
func (s *Session) KnownParents(ctx context.Context, resource string) ([]json.RawMessage, error) {
	if err := s.waitPending(ctx); err != nil {
		return nil, err
	}
	var out []json.RawMessage
	err := s.store.Each(ctx, s.id, resource, func(_ string, data json.RawMessage) error {
		out = append(out, append(json.RawMessage(nil), data...))
		return nil
	})
	return out, storeError(err)
}

var _ engine.Pager = (*Session)(nil)

// FetchAll pages one resource to its end (see engine.PageAll). A child
// resource of the task tree named without fromPayload is paged once per
// parent item, the parents read from the beginning without touching their
// cached state.
// stop, when closed, ends the walk between pages (engine.Limits.Stop).
func (s *Session) FetchAll(ctx context.Context, p protocol.FetchAllParams, stop <-chan struct{}, onPage engine.PageFunc) (protocol.FetchAllResult, error) {
	if protocol.FetchCapability(p.Resource) == "" {
		return protocol.FetchAllResult{}, badResource(p.Resource)
	}
	if p.PageSize < 0 || p.MaxPages < 0 || p.MaxItems < 0 {
		return protocol.FetchAllResult{}, protocol.InvalidParams(protocol.FieldError{Field: "pageSize", Message: "pageSize, maxPages and maxItems must not be negative"})
	}
	gate, done, err := s.gate(p.StepOptions, stop)
	if err != nil {
		return protocol.FetchAllResult{}, err
	}
	defer done()
	lim := engine.Limits{MaxPages: p.MaxPages, MaxItems: p.MaxItems, Gate: gate, Stop: stop}
	target := engine.Target{Resource: p.Resource, Name: p.Name, FromPayload: p.FromPayload, PageSize: p.PageSize}
	if compact(p.FromPayload) == nil {
		tasks, err := s.Install(ctx)
		if err != nil {
			return protocol.FetchAllResult{}, err
		}
		if parent, ok := engine.ParentOf(tasks, p.Resource, p.Name); ok {
			return s.fetchAllChildren(ctx, parent, target, lim, onPage)
		}
	}
	return s.pageAll(ctx, target, "", lim, onPage)
}

// pageAll is engine.PageAll with the store's commits awaited at the end,
// so a walk answers only once its pages are on disk.
func (s *Session) pageAll(ctx context.Context, t engine.Target, task string, lim engine.Limits, onPage engine.PageFunc) (protocol.FetchAllResult, error) {
	res, err := engine.PageAll(ctx, s, t, task, lim, onPage, nil)
	if werr := s.waitPending(context.WithoutCancel(ctx)); err == nil {
		err = werr
	}
	return res, err
}

func (s *Session) fetchAllChildren(ctx context.Context, parent protocol.Task, target engine.Target, lim engine.Limits, onPage engine.PageFunc) (protocol.FetchAllResult, error) {
	start := time.Now()
	parents, err := engine.Parents(ctx, s, engine.Target{Resource: parent.Resource, Name: parent.Name, PageSize: target.PageSize}, 0)
	if err != nil {
		return protocol.FetchAllResult{}, err
	}
	var total protocol.FetchAllResult
	for _, item := range parents {
		t := target
		t.FromPayload = item
		l := lim
		if l.MaxPages > 0 {
			l.MaxPages -= total.Pages
		}
		if l.MaxItems > 0 {
			l.MaxItems -= total.Items
		}
		r, err := s.pageAll(ctx, t, "", l, onPage)
		total.Pages += r.Pages
		total.Items += r.Items
		total.HasMore = total.HasMore || r.HasMore
		if err != nil {
			total.DurationMs = float64(time.Since(start).Microseconds()) / 1000
			return total, err
		}
		if r.Stalled {
			total.Stalled = true
			total.Diagnostic = r.Diagnostic
			break
		}
		if r.LimitReached || (lim.MaxPages > 0 && total.Pages >= lim.MaxPages) || (lim.MaxItems > 0 && total.Items >= lim.MaxItems) {
			total.LimitReached = true
			break
		}
	}
	total.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	return total, nil
}

// Sync runs one production-like cycle over the connector's task tree.
// stop, when closed, ends the walk between pages (engine.Limits.Stop).
func (s *Session) Sync(ctx context.Context, p protocol.SyncRunParams, stop <-chan struct{}, onPage engine.PageFunc) (protocol.SyncRunResult, error) {
	if p.MaxPagesPerTask < 0 {
		return protocol.SyncRunResult{}, protocol.InvalidParams(protocol.FieldError{Field: "maxPagesPerTask", Message: "must not be negative"})
	}
	tasks, err := s.Install(ctx)
	if err != nil {
		return protocol.SyncRunResult{}, err
	}
	gate, done, err := s.gate(p.StepOptions, stop)
	if err != nil {
		return protocol.SyncRunResult{}, err
	}
	defer done()
	lim := engine.Limits{MaxPages: p.MaxPagesPerTask, Gate: gate, Stop: stop}
	boot, err := s.runBootstrap(ctx, engine.Limits{Gate: gate, Stop: stop}, onPage)
	res := protocol.SyncRunResult{}
	if err == nil {
		res, err = engine.Sync(ctx, s, tasks, 0, lim, onPage)
	}
	res.Tasks = append(boot, res.Tasks...)
	if werr := s.waitPending(context.WithoutCancel(ctx)); err == nil {
		err = werr
	}
	if res.Tasks == nil {
		res.Tasks = []protocol.TaskRun{}
	}
	return res, err
}
