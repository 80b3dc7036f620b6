package dispatch

import (
	"context"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/protocol"
)

var tokenSeq atomic.Uint64

// progress reports LSP work-done progress for one request, through the
// connection's notification queue so that it stays in order with the pages
// it describes. A nil *progress reports nothing.
type progress struct {
	c     *conn
	token json.RawMessage
}

// startProgress begins progress with the client's token, or with one the
// server makes when the client declared workDoneProgress (announced first
// with window/workDoneProgress/create, per LSP). It returns nil when the
// client wants none.
func (c *conn) startProgress(ctx context.Context, token json.RawMessage, title string) *progress {
	if len(token) == 0 || string(token) == "null" {
		c.mu.Lock()
		wdp := c.workDoneProgress
		c.mu.Unlock()
		if !wdp {
			return nil
		}
		token = json.RawMessage(strconv.Quote("switchboard-" + strconv.FormatUint(tokenSeq.Add(1), 10)))
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.rpc.Call(cctx, protocol.MethodWorkDoneProgressCreate, protocol.WorkDoneProgressCreateParams{Token: token}, nil)
		cancel()
		if err != nil {
			c.srv.logger.Debug("client refused a progress token", "err", err)
			return nil
		}
	}
	p := &progress{c: c, token: token}
	p.send(protocol.ProgressValue{Kind: "begin", Title: title, Cancellable: true})
	return p
}

func (p *progress) send(v protocol.ProgressValue) {
	if p == nil {
		return
	}
	// A full queue drops a progress report, never the sync.
	p.c.sub.Send(bus.EncodeNotification(protocol.NotifyProgress, protocol.ProgressParams{Token: p.token, Value: v}))
}

func (p *progress) report(msg string) { p.send(protocol.ProgressValue{Kind: "report", Message: msg}) }

func (p *progress) end(msg string) { p.send(protocol.ProgressValue{Kind: "end", Message: msg}) }

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
