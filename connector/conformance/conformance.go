// Package conformance checks a connector's pagination: it runs each fetch
// resource to its end with several page sizes, resumes from intermediate
// states, runs again from the final state, and reports every broken
// property as a Finding that reads as a minimal reproduction.
//
// It calls the connector directly (no daemon, no JSON-RPC), converting items
// to their wire form the way the daemon does, so that the daemon's
// connector/check, the switchboard check command and the connectortest kit
// share one check.
//
// Per resource (and per parent item, for a child resource such as the
// balances of an account) it checks:
//
//   - same-references: every page size returns the same set of references;
//   - no-duplicates: no reference twice within one run;
//   - page-size: no page holds more than the page size asked for;
//   - termination: a run ends within MaxPages without repeating a state;
//   - resume: resuming from an intermediate state returns what the first run
//     returned after it (sampled: at most ResumeSamples states per size);
//   - rerun: a second run from the final state returns nothing already seen;
//     an item seen again with other content is "updated", a warning.
//
// References are Account.Reference, Payment.Reference, Balance
// AccountReference+"/"+Asset and Other.ID.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/protocol"
)

// Check names, as in Finding.Check.
const (
	CheckSameReferences = protocol.CheckSameReferences
	CheckNoDuplicates   = protocol.CheckNoDuplicates
	CheckPageSize       = protocol.CheckPageSize
	CheckTermination    = protocol.CheckTermination
	CheckResume         = protocol.CheckResume
	CheckRerun          = protocol.CheckRerun
	CheckFetch          = protocol.CheckFetch
	CheckNotImplemented = protocol.CheckNotImplemented
)

// Run kinds, as in PageEvent.Kind.
const (
	KindFirst   = "first"   // a run from the beginning
	KindResume  = "resume"  // a run from an intermediate state of a first run
	KindRerun   = "rerun"   // a run from the final state of a first run
	KindParents = "parents" // the parent resource, read for a child resource
)

// Defaults of Options.
const (
	DefaultMaxPages      = 1000
	DefaultMaxParents    = 3
	DefaultResumeSamples = 4
	DefaultPageSize      = 100
)

// Options tune a check. The zero value checks every fetch resource with the
// default page sizes.
type Options struct {
	// Provider names the connector in error messages.
	Provider string
	// Logger gets the connector's contained panics (nil: slog.Default()).
	Logger *slog.Logger
	// CallTimeout bounds each connector call (0: none).
	CallTimeout time.Duration
	// Resources to check ("payments", "balances", or "others#name" for one
	// named task). Default: every fetch capability the connector supports.
	Resources []string
	// PageSizes to run with. Default: 1, 2, 3, 7 and DefaultPageSize.
	PageSizes []int
	// DefaultPageSize is the provider's default page size (default 100).
	DefaultPageSize int
	// MaxPages bounds every run (default 1000): a run still going after it
	// fails the termination check.
	MaxPages int
	// MaxParents bounds the parents a child resource is checked for
	// (default 3). The parents are found through the Installer's task tree.
	MaxParents int
	// FromPayloads gives the parent items of a child resource explicitly,
	// by resource, as wire JSON; it replaces the task tree's parents.
	FromPayloads map[string][]json.RawMessage
	// ResumeSamples is how many intermediate states per page size are
	// resumed from (default 4; negative: none).
	ResumeSamples int
	// Snapshots are resources fetched whole on every call, whose rerun
	// check is skipped. Default: balances. Set to an empty non-nil slice to
	// check every resource.
	Snapshots []string
	// OnPage, if set, is told of every page fetched.
	OnPage func(PageEvent)
}

// PageEvent describes one page fetched by the check.
type PageEvent struct {
	Resource string
	Parent   string
	PageSize int
	// Run numbers the runs of one resource from 1.
	Run       int
	Kind      string
	Page      int
	ItemCount int
	// State is the state the page returned; HasMore its hasMore.
	State   json.RawMessage
	HasMore bool
}

// Report is the outcome of a check.
type Report struct {
	Resources []ResourceReport
	Passed    bool
	Duration  time.Duration
}

// Findings returns the findings of every resource.
func (r Report) Findings() []Finding {
	var out []Finding
	for _, rr := range r.Resources {
		out = append(out, rr.Findings...)
	}
	return out
}

// ResourceReport is the outcome of one resource.
type ResourceReport struct {
	// Resource is the resource, with "#name" for a named task.
	Resource  string
	PageSizes []int
	// Parents are the references of the parent items a child resource was
	// checked for.
	Parents []string
	Runs    int
	Pages   int
	// Items is the number of distinct references seen.
	Items    int
	Passed   bool
	Findings []Finding
}

// Finding is one failed check, phrased as a minimal reproduction.
type Finding struct {
	Resource string
	Check    string
	PageSize int
	// Parent is the parent item's reference, for a child resource.
	Parent string
	// State is the state to fetch from to see the problem (null: the
	// beginning).
	State      json.RawMessage
	References []string
	Message    string
	// Warning marks a finding that does not fail the check.
	Warning bool
}

func (f Finding) String() string {
	s := f.Resource
	if f.Parent != "" {
		s += " of " + f.Parent
	}
	kind := "FAIL"
	if f.Warning {
		kind = "WARN"
	}
	return fmt.Sprintf("%s %s [%s]: %s", kind, s, f.Check, f.Message)
}

// String renders the report as text: one line per resource, then its
// findings.
func (r Report) String() string {
	var b strings.Builder
	for _, rr := range r.Resources {
		verdict := "PASS"
		if !rr.Passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s: %d items, page sizes %v, %d runs, %d pages", verdict, rr.Resource, rr.Items, rr.PageSizes, rr.Runs, rr.Pages)
		if len(rr.Parents) > 0 {
			fmt.Fprintf(&b, ", parents %v", rr.Parents)
		}
		b.WriteByte('\n')
		for _, f := range rr.Findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}

// ErrUnsupported is returned (wrapped) for a resource the connector cannot
// fetch.
var ErrUnsupported = errors.New("resource not supported")

// Check runs the conformance check of c. Connector errors are findings; the
// error is for bad options, an unsupported resource, or ctx ending.
func Check(ctx context.Context, c connector.Connector, opts Options) (Report, error) {
	start := time.Now()
	o := opts.withDefaults()
	k := &checker{c: driver.Open(c, driver.Opts{Provider: o.Provider, Logger: o.Logger, Timeout: o.CallTimeout}), o: o}
	tasks, err := k.tasks(ctx)
	if err != nil {
		return Report{}, err
	}
	targets, err := k.resolve(tasks)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Passed: true}
	for _, t := range targets {
		rr, err := k.checkResource(ctx, t)
		if err != nil {
			return Report{}, err
		}
		rep.Resources = append(rep.Resources, rr)
		rep.Passed = rep.Passed && rr.Passed
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

func (o Options) withDefaults() Options {
	if o.Provider == "" {
		o.Provider = "connector"
	}
	if o.DefaultPageSize <= 0 {
		o.DefaultPageSize = DefaultPageSize
	}
	if len(o.PageSizes) == 0 {
		o.PageSizes = []int{1, 2, 3, 7}
		if !slices.Contains(o.PageSizes, o.DefaultPageSize) {
			o.PageSizes = append(o.PageSizes, o.DefaultPageSize)
		}
	} else {
		o.PageSizes = slices.Clone(o.PageSizes)
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxParents <= 0 {
		o.MaxParents = DefaultMaxParents
	}
	if o.ResumeSamples == 0 {
		o.ResumeSamples = DefaultResumeSamples
	}
	if o.Snapshots == nil {
		o.Snapshots = []string{protocol.ResourceBalances}
	}
	return o
}

type checker struct {
	c *driver.Conn
	o Options
}

// tasks returns the connector's task tree, or nil without one.
func (k *checker) tasks(ctx context.Context) ([]connector.Task, error) {
	if k.c.Installer == nil {
		return nil, nil
	}
	tasks, err := driver.Call(ctx, k.c.Opts, "install", k.c.Installer.Install)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// Without a tree every resource is checked as a root.
		return nil, nil
	}
	return tasks, nil
}

// target is one resource to check: a task of the tree (with its path of
// ancestors) or a root resource.
type target struct {
	label    string
	resource string
	name     string
	parents  []connector.Task // ancestors, root first
}

// resolve picks the targets of the requested resources.
func (k *checker) resolve(tasks []connector.Task) ([]target, error) {
	var all []target
	var walk func(ts []connector.Task, anc []connector.Task)
	walk = func(ts []connector.Task, anc []connector.Task) {
		for _, t := range ts {
			label := t.Resource
			if t.Name != "" {
				label += "#" + t.Name
			}
			tg := target{label: label, resource: t.Resource, name: t.Name, parents: slices.Clone(anc)}
			// A task nearer the root (a root task) wins over the same
			// resource deeper in the tree.
			if i := slices.IndexFunc(all, func(x target) bool { return x.label == label }); i < 0 {
				all = append(all, tg)
			} else if len(all[i].parents) > len(anc) {
				all[i] = tg
			}
			walk(t.Next, append(slices.Clone(anc), t))
		}
	}
	walk(tasks, nil)
	// Supported resources missing from the tree are checked as roots.
	for _, r := range protocol.Resources {
		if !k.c.Has(protocol.FetchCapability(r)) {
			continue
		}
		if !slices.ContainsFunc(all, func(x target) bool { return x.resource == r }) {
			all = append(all, target{label: r, resource: r})
		}
	}
	// Resources in sync order.
	sort.SliceStable(all, func(i, j int) bool {
		return slices.Index(protocol.Resources, all[i].resource) < slices.Index(protocol.Resources, all[j].resource)
	})
	var supported []target
	for _, t := range all {
		if k.c.Has(protocol.FetchCapability(t.resource)) {
			supported = append(supported, t)
		}
	}
	if len(k.o.Resources) == 0 {
		return supported, nil
	}
	var out []target
	for _, want := range k.o.Resources {
		if protocol.FetchCapability(strings.SplitN(want, "#", 2)[0]) == "" {
			return nil, fmt.Errorf("conformance: unknown resource %q: want one of %s", want, strings.Join(protocol.Resources, ", "))
		}
		found := false
		for _, t := range supported {
			if t.label == want || (t.resource == want && !strings.Contains(want, "#")) {
				out = append(out, t)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("conformance: %s: %w by %s", want, ErrUnsupported, k.o.Provider)
		}
	}
	return out, nil
}

// parent is one parent item of a child resource.
type parent struct {
	ref     string
	payload json.RawMessage
}

// parentsOf returns up to MaxParents parents of t: explicit ones, or the
// first items of its parent task (itself run for its own first parent).
func (k *checker) parentsOf(ctx context.Context, t target, rr *ResourceReport, run *int) ([]parent, []Finding, error) {
	if ps, ok := k.o.FromPayloads[t.resource]; ok {
		var out []parent
		for _, p := range ps {
			out = append(out, parent{ref: payloadRef(p), payload: p})
		}
		return out, nil, nil
	}
	if len(t.parents) == 0 {
		return []parent{{}}, nil, nil
	}
	// Walk down the ancestors, each time for the first parent found.
	var from parent
	var items []parent
	for depth, anc := range t.parents {
		r, err := k.run(ctx, t.label, from.ref, anc.Resource, anc.Name, from.payload, k.o.DefaultPageSize, nil, KindParents, run)
		rr.Runs++
		rr.Pages += len(r.pages)
		if err != nil {
			return nil, nil, err
		}
		if r.err != nil {
			return nil, []Finding{{Resource: t.label, Check: CheckFetch, PageSize: k.o.DefaultPageSize, Parent: from.ref, State: r.errState,
				Message: fmt.Sprintf("reading the parents (%s) failed: fetching from state %s: %v", anc.Resource, clipState(r.errState), r.err)}}, nil
		}
		items = items[:0]
		for _, p := range r.pages {
			for _, it := range p.items {
				items = append(items, parent{ref: it.ref, payload: json.RawMessage(it.content)})
			}
		}
		if len(items) == 0 {
			return nil, nil, nil
		}
		if depth < len(t.parents)-1 {
			from = items[0]
		}
	}
	if len(items) > k.o.MaxParents {
		items = items[:k.o.MaxParents]
	}
	return items, nil, nil
}

func payloadRef(p json.RawMessage) string {
	var v struct {
		Reference string `json:"reference"`
		ID        string `json:"id"`
	}
	if json.Unmarshal(p, &v) == nil {
		if v.Reference != "" {
			return v.Reference
		}
		if v.ID != "" {
			return v.ID
		}
	}
	return clipState(p)
}

// checkResource checks one target for each of its parents.
func (k *checker) checkResource(ctx context.Context, t target) (ResourceReport, error) {
	rr := ResourceReport{Resource: t.label, PageSizes: k.o.PageSizes}
	run := 0
	parents, fs, err := k.parentsOf(ctx, t, &rr, &run)
	if err != nil {
		return rr, err
	}
	rr.Findings = append(rr.Findings, fs...)
	refs := map[string]bool{}
	for _, p := range parents {
		if p.ref != "" {
			rr.Parents = append(rr.Parents, p.ref)
		}
		fs, err := k.checkTarget(ctx, t, p, &rr, &run, refs)
		if err != nil {
			return rr, err
		}
		rr.Findings = append(rr.Findings, fs...)
	}
	rr.Items = len(refs)
	rr.Passed = !slices.ContainsFunc(rr.Findings, func(f Finding) bool { return !f.Warning })
	if rr.Findings == nil {
		rr.Findings = []Finding{}
	}
	return rr, nil
}

// item is one fetched item: its reference and its wire JSON.
type item struct {
	ref       string
	content   string
	createdAt time.Time
}

// pageRec is one fetched page.
type pageRec struct {
	in      json.RawMessage // the state it was fetched from (nil: start)
	items   []item
	out     json.RawMessage // the state it returned (nil for null)
	hasMore bool
}

// runRec is one run: its pages and how it ended.
type runRec struct {
	pages    []pageRec
	err      error           // a fetch failed
	errState json.RawMessage // the state of the failed fetch
	stallAt  int             // >0: page whose state repeated that of page stallPrev (0: the start)
	stallOf  int
	limited  bool // MaxPages reached with hasMore
}

func (r *runRec) ended() bool { return r.err == nil && r.stallAt == 0 && !r.limited }

func (r *runRec) final() json.RawMessage {
	if len(r.pages) == 0 {
		return nil
	}
	return r.pages[len(r.pages)-1].out
}

// refs returns the references of pages[from:], in order.
func (r *runRec) refs(from int) []string {
	var out []string
	for _, p := range r.pages[from:] {
		for _, it := range p.items {
			out = append(out, it.ref)
		}
	}
	return out
}

// run pages one key from state to its end, MaxPages or a repeated state.
// The error is ctx's; a connector's error is in the runRec.
func (k *checker) run(ctx context.Context, label, parentRef, resource, name string, from json.RawMessage, size int, state json.RawMessage, kind string, run *int) (runRec, error) {
	*run++
	n := *run
	var r runRec
	seen := map[string]int{stateKey(state): 0}
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		if page > k.o.MaxPages {
			r.limited = true
			return r, nil
		}
		res, err := driver.Fetch(ctx, k.c, resource, connector.FetchRequest{State: state, FromPayload: from, Name: name, PageSize: size})
		if err != nil {
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			r.err, r.errState = err, state
			return r, nil
		}
		p := pageRec{in: state, out: normState(res.NewState), hasMore: res.HasMore}
		p.items = make([]item, len(res.Records))
		for i, rec := range res.Records {
			p.items[i] = item{ref: rec.Ref, content: string(rec.JSON), createdAt: rec.CreatedAt}
		}
		r.pages = append(r.pages, p)
		if k.o.OnPage != nil {
			k.o.OnPage(PageEvent{Resource: label, Parent: parentRef, PageSize: size, Run: n, Kind: kind, Page: page,
				ItemCount: len(p.items), State: res.NewState, HasMore: res.HasMore})
		}
		if !res.HasMore {
			return r, nil
		}
		key := stateKey(p.out)
		if prev, dup := seen[key]; dup {
			r.stallAt, r.stallOf = page, prev
			return r, nil
		}
		seen[key] = page
		state = p.out
	}
}

// normState maps a null or empty state to nil and compacts the others.
func normState(s json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(s)
	if len(t) == 0 || string(t) == "null" {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, t) != nil {
		return append(json.RawMessage(nil), t...)
	}
	return b.Bytes()
}

func stateKey(s json.RawMessage) string {
	if n := normState(s); n != nil {
		return string(n)
	}
	return "null"
}

// wireState is a state for a Finding: JSON null for the beginning.
func wireState(s json.RawMessage) json.RawMessage {
	if n := normState(s); n != nil {
		return n
	}
	return json.RawMessage("null")
}

// checkTarget runs every check of one key (a resource, for one parent).
func (k *checker) checkTarget(ctx context.Context, t target, p parent, rr *ResourceReport, run *int, allRefs map[string]bool) ([]Finding, error) {
	var out []Finding
	add := func(f Finding) {
		f.Resource, f.Parent = t.label, p.ref
		f.State = wireState(f.State)
		if f.References == nil {
			f.References = []string{}
		}
		out = append(out, f)
	}
	fetch := func(size int, state json.RawMessage, kind string) (runRec, error) {
		r, err := k.run(ctx, t.label, p.ref, t.resource, t.name, p.payload, size, state, kind, run)
		rr.Runs++
		rr.Pages += len(r.pages)
		return r, err
	}
	firsts := make([]runRec, len(k.o.PageSizes))
	for i, size := range k.o.PageSizes {
		r, err := fetch(size, nil, KindFirst)
		if err != nil {
			return out, err
		}
		if c, ok := driver.IsNotImplemented(r.err); ok {
			// A Formance stub: the capability is absent, not broken.
			add(Finding{Check: CheckNotImplemented, PageSize: size, Warning: true,
				Message: fmt.Sprintf("%s answered \"not implemented\" (connector.ErrNotImplemented): it is reported as absent, and not checked", c)})
			return out, nil
		}
		firsts[i] = r
		for _, ref := range r.refs(0) {
			allRefs[ref] = true
		}
		if !k.ended(size, &r, "", add) {
			continue
		}
		k.checkPages(size, &r, add)
		k.checkDuplicates(size, &r, add)
		if i == 0 {
			k.checkAssets(size, &r, add)
		}
		if err := k.checkResume(ctx, size, &r, fetch, add); err != nil {
			return out, err
		}
		if !slices.Contains(k.o.Snapshots, t.resource) {
			if err := k.checkRerun(size, &r, fetch, add); err != nil {
				return out, err
			}
		}
	}
	k.checkSameRefs(firsts, add)
	return out, nil
}

// ended reports whether r ended normally, adding a finding when not. what
// qualifies the run in messages ("" for a first run).
func (k *checker) ended(size int, r *runRec, what string, add func(Finding)) bool {
	pre := fmt.Sprintf("page size %d: ", size)
	if what != "" {
		pre += what + ": "
	}
	switch {
	case r.err != nil:
		add(Finding{Check: CheckFetch, PageSize: size, State: r.errState,
			Message: fmt.Sprintf("%sfetching from state %s failed after %d pages: %v", pre, clipState(r.errState), len(r.pages), r.err)})
	case r.stallAt > 0:
		last := r.pages[len(r.pages)-1]
		prev := "the state it was given"
		if r.stallOf > 0 {
			prev = fmt.Sprintf("the state page %d returned", r.stallOf)
		}
		add(Finding{Check: CheckTermination, PageSize: size, State: last.in, References: clipList(refsOf(last.items), 20),
			Message: fmt.Sprintf("%spage %d, fetched from state %s, returned %d items %s with hasMore: true and state %s, %s: the state does not advance and the run never ends",
				pre, r.stallAt, clipState(last.in), len(last.items), fmtRefs(refsOf(last.items)), clipState(last.out), prev)})
	case r.limited:
		last := r.pages[len(r.pages)-1]
		add(Finding{Check: CheckTermination, PageSize: size, State: last.out,
			Message: fmt.Sprintf("%sstill hasMore: true after %d pages (%d items), last state %s: the run does not end within MaxPages (raise it if the resource is that big)",
				pre, len(r.pages), len(r.refs(0)), clipState(last.out))})
	default:
		return true
	}
	return false
}

func refsOf(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ref
	}
	return out
}

// checkPages: no page holds more than size items.
func (k *checker) checkPages(size int, r *runRec, add func(Finding)) {
	bad := 0
	first := -1
	for i, p := range r.pages {
		if len(p.items) > size {
			bad++
			if first < 0 {
				first = i
			}
		}
	}
	if bad == 0 {
		return
	}
	p := r.pages[first]
	msg := fmt.Sprintf("page size %d: page %d, fetched from state %s, returned %d items %s", size, first+1, clipState(p.in), len(p.items), fmtRefs(refsOf(p.items)))
	if bad > 1 {
		msg += fmt.Sprintf("; %d of %d pages hold more than %d items", bad, len(r.pages), size)
	}
	add(Finding{Check: CheckPageSize, PageSize: size, State: p.in, References: clipList(refsOf(p.items), 20), Message: msg})
}

// checkDuplicates: no reference twice within the run.
func (k *checker) checkDuplicates(size int, r *runRec, add func(Finding)) {
	seen := map[string]int{}
	var dups []string
	firstDup, firstPage, firstPrev := "", 0, 0
	for i, p := range r.pages {
		for _, it := range p.items {
			if prev, ok := seen[it.ref]; ok {
				if firstDup == "" {
					firstDup, firstPage, firstPrev = it.ref, i, prev
				}
				dups = append(dups, it.ref)
				continue
			}
			seen[it.ref] = i
		}
	}
	if len(dups) == 0 {
		return
	}
	p := r.pages[firstPage]
	where := fmt.Sprintf("page %d", firstPrev+1)
	if firstPrev == firstPage {
		where = "the same page"
	}
	msg := fmt.Sprintf("page size %d: fetching from state %s (page %d) returned %s, already returned by %s; %d references returned more than once in the run: %s",
		size, clipState(p.in), firstPage+1, firstDup, where, len(dups), fmtRefs(dups))
	add(Finding{Check: CheckNoDuplicates, PageSize: size, State: p.in, References: clipList(dups, 20), Message: msg})
}

// samples picks at most n of the indexes 0..count-1, spread evenly.
func samples(count, n int) []int {
	if n <= 0 || count <= 0 {
		return nil
	}
	if count <= n {
		out := make([]int, count)
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	for j := 0; j < n; j++ {
		i := j * (count - 1) / (n - 1)
		if n == 1 {
			i = 0
		}
		if len(out) == 0 || out[len(out)-1] != i {
			out = append(out, i)
		}
	}
	return out
}

// checkResume: resuming from the state after page i returns the refs of
// pages i+1.. of the first run.
func (k *checker) checkResume(ctx context.Context, size int, r *runRec, fetch func(int, json.RawMessage, string) (runRec, error), add func(Finding)) error {
	if len(r.pages) < 2 {
		return nil
	}
	bad := 0
	var first *Finding
	for _, i := range samples(len(r.pages)-1, k.o.ResumeSamples) {
		state := r.pages[i].out
		rr, err := fetch(size, state, KindResume)
		if err != nil {
			return err
		}
		if !rr.ended() {
			var f *Finding
			k.ended(size, &rr, fmt.Sprintf("resuming from state %s (after page %d)", clipState(state), i+1), func(x Finding) {
				if f == nil {
					x.Check = CheckResume
					f = &x
				}
			})
			bad++
			if first == nil {
				first = f
			}
			continue
		}
		got, want := rr.refs(0), r.refs(i+1)
		missing, extra := setDiff(want, got), setDiff(got, want)
		if len(missing) == 0 && len(extra) == 0 {
			continue
		}
		bad++
		if first != nil {
			continue
		}
		msg := fmt.Sprintf("page size %d: resuming from state %s (after page %d) returned %s but the first run returned %s after that state", size, clipState(state), i+1, fmtRefs(got), fmtRefs(want))
		if len(missing) > 0 {
			msg += "; missing " + fmtRefs(missing)
		}
		if len(extra) > 0 {
			msg += "; unexpected " + fmtRefs(extra)
		}
		first = &Finding{Check: CheckResume, PageSize: size, State: state, References: clipList(append(missing, extra...), 20), Message: msg}
	}
	if first != nil {
		if bad > 1 {
			first.Message += fmt.Sprintf(" (%d resumed states differ)", bad)
		}
		add(*first)
	}
	return nil
}

// checkRerun: a second run from the final state returns nothing already
// seen; seen references with other content are updates (a warning).
func (k *checker) checkRerun(size int, r *runRec, fetch func(int, json.RawMessage, string) (runRec, error), add func(Finding)) error {
	final := r.final()
	rr, err := fetch(size, final, KindRerun)
	if err != nil {
		return err
	}
	if !rr.ended() {
		k.ended(size, &rr, fmt.Sprintf("second run from the final state %s", clipState(final)), func(f Finding) {
			f.Check = CheckRerun
			add(f)
		})
		return nil
	}
	content := map[string]string{}
	for _, p := range r.pages {
		for _, it := range p.items {
			content[it.ref] = it.content
		}
	}
	var same, updated []string
	for _, p := range rr.pages {
		for _, it := range p.items {
			c, ok := content[it.ref]
			switch {
			case !ok:
			case c == it.content:
				same = append(same, it.ref)
			default:
				updated = append(updated, it.ref)
			}
		}
	}
	if len(same) > 0 {
		add(Finding{Check: CheckRerun, PageSize: size, State: final, References: clipList(same, 20),
			Message: fmt.Sprintf("page size %d: a second run from the final state %s returned %d items the first run had already returned, unchanged: %s; after its last page a connector should return a state from which only new or updated items follow",
				size, clipState(final), len(same), fmtRefs(same))})
	}
	if len(updated) > 0 {
		add(Finding{Check: CheckRerun, PageSize: size, State: final, References: clipList(updated, 20), Warning: true,
			Message: fmt.Sprintf("page size %d: a second run from the final state %s returned %d items again with other content (updated): %s", size, clipState(final), len(updated), fmtRefs(updated))})
	}
	return nil
}

// checkSameRefs: every page size that ran to its end returns the union of
// what all of them returned.
func (k *checker) checkSameRefs(firsts []runRec, add func(Finding)) {
	union := map[string]bool{}
	for i := range firsts {
		if !firsts[i].ended() {
			continue
		}
		for _, ref := range firsts[i].refs(0) {
			union[ref] = true
		}
	}
	for i, size := range k.o.PageSizes {
		r := &firsts[i]
		if !r.ended() {
			continue
		}
		have := map[string]bool{}
		for _, ref := range r.refs(0) {
			have[ref] = true
		}
		var missing []string
		for ref := range union {
			if !have[ref] {
				missing = append(missing, ref)
			}
		}
		if len(missing) == 0 {
			continue
		}
		// Order the missing as the other run holding most of them returned them,
		// and find where this run skipped the first of them.
		var good *runRec
		var goodSize, best int
		for j := range firsts {
			if j == i || !firsts[j].ended() {
				continue
			}
			// The run holding most of the missing references.
			n := len(setDiff(firsts[j].refs(0), r.refs(0)))
			if good == nil || n > best {
				good, goodSize, best = &firsts[j], k.o.PageSizes[j], n
			}
		}
		first := ""
		for _, ref := range good.refs(0) {
			if !have[ref] {
				first = ref
				break
			}
		}
		order := map[string]int{}
		for n, ref := range good.refs(0) {
			if _, ok := order[ref]; !ok {
				order[ref] = n
			}
		}
		sort.Slice(missing, func(a, b int) bool {
			oa, oka := order[missing[a]]
			ob, okb := order[missing[b]]
			if oka != okb {
				return oka
			}
			if oa != ob {
				return oa < ob
			}
			return missing[a] < missing[b]
		})
		// The reference just before first in the good run that this run
		// has: this run's page after it should have held first.
		prev := ""
		for _, ref := range good.refs(0) {
			if ref == first {
				break
			}
			if have[ref] {
				prev = ref
			}
		}
		var state json.RawMessage
		var next []string
		if prev == "" {
			if len(r.pages) > 0 {
				next = refsOf(r.pages[0].items)
			}
		} else {
		find:
			for pi, p := range r.pages {
				for _, it := range p.items {
					if it.ref == prev {
						state = p.out
						if pi+1 < len(r.pages) {
							next = refsOf(r.pages[pi+1].items)
						}
						break find
					}
				}
			}
		}
		msg := fmt.Sprintf("page size %d: %d of %d references are missing: %s; with page size %d, %s follows ",
			size, len(missing), len(union), fmtRefs(missing), goodSize, first)
		if prev == "" {
			msg += fmt.Sprintf("nothing (it comes first), but the first page from the beginning returned %s", fmtRefs(next))
		} else if state == nil && next == nil {
			msg += fmt.Sprintf("%s, but with page size %d the run ended after %s", prev, size, prev)
		} else {
			msg += fmt.Sprintf("%s, but with page size %d fetching from state %s (the state after %s's page) returned %s", prev, size, clipState(state), prev, fmtRefs(next))
		}
		check := CheckSameReferences
		if prev != "" && state != nil {
			if g := timestampGroup(good, prev, first, state); g > 0 {
				check = CheckTimestampGroups
				msg += fmt.Sprintf("; %s and %s share their timestamp with %d items in all, more than the page size %d, and the state names that timestamp: a cursor of \"after this timestamp\" skips the rest of an equal-timestamp group at a page boundary (page by timestamp and id, or keep an offset within the group)",
					prev, first, g, size)
			}
		}
		add(Finding{Check: check, PageSize: size, State: state, References: clipList(missing, 20), Message: msg})
	}
}

// setDiff returns the elements of a not in b, in a's order, once each.
func setDiff(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
			in[s] = true
		}
	}
	return out
}

func clipList(l []string, n int) []string {
	if len(l) > n {
		return slices.Clone(l[:n])
	}
	return slices.Clone(l)
}

// fmtRefs prints at most 10 references: [a b c … (+12)].
func fmtRefs(refs []string) string {
	const max = 10
	if len(refs) <= max {
		return "[" + strings.Join(refs, " ") + "]"
	}
	return fmt.Sprintf("[%s … (+%d)]", strings.Join(refs[:max], " "), len(refs)-max)
}

func clipState(s json.RawMessage) string {
	w := string(wireState(s))
	if len(w) > 200 {
		return w[:200] + "…"
	}
	return w
}
