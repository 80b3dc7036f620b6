// Package engine walks a session's resources through the driver: pages
// in order with stall and limit checks (PageAll), steps (Stepper), and the
// stop of a connection's walks. One page or one call is the driver's
// (connector/driver).
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/protocol"
)

// Target is one state key to page: a resource, a task name and a parent.
type Target struct {
	Resource    string
	Name        string
	FromPayload json.RawMessage
	PageSize    int
}

// Pager is what the walks need of a session: hold a key, fetch the next
// page of a held key (caching its state and publishing it), and peek at
// pages without touching any cached state.
type Pager interface {
	Hold(t Target, op string) (release func(), err error)
	// NextPage fetches with ahead, the walk's page made ahead (nil for
	// none).
	NextPage(ctx context.Context, t Target, task string, ahead *driver.Prefetcher) (protocol.Page, error)
	Peek(ctx context.Context, t Target, state json.RawMessage) (driver.Result, error)
	// KeyOf names the state key of a target.
	KeyOf(t Target) string
	// KnownParents returns every item of resource fetched so far, in this
	// cycle or before.
	KnownParents(ctx context.Context, resource string) ([]json.RawMessage, error)
}

// Limits cap a walk of one key; zero means no cap.
type Limits struct {
	MaxPages int
	MaxItems int
	// Gate, when set, is asked before every page (step mode); the walk
	// then fetches no page ahead.
	Gate Gate
	// Stop, when closed (the daemon or the connection that asked shuts
	// down), ends the walk between two pages with ErrStopping.
	Stop <-chan struct{}
}

// maxEmptyPages is how many empty pages in a row with hasMore a connector
// may return before the walk calls it stalled: a few are legitimate
// (filtered pages), an endless run is a pagination bug.
const maxEmptyPages = 5

// PageFunc is told of every page a walk fetched, after it is cached.
type PageFunc func(task string, page *protocol.Page)

// PageAll pages one key until hasMore is false, a limit is reached, the
// connector stalls, or ctx is cancelled (then the error is ctx's, and the
// cached state is that of the last completed page). onItems, if set, gets
// every page's items.
func PageAll(ctx context.Context, p Pager, t Target, task string, lim Limits, onPage PageFunc, onItems func(items json.RawMessage) error) (protocol.FetchAllResult, error) {
	start := time.Now()
	var res protocol.FetchAllResult
	release, err := p.Hold(t, protocol.MethodFetchAll)
	if err != nil {
		return res, err
	}
	defer release()
	// Pages are fetched one ahead (see prefetch.go), except in a walk
	// with children: a parent's next page is fetched after its children
	// ran, as production does, not before.
	var pf *driver.Prefetcher
	if onItems == nil && lim.Gate == nil {
		pf = driver.NewPrefetcher()
		defer pf.Close()
	}
	seen := map[[32]byte]int{} // state hash -> page that returned it
	empty := 0
	var (
		last     *protocol.Page
		from     json.RawMessage // the state the next page starts from
		lastFrom json.RawMessage
	)
	if sr, ok := p.(StateReader); ok && lim.Gate != nil {
		from = sr.StateOf(t)
	}
	// gate asks the gate before the next page; a walk about to end
	// stalled asks it too, so that a breakpoint shows the stall first.
	gate := func() error {
		if lim.Gate == nil {
			return nil
		}
		return lim.Gate.BeforePage(ctx, PagePoint{Task: task, Resource: t.Resource, Key: p.KeyOf(t), Page: res.Pages + 1, From: from, Last: last, LastFrom: lastFrom})
	}
	for {
		if err := ctx.Err(); err != nil {
			res.DurationMs = ms(time.Since(start))
			return res, err
		}
		if res.Pages > 0 && lim.stopping() {
			res.DurationMs = ms(time.Since(start))
			return res, ErrStopping
		}
		if pf != nil {
			pf.SetAllow(!lim.stopping() && (lim.MaxPages <= 0 || res.Pages+1 < lim.MaxPages))
		}
		if err := gate(); err != nil {
			res.DurationMs = ms(time.Since(start))
			return res, err
		}
		page, err := p.NextPage(ctx, t, task, pf)
		if err != nil {
			res.DurationMs = ms(time.Since(start))
			return res, err
		}
		last, lastFrom, from = &page, from, page.NewState
		res.Pages++
		res.Items += page.ItemCount
		res.HasMore = page.HasMore
		if onPage != nil {
			onPage(task, &page)
		}
		if onItems != nil && page.ItemCount > 0 {
			if err := onItems(page.Items); err != nil {
				res.DurationMs = ms(time.Since(start))
				return res, err
			}
		}
		if !page.HasMore {
			break
		}
		h := sha256.Sum256(page.NewState)
		if prev, dup := seen[h]; dup {
			if err := gate(); err != nil {
				res.DurationMs = ms(time.Since(start))
				return res, err
			}
			res.Stalled = true
			res.Diagnostic = fmt.Sprintf("%s: page %d returned hasMore: true with state %s, the same state page %d returned: the connector is not advancing its state", page.Key, page.Page, clip(page.NewState), prev)
			break
		}
		seen[h] = page.Page
		if page.ItemCount == 0 {
			empty++
			if empty >= maxEmptyPages {
				if err := gate(); err != nil {
					res.DurationMs = ms(time.Since(start))
					return res, err
				}
				res.Stalled = true
				res.Diagnostic = fmt.Sprintf("%s: %d empty pages in a row with hasMore: true (last state %s): the connector never reaches the end", page.Key, empty, clip(page.NewState))
				break
			}
		} else {
			empty = 0
		}
		if (lim.MaxPages > 0 && res.Pages >= lim.MaxPages) || (lim.MaxItems > 0 && res.Items >= lim.MaxItems) {
			res.LimitReached = true
			break
		}
	}
	res.DurationMs = ms(time.Since(start))
	return res, nil
}

// ErrStopping ends a walk between two pages when the daemon, or the
// connection that asked for it, is shutting down: the page in flight is
// finished and stored, no new one is started.
var ErrStopping = &protocol.Error{Code: protocol.CodeServerCancelled, Message: "shutting down: stopped between pages; the pages fetched so far are stored and the state is after the last of them"}

// stopping reports whether the walk must stop between pages.
func (l Limits) stopping() bool {
	if l.Stop == nil {
		return false
	}
	select {
	case <-l.Stop:
		return true
	default:
		return false
	}
}

// Parents returns every item of resource from the beginning, without
// touching its cached state: the parents a child task runs for when the
// caller names none.
func Parents(ctx context.Context, p Pager, t Target, maxPages int) ([]json.RawMessage, error) {
	var out []json.RawMessage
	var state json.RawMessage
	for n := 0; maxPages <= 0 || n < maxPages; n++ {
		r, err := p.Peek(ctx, t, state)
		if err != nil {
			return nil, err
		}
		items, err := splitItems(r.Items)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if !r.HasMore || string(r.NewState) == string(state) {
			break
		}
		state = r.NewState
	}
	return out, nil
}

// ParentOf finds the task whose child is resource (with name), or false
// when resource is a root task or absent.
func ParentOf(tasks []protocol.Task, resource, name string) (protocol.Task, bool) {
	for _, t := range tasks {
		for _, c := range t.Next {
			if c.Resource == resource && c.Name == name {
				return t, true
			}
		}
		if p, ok := ParentOf(t.Next, resource, name); ok {
			return p, true
		}
	}
	return protocol.Task{}, false
}

// Sync runs one production-like cycle over the task tree: each task pages
// from its cached state to its end, and each child task runs once for every
// item its parent has fetched: first for the parents this cycle fetches, as
// their pages arrive, then for those fetched in earlier cycles, since (as in
// production) a child task, once created, runs every cycle. A failing task
// is reported in its TaskRun and the cycle goes on; only cancellation stops
// it.
//
// gate, when not nil, is asked before every page of every task (step
// mode); a walk it ends (step/abort, step timeout) ends the cycle.
func Sync(ctx context.Context, p Pager, tasks []protocol.Task, pageSize int, lim Limits, onPage PageFunc) (protocol.SyncRunResult, error) {
	start := time.Now()
	var res protocol.SyncRunResult
	var run func(t protocol.Task, parentPath string, from json.RawMessage) error
	run = func(t protocol.Task, parentPath string, from json.RawMessage) error {
		path := t.Resource
		if t.Name != "" {
			path += "#" + t.Name
		}
		if parentPath != "" {
			path = parentPath + "/" + path
		}
		idx := len(res.Tasks)
		res.Tasks = append(res.Tasks, protocol.TaskRun{Path: path, Resource: t.Resource, Name: t.Name, FromPayload: from})
		if t.Resource == protocol.TaskCreateWebhooks {
			return createWebhooks(ctx, p, from, &res.Tasks[idx])
		}
		ran := map[string]bool{} // child keys run this cycle
		runChildren := func(parent json.RawMessage) error {
			for _, child := range t.Next {
				key := p.KeyOf(Target{Resource: child.Resource, Name: child.Name, FromPayload: parent})
				if ran[key] {
					continue
				}
				ran[key] = true
				if err := run(child, path, parent); err != nil {
					return err
				}
			}
			return nil
		}
		var onItems func(json.RawMessage) error
		if len(t.Next) > 0 {
			onItems = func(items json.RawMessage) error {
				parents, err := splitItems(items)
				if err != nil {
					return err
				}
				for _, parent := range parents {
					if err := runChildren(parent); err != nil {
						return err
					}
				}
				return nil
			}
		}
		target := Target{Resource: t.Resource, Name: t.Name, FromPayload: from, PageSize: pageSize}
		r, err := PageAll(ctx, p, target, path, Limits{MaxPages: lim.MaxPages, Gate: lim.Gate, Stop: lim.Stop}, onPage, onItems)
		tr := &res.Tasks[idx]
		tr.Pages, tr.Items, tr.HasMore, tr.Stalled = r.Pages, r.Items, r.HasMore, r.Stalled
		if r.Stalled {
			tr.Error = r.Diagnostic
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, ErrStopping) || stepEnded(err) {
				tr.Error = errorText(err)
				return err
			}
			tr.Error = errorText(err)
		}
		if len(t.Next) > 0 && from == nil {
			known, err := p.KnownParents(ctx, t.Resource)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				res.Tasks[idx].Error = errorText(err)
				return nil
			}
			for _, parent := range known {
				if err := runChildren(parent); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, t := range tasks {
		if err := run(t, "", nil); err != nil {
			res.DurationMs = ms(time.Since(start))
			return res, err
		}
	}
	res.DurationMs = ms(time.Since(start))
	return res, nil
}

func errorText(err error) string {
	return strings.TrimSpace(err.Error())
}

// splitItems splits a JSON array of items into its elements.
func splitItems(items json.RawMessage) ([]json.RawMessage, error) {
	if len(items) == 0 {
		return nil, nil
	}
	var out []json.RawMessage
	if err := json.Unmarshal(items, &out); err != nil {
		return nil, fmt.Errorf("split items: %w", err)
	}
	return out, nil
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WebhookInstaller is a Pager that can run a CREATE_WEBHOOKS task.
type WebhookInstaller interface {
	// InstallWebhooks creates the connector's webhooks, with from as the
	// parent item (nil for a root task), and returns how many configs it
	// registered.
	InstallWebhooks(ctx context.Context, from json.RawMessage) (int, error)
}

// createWebhooks runs a CREATE_WEBHOOKS task: a failure is the task's
// error and the cycle goes on, as for a fetch task; only cancellation
// stops it.
func createWebhooks(ctx context.Context, p Pager, from json.RawMessage, tr *protocol.TaskRun) error {
	wi, ok := p.(WebhookInstaller)
	if !ok {
		tr.Error = "this session cannot create webhooks"
		return nil
	}
	n, err := wi.InstallWebhooks(ctx, from)
	tr.Items = n
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		tr.Error = errorText(err)
	}
	return nil
}
