package dispatch

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/protocol"
)

var tokenSeq atomic.Uint64

// progressEndWait bounds how long the begin or end of a progress waits for
// room in a slow client's queue before it is sent ahead of the queue: it is
// never dropped, or the client's spinner would never stop.
const progressEndWait = 10 * time.Second

// progress reports LSP work-done progress for one request, through the
// connection's notification queue so that it stays in order with the pages
// it describes. A nil *progress reports nothing.
//
// A server-made token is announced with window/workDoneProgress/create and
// used once the client answers; the request waits for that answer only
// createGrace: until it comes, the latest report is held, and a walk that
// ends first sends begin, that report and end on the answer.
type progress struct {
	c      *conn
	token  json.RawMessage
	title  string
	cancel context.CancelFunc // cancels the walk: window/workDoneProgress/cancel

	mu        sync.Mutex
	state     progressState // guarded by mu
	held      string        // latest report while pending; guarded by mu
	cancelled bool          // by window/workDoneProgress/cancel; guarded by mu
	ended     *string       // the end message of a walk that ended while pending; guarded by mu
}

type progressState int

const (
	progressPending progressState = iota // create sent, no answer yet
	progressActive                       // begin sent
	progressDone                         // end sent, refused, or ended while pending
)

// startProgress begins progress with the client's token, or with one the
// server makes when the client declared workDoneProgress. It returns nil
// (and ctx) when the client wants none; else the context the walk must
// run under, which window/workDoneProgress/cancel cancels.
func (c *conn) startProgress(ctx context.Context, token json.RawMessage, title string) (*progress, context.Context) {
	serverMade := len(token) == 0 || string(token) == "null"
	if serverMade {
		c.mu.Lock()
		wdp := c.workDoneProgress
		c.mu.Unlock()
		if !wdp {
			return nil, ctx
		}
		token = json.RawMessage(strconv.Quote("switchboard-" + strconv.FormatUint(tokenSeq.Add(1), 10)))
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &progress{c: c, token: token, title: title, cancel: cancel}
	key := tokenKey(token)
	c.mu.Lock()
	c.progress[key] = p
	c.mu.Unlock()
	if !serverMade {
		p.activate()
		return p, ctx
	}
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		// A client may take its time or never answer: the walk goes on
		// meanwhile, and a late answer still begins the progress (with
		// its latest report, and its end if the walk is over).
		cctx, cancel := context.WithTimeout(c.ctx, createAnswerWait)
		defer cancel()
		err := c.rpc.Call(cctx, protocol.MethodWorkDoneProgressCreate, protocol.WorkDoneProgressCreateParams{Token: token}, nil)
		if err != nil {
			c.srv.logger.Debug("client refused a progress token", "err", err)
			p.mu.Lock()
			p.state = progressDone
			p.mu.Unlock()
			return
		}
		p.activate()
	}()
	// Editors answer at once: a moment's wait keeps begin before the
	// first page in the usual case, without stalling on a silent client.
	t := time.NewTimer(createGrace)
	defer t.Stop()
	select {
	case <-answered:
	case <-t.C:
	case <-ctx.Done():
	}
	return p, ctx
}

const (
	// createGrace is how long a walk waits for the answer to
	// window/workDoneProgress/create before it starts anyway.
	createGrace = 250 * time.Millisecond
	// createAnswerWait is how long a late answer is still taken.
	createAnswerWait = 30 * time.Second
)

func tokenKey(token json.RawMessage) string { return compactJSON(token) }

// activate sends begin, the report held while pending, and the end when
// the walk ended before the client answered.
func (p *progress) activate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != progressPending {
		return
	}
	p.state = progressActive
	p.sendFinal(protocol.ProgressValue{Kind: "begin", Title: p.title, Cancellable: true})
	if p.held != "" {
		p.send(protocol.ProgressValue{Kind: "report", Message: p.held})
	}
	if p.ended != nil {
		p.sendFinal(protocol.ProgressValue{Kind: "end", Message: *p.ended})
		p.state = progressDone
	}
}

func (p *progress) encode(v protocol.ProgressValue) []byte {
	return bus.EncodeNotification(protocol.NotifyProgress, protocol.ProgressParams{Token: p.token, Value: v})
}

// send queues a report; a full queue drops it, never the sync.
func (p *progress) send(v protocol.ProgressValue) { p.c.sub.Send(p.encode(v)) }

// sendFinal queues a begin or an end, which are never dropped.
func (p *progress) sendFinal(v protocol.ProgressValue) {
	p.c.sub.SendFinal(p.encode(v), progressEndWait)
}

func (p *progress) report(msg string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case progressPending:
		p.held = msg
	case progressActive:
		p.send(protocol.ProgressValue{Kind: "report", Message: msg})
	}
}

// end sends the end of the progress and forgets its token. It returns err,
// or a cancellation error when the client's window/workDoneProgress/cancel
// ended the walk.
func (p *progress) end(msg string, err error) error {
	if p == nil {
		return err
	}
	p.c.mu.Lock()
	delete(p.c.progress, tokenKey(p.token))
	p.c.mu.Unlock()
	p.mu.Lock()
	switch p.state {
	case progressActive:
		p.sendFinal(protocol.ProgressValue{Kind: "end", Message: msg})
		p.state = progressDone
	case progressPending:
		p.ended = &msg
	}
	cancelled := p.cancelled
	p.mu.Unlock()
	p.cancel()
	if err != nil && cancelled {
		return errProgressCancelled
	}
	return err
}

var errProgressCancelled = &protocol.Error{Code: protocol.CodeRequestCancelled, Message: "request cancelled by window/workDoneProgress/cancel"}

// cancelProgress handles window/workDoneProgress/cancel: the walk of the
// token stops at once, as with $/cancelRequest.
func (c *conn) cancelProgress(token json.RawMessage) {
	c.mu.Lock()
	p := c.progress[tokenKey(token)]
	c.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	p.cancelled = true
	p.mu.Unlock()
	p.cancel()
}

// count formats n with thousands separators: 1,200.
func count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
