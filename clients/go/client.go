// Package client is the typed Go client of the Switchboard daemon.
//
// Switchboard speaks JSON-RPC 2.0 with LSP semantics (see package protocol
// for the wire types). A Client talks to one daemon connection over one of
// three transports:
//
//   - [Dial]: a websocket to a running `switchboard serve`
//     (ws://127.0.0.1:7777/rpc), authenticated with a bearer token. [Discover]
//     and [Connect] find a running daemon through its daemon.json.
//   - [Spawn]: a child `switchboard stdio` process, talking LSP-framed JSON
//     over its stdin and stdout.
//   - [NewStream]: any LSP-framed byte pipe (net.Pipe in tests, say).
//
// Every protocol method has a typed method on Client, context first; [Client.Call]
// reaches anything else. A JSON-RPC error response is returned as a
// *protocol.Error whose Data is the raw JSON of the error's data, so callers
// can write
//
//	var pe *protocol.Error
//	if errors.As(err, &pe) && pe.Code == protocol.CodeSessionNotFound { ... }
//
// or decode the data with [ErrorData].
//
// Cancelling the context of a call sends $/cancelRequest for that request;
// see [Client.Call].
//
// Notifications from the daemon (fetch/page, $/progress, log, http/exchange,
// session/changed) are delivered to the handlers given as options, in the
// order they arrived, on one goroutine per Client that is separate from the
// connection's read loop: a slow handler delays later notifications but
// never the responses to calls. The daemon's window/workDoneProgress/create
// request is answered with null automatically.
//
// Framing, the message limit, the pending-call table and the cancellation
// rule are internal/rpc's, shared with the daemon's transports. Decoding is
// built for streaming pages: each incoming message is read into one buffer
// and decoded with
// segmentio/encoding, which validates it and leaves strings and items in
// that buffer; fetch/page notifications and page results are decoded in one
// pass, their items left in place for [DecodeItems].
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/switchboardpay/switchboard/internal/rpc"

	"github.com/switchboardpay/switchboard/protocol"
)

// ErrClosed is returned by calls on a Client whose connection is closed,
// by the caller or by the daemon.
var ErrClosed = jsonrpc2.ErrClosed

// Default timeouts; see [WithCancelGrace] and [WithCloseTimeout].
const (
	DefaultCancelGrace  = 2 * time.Second
	DefaultCloseTimeout = 5 * time.Second
)

// Client is a connection to a Switchboard daemon. Its methods are safe for
// concurrent use. Close it when done.
type Client struct {
	t    rpc.Framer
	opts options

	writeMu sync.Mutex // serializes writes to t

	// calls are the requests waiting for their answer (internal/rpc's
	// table, flagged when the result is a page); closed with the
	// connection.
	calls rpc.Calls[response]
	done  chan struct{} // closed when the read loop has ended

	notes *notifyQueue

	replyMu     sync.Mutex
	replyClosed bool           // set by Close: no more replies start
	replies     sync.WaitGroup // in-flight replies to server requests

	shutdownSent atomic.Bool
	exitSent     atomic.Bool

	closeOnce sync.Once
	closeErr  error

	// proc is set for clients made by Spawn.
	proc *process
}

// Option configures a Client.
type Option func(*options)

type options struct {
	raw            []func(method string, params json.RawMessage)
	fetchPage      []func(protocol.FetchPageParams)
	progress       []func(protocol.ProgressParams)
	log            []func(protocol.LogParams)
	httpExchange   []func(protocol.HTTPExchangeParams)
	sessionChanged []func(protocol.SessionChangedParams)

	stderr       io.Writer
	cancelGrace  time.Duration
	closeTimeout time.Duration
	logf         func(format string, args ...any)
}

func buildOptions(opts []Option) options {
	o := options{
		stderr:       os.Stderr,
		cancelGrace:  DefaultCancelGrace,
		closeTimeout: DefaultCloseTimeout,
		logf:         func(string, ...any) {},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithNotificationHandler registers h to receive every notification from the
// daemon, raw, before any typed handler of the same notification. params
// hold the daemon's JSON value as it came on the wire (validated, not
// re-encoded); they are nil for a notification without params (or with
// null params). h may keep params.
func WithNotificationHandler(h func(method string, params json.RawMessage)) Option {
	return func(o *options) { o.raw = append(o.raw, h) }
}

// OnFetchPage registers h for fetch/page notifications.
func OnFetchPage(h func(protocol.FetchPageParams)) Option {
	return func(o *options) { o.fetchPage = append(o.fetchPage, h) }
}

// OnProgress registers h for $/progress notifications.
func OnProgress(h func(protocol.ProgressParams)) Option {
	return func(o *options) { o.progress = append(o.progress, h) }
}

// OnLog registers h for log notifications.
func OnLog(h func(protocol.LogParams)) Option {
	return func(o *options) { o.log = append(o.log, h) }
}

// OnHTTPExchange registers h for http/exchange notifications.
func OnHTTPExchange(h func(protocol.HTTPExchangeParams)) Option {
	return func(o *options) { o.httpExchange = append(o.httpExchange, h) }
}

// OnSessionChanged registers h for session/changed notifications.
func OnSessionChanged(h func(protocol.SessionChangedParams)) Option {
	return func(o *options) { o.sessionChanged = append(o.sessionChanged, h) }
}

// WithStderr sets where a spawned daemon's stderr goes (default os.Stderr).
// It matters only to [Spawn].
func WithStderr(w io.Writer) Option {
	return func(o *options) { o.stderr = w }
}

// WithCancelGrace sets how long a call whose context was cancelled waits
// for the daemon's answer to $/cancelRequest before giving up with the
// context's error (default [DefaultCancelGrace]).
func WithCancelGrace(d time.Duration) Option {
	return func(o *options) { o.cancelGrace = d }
}

// WithCloseTimeout bounds how long Close of a spawned daemon waits for the
// shutdown answer, and then for the process to exit before killing it
// (default [DefaultCloseTimeout]).
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) { o.closeTimeout = d }
}

// WithLogf sets where the client logs protocol trouble: notifications whose
// params do not decode, unexpected responses, a broken connection. By
// default nothing is logged.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *options) { o.logf = logf }
}

// NewStream returns a Client speaking LSP-framed JSON-RPC
// (Content-Length: N\r\n\r\n followed by the JSON) over rwc. The Client owns
// rwc and closes it on Close. ctx bounds nothing after NewStream returns; it
// is accepted for symmetry with the other constructors.
func NewStream(ctx context.Context, rwc io.ReadWriteCloser, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return newClient(rpc.NewLSP(rwc, rwc, rwc, maxMessage), buildOptions(opts)), nil
}

func newClient(t rpc.Framer, o options) *Client {
	c := &Client{t: t, opts: o, done: make(chan struct{})}
	c.notes = newNotifyQueue(c.deliver)
	go c.readLoop()
	return c
}

// Close closes the connection. For a client made by [Spawn] it first ends
// the daemon gracefully, as an LSP client does: it sends shutdown and exit
// (unless already sent), waits for the process to exit, kills it after the
// close timeout, and returns an error if it did not exit with status 0 (see
// [Client.ExitCode]).
//
// Close waits until every notification that had arrived has been delivered,
// so it must not be called from a notification handler. Close is idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.close() })
	return c.closeErr
}

func (c *Client) close() error {
	var err error
	if c.proc != nil {
		err = c.proc.stop(c)
	}
	if cerr := c.shutdown(); cerr != nil && !errors.Is(cerr, ErrClosed) && err == nil && c.proc == nil {
		err = cerr
	}
	<-c.done
	c.replyMu.Lock()
	c.replyClosed = true
	c.replyMu.Unlock()
	c.replies.Wait()
	c.notes.close()
	return err
}

// Done returns a channel that is closed when the connection is gone,
// closed by Close or by the daemon.
func (c *Client) Done() <-chan struct{} {
	return c.done
}

// Flush waits until every notification that arrived before Flush was called
// has been delivered to the handlers. A notification the daemon sends before
// answering a request arrives before that answer, so
//
//	res, err := c.FetchAll(ctx, params)
//	c.Flush(ctx)
//
// sees every fetch/page notification of that fetch/all handled. Flush must
// not be called from a notification handler.
func (c *Client) Flush(ctx context.Context) error {
	return c.notes.flush(ctx)
}

// Call sends the request method with params and decodes its result into
// result (a pointer, or nil to discard it). params nil sends no params.
//
// An error response is returned as *protocol.Error, its Data the raw JSON
// (json.RawMessage) of the error's data. A call on a closed connection
// returns an error wrapping [ErrClosed].
//
// If ctx is done before the answer comes, Call sends $/cancelRequest with
// the request's id and waits up to the cancel grace (see [WithCancelGrace])
// for the daemon's answer: that is normally a -32800 (request cancelled)
// *protocol.Error, which Call returns; if the request had finished anyway,
// its real outcome is returned (a result is then decoded into result, and
// the error is nil). Without an answer in time, Call returns ctx.Err().
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, isPage := result.(*protocol.Page)
	id, ch, err := c.calls.Start(isPage)
	if err != nil {
		return fmt.Errorf("client: %s: %w", method, ErrClosed)
	}
	msg, err := marshalMessage(id, method, params)
	if err == nil {
		err = c.write(msg)
	}
	if err != nil {
		c.calls.Forget(id)
		return fmt.Errorf("client: %s: %w", method, err)
	}
	cancel := func() error {
		return c.Notify(context.Background(), protocol.MethodCancelRequest, protocol.CancelParams{ID: json.RawMessage(strconv.FormatUint(id, 10))})
	}
	r, answered, ctxErr := rpc.Await(ctx, ch, cancel, c.opts.cancelGrace)
	if !answered {
		c.calls.Forget(id)
		return ctxErr
	}
	if ctxErr != nil && r.closed {
		return ctxErr
	}
	switch {
	case r.closed:
		return fmt.Errorf("client: %s: %w", method, ErrClosed)
	case r.err != nil:
		return r.err
	case result == nil:
		return nil
	case r.page != nil:
		*result.(*protocol.Page) = *r.page
		return nil
	}
	if err := decodeInto(r.result, result); err != nil {
		return fmt.Errorf("client: decoding result of %s: %w", method, err)
	}
	return nil
}

// Notify sends the notification method with params (nil for none).
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := marshalMessage(0, method, params)
	if err == nil {
		err = c.write(msg)
	}
	if err != nil {
		return fmt.Errorf("client: %s: %w", method, err)
	}
	return nil
}

// response is the outcome of a call: the raw result (a span of the
// answer's buffer), an error response, or the connection's end.
type response struct {
	page   *protocol.Page // a page result, decoded with its message
	result []byte
	err    *protocol.Error
	closed bool
}

// outgoing is a request (ID set) or a notification (ID nil) on the wire.
type outgoing struct {
	JSONRPC string  `json:"jsonrpc"`
	ID      *uint64 `json:"id,omitempty"`
	Method  string  `json:"method"`
	Params  any     `json:"params,omitempty"`
}

// marshalMessage encodes a request with id, or a notification for id 0.
// params nil sends no params.
func marshalMessage(id uint64, method string, params any) ([]byte, error) {
	m := outgoing{JSONRPC: "2.0", Method: method, Params: params}
	if id != 0 {
		m.ID = &id
	}
	return json.Marshal(m)
}

// write sends one message; writes are serialized.
func (c *Client) write(msg []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.isClosed() {
		return ErrClosed
	}
	if err := c.t.WriteMessage(msg); err != nil {
		if c.isClosed() || isClosedErr(err) {
			return ErrClosed
		}
		return err
	}
	return nil
}

func (c *Client) isClosed() bool { return c.calls.Closed() }

// shutdown closes the transport and fails the pending calls with
// ErrClosed. Only the first call closes; later ones return ErrClosed.
func (c *Client) shutdown() error {
	if !c.calls.Close(response{closed: true}) {
		return ErrClosed
	}
	return c.t.Close()
}

// readLoop reads the daemon's messages until the connection ends: it
// queues notifications, hands results to their calls and answers the
// daemon's requests. Each message is validated and cut up once here; its
// params or result are decoded once more, into their Go types, by the
// notification goroutine or the caller.
func (c *Client) readLoop() {
	defer close(c.done)
	for {
		msg, err := c.t.ReadMessage()
		if err != nil {
			if !c.isClosed() && !isClosedErr(err) {
				c.opts.logf("client: connection broken: %v", err)
			}
			c.shutdown()
			return
		}
		if err := c.handleMessage(msg); err != nil {
			c.opts.logf("client: protocol error, closing the connection: %v", err)
			c.shutdown()
			return
		}
	}
}

func (c *Client) handleMessage(msg []byte) error {
	// Pages, most of the traffic, are decoded in one pass.
	if len(c.opts.raw) == 0 {
		if p, ok := decodePageNotification(msg); ok {
			c.notes.push(notification{method: protocol.NotifyFetchPage, decoded: &p})
			return nil
		}
	}
	if c.pageResult(msg) {
		return nil
	}
	m, err := parseMessage(msg)
	if err != nil {
		return err
	}
	switch {
	case m.method != "" && m.id != nil:
		c.serverRequest(m.id, m.method)
	case m.method != "":
		c.notes.push(notification{method: m.method, params: m.params})
	case m.id != nil:
		r := response{result: m.result}
		if m.err != nil {
			r = response{err: decodeError(m.err)}
		} else if r.result == nil {
			r.result = []byte("null")
		}
		if id, ok := parseID(m.id); !ok || !c.calls.Finish(id, r) {
			c.opts.logf("client: ignoring a response to unknown request %s", m.id)
		}
	case m.err != nil:
		c.opts.logf("client: error response without id: %v", decodeError(m.err))
	default:
		c.opts.logf("client: ignoring a message with neither method nor id")
	}
	return nil
}

// replyPrefix is how the daemon begins every answer (daemon/dispatch).
var replyPrefix = []byte(`{"jsonrpc":"2.0","id":`)

// pageResult delivers msg, decoded in one pass, when it is the page
// answer of a pending call that asked for one; false otherwise.
func (c *Client) pageResult(msg []byte) bool {
	rest, ok := bytes.CutPrefix(msg, replyPrefix)
	if !ok {
		return false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return false
	}
	id, ok := parseID(rest[:end])
	if !ok {
		return false
	}
	if !c.calls.Flag(id) {
		return false
	}
	rid, page, ok := decodePageResponse(msg)
	if !ok || rid != id {
		return false
	}
	c.calls.Finish(id, response{page: page})
	return true
}

// replyError is the error of an answer to a daemon's request.
type replyError struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

type reply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   *replyError     `json:"error,omitempty"`
}

// serverRequest answers a request of the daemon: null to
// window/workDoneProgress/create, method not found to anything else.
func (c *Client) serverRequest(id []byte, method string) {
	// Reply off the read loop, so a full pipe towards the daemon cannot
	// stall the reading of its messages.
	c.replyMu.Lock()
	defer c.replyMu.Unlock()
	if c.replyClosed {
		return
	}
	c.replies.Add(1)
	go func() {
		defer c.replies.Done()
		var msg []byte
		switch method {
		case protocol.MethodWorkDoneProgressCreate:
			msg = append(append([]byte(`{"jsonrpc":"2.0","id":`), id...), `,"result":null}`...)
		default:
			var err error
			msg, err = json.Marshal(reply{JSONRPC: "2.0", ID: id, Error: &replyError{
				Code:    protocol.CodeMethodNotFound,
				Message: fmt.Sprintf("method %q not supported by the client", method),
			}})
			if err != nil {
				c.opts.logf("client: replying to %s: %v", method, err)
				return
			}
		}
		if err := c.write(msg); err != nil && !errors.Is(err, ErrClosed) {
			c.opts.logf("client: replying to %s: %v", method, err)
		}
	}()
}

// deliver runs the handlers of one notification, on the delivery goroutine.
func (c *Client) deliver(n notification) {
	for _, h := range c.opts.raw {
		h(n.method, n.params)
	}
	switch n.method {
	case protocol.NotifyFetchPage:
		dispatch(c, n, c.opts.fetchPage)
	case protocol.NotifyProgress:
		dispatch(c, n, c.opts.progress)
	case protocol.NotifyLog:
		dispatch(c, n, c.opts.log)
	case protocol.NotifyHTTPExchange:
		dispatch(c, n, c.opts.httpExchange)
	case protocol.NotifySessionChanged:
		dispatch(c, n, c.opts.sessionChanged)
	}
}

func dispatch[T any](c *Client, n notification, hs []func(T)) {
	if len(hs) == 0 {
		return
	}
	var v T
	if d, ok := n.decoded.(*T); ok {
		v = *d
	} else if err := decodeInto(n.params, &v); err != nil {
		c.opts.logf("client: dropping %s notification: %v", n.method, err)
		return
	}
	for _, h := range hs {
		h(v)
	}
}

type notification struct {
	method  string
	params  json.RawMessage
	decoded any // params already decoded (a *protocol.FetchPageParams), or nil
}

// notifyQueue delivers notifications in order on one goroutine. It is
// unbounded: the read loop never waits for a handler.
type notifyQueue struct {
	deliver func(notification)

	mu        sync.Mutex
	cond      *sync.Cond // signals: items pushed, items delivered, closing
	items     []notification
	pushed    uint64
	delivered uint64
	closing   bool
	done      chan struct{}
}

func newNotifyQueue(deliver func(notification)) *notifyQueue {
	q := &notifyQueue{deliver: deliver, done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.run()
	return q
}

func (q *notifyQueue) push(n notification) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		return
	}
	q.items = append(q.items, n)
	q.pushed++
	q.cond.Broadcast()
}

func (q *notifyQueue) run() {
	defer close(q.done)
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for len(q.items) == 0 && !q.closing {
			q.cond.Wait()
		}
		if len(q.items) == 0 {
			return
		}
		n := q.items[0]
		q.items[0] = notification{}
		q.items = q.items[1:]
		q.mu.Unlock()
		q.deliver(n)
		q.mu.Lock()
		q.delivered++
		q.cond.Broadcast()
	}
}

// close delivers what is queued, then stops the delivery goroutine.
func (q *notifyQueue) close() {
	q.mu.Lock()
	q.closing = true
	q.cond.Broadcast()
	q.mu.Unlock()
	<-q.done
}

func (q *notifyQueue) flush(ctx context.Context) error {
	q.mu.Lock()
	target := q.pushed
	q.mu.Unlock()
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		q.mu.Lock()
		defer q.mu.Unlock()
		for q.delivered < target && ctx.Err() == nil {
			q.cond.Wait()
		}
	}()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		// Wake the waiter so it sees ctx is done and exits.
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
		<-ready
		return ctx.Err()
	}
}

// process is a daemon started by Spawn.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
	err    error         // cmd.Wait's error, valid once exited is closed
}

// ExitCode returns the exit code of a daemon started by [Spawn] once it has
// exited (after Close, or after it died), and -1 while it runs, if it was
// killed by a signal, or for clients not made by Spawn.
func (c *Client) ExitCode() int {
	if c.proc == nil {
		return -1
	}
	select {
	case <-c.proc.exited:
		return c.proc.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// stop ends the daemon as an LSP client does: shutdown, exit, wait, and
// kill after the close timeout.
func (p *process) stop(c *Client) error {
	timeout := c.opts.closeTimeout
	select {
	case <-p.exited:
	case <-c.done:
	default:
		if !c.shutdownSent.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			_ = c.Shutdown(ctx) // a daemon that fails shutdown still gets exit
			cancel()
		}
		if !c.exitSent.Load() {
			_ = c.Exit(context.Background())
		}
	}
	killed := false
	select {
	case <-p.exited:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		killed = true
		<-p.exited
	}
	if killed {
		return fmt.Errorf("client: %s did not exit within %v after exit; killed it", p.cmd.Path, timeout)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("client: %s exited with code %d: %w", p.cmd.Path, code, p.err)
	}
	return nil
}
