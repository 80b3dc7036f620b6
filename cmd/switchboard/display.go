package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/switchboardpay/switchboard/protocol"
)

// taskProgress is what the pages seen so far say about one task path
// ("accounts/payments"), over every parent it ran for.
type taskProgress struct {
	path    string
	keys    map[string]int // items per state key seen: one key per run of the task
	done    int            // runs whose last page said hasMore false
	pages   int
	items   int
	started time.Time // when the task's first page was requested
	last    time.Time // when its latest page arrived
}

// rate is the task's items per second over the time it has been running.
func (t *taskProgress) rate() float64 { return rate(t.items, t.last.Sub(t.started)) }

// display shows sync and fetch --all progress from fetch/page
// notifications: a table redrawn in place on a terminal, or a line per
// finished run plus a heartbeat line on anything else (logs, CI, pipes),
// where cursor movement would be garbage.
type display struct {
	w     io.Writer
	tty   bool
	width int
	start time.Time

	mu       sync.Mutex
	order    []string
	tasks    map[string]*taskProgress
	drawn    int // lines of the last redraw, to move back over
	lastDraw time.Time
	lastBeat time.Time
}

// redrawEvery throttles terminal redraws: at thousands of pages a second,
// drawing each would cost more than the sync.
const redrawEvery = 100 * time.Millisecond

// heartbeatEvery spaces the plain-output progress lines.
const heartbeatEvery = 2 * time.Second

// newDisplay draws on w, live when w is a terminal.
func newDisplay(w io.Writer) *display {
	d := &display{w: w, start: time.Now(), tasks: map[string]*taskProgress{}, width: 120}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		d.tty = true
		if wd, _, err := term.GetSize(int(f.Fd())); err == nil && wd > 20 {
			d.width = wd
		}
	}
	d.lastBeat = d.start
	return d
}

// page records one fetch/page notification. It is called on the client's
// notification goroutine.
func (d *display) page(n protocol.FetchPageParams) {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	path := n.Task
	if path == "" {
		path = n.Page.Resource
	}
	t := d.tasks[path]
	if t == nil {
		t = &taskProgress{path: path, keys: map[string]int{}}
		t.started = now.Add(-time.Duration(n.Page.DurationMs * float64(time.Millisecond)))
		d.tasks[path] = t
		d.order = append(d.order, path)
	}
	t.keys[n.Page.Key] += n.Page.ItemCount
	t.pages++
	t.items += n.Page.ItemCount
	t.last = now
	if !n.Page.HasMore {
		t.done++
	}
	switch {
	case d.tty:
		if now.Sub(d.lastDraw) >= redrawEvery {
			d.redrawLocked(now)
		}
	case !n.Page.HasMore:
		from := "-"
		if _, ref, ok := strings.Cut(n.Page.Key, "@"); ok {
			from = ref
		}
		fmt.Fprintf(d.w, "done  %s  %s  %s pages  %s items\n", path, from, count(n.Page.Page), count(t.keys[n.Page.Key]))
	case now.Sub(d.lastBeat) >= heartbeatEvery:
		d.lastBeat = now
		fmt.Fprintf(d.w, "...   %s  %s runs  %s pages  %s items  %s items/s\n", path, count(len(t.keys)), count(t.pages), count(t.items), count(int(t.rate())))
	}
}

// redrawLocked moves the cursor back over the previous drawing and draws
// one line per task.
func (d *display) redrawLocked(now time.Time) {
	var b strings.Builder
	if d.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", d.drawn)
	}
	for _, p := range d.order {
		line := d.tasks[p].line()
		if len(line) > d.width-1 {
			line = line[:d.width-1]
		}
		b.WriteString("\r\x1b[2K")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	elapsed := fmt.Sprintf("elapsed %s", seconds(now.Sub(d.start)))
	b.WriteString("\r\x1b[2K" + elapsed + "\n")
	d.drawn = len(d.order) + 1
	d.lastDraw = now
	io.WriteString(d.w, b.String())
}

// line is a task's row of the live table.
func (t *taskProgress) line() string {
	runs := count(len(t.keys))
	if len(t.keys) > 1 {
		runs = fmt.Sprintf("%s/%s", count(t.done), count(len(t.keys)))
	}
	return fmt.Sprintf("%-24s runs %-9s %10s pages %12s items %10s items/s", t.path, runs, count(t.pages), count(t.items), count(int(t.rate())))
}

// finish draws the final state on a terminal; plain output needs nothing
// more, the summary follows.
func (d *display) finish() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tty && len(d.order) > 0 {
		d.redrawLocked(time.Now())
	}
}

// writeSeen prints what the notifications showed was done, per task: what
// a cancelled run has to report, since its request answers only -32800.
func (d *display) writeSeen(w io.Writer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	tw := newTable(w)
	fmt.Fprintln(tw, "TASK\tRUNS\tFINISHED\tPAGES\tITEMS")
	for _, p := range d.order {
		t := d.tasks[p]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.path, count(len(t.keys)), count(t.done), count(t.pages), count(t.items))
	}
	return tw.Flush()
}
