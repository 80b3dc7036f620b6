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
package client

import (
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
	conn *jsonrpc2.Conn
	opts options

	nextID atomic.Uint64

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
// hold the daemon's JSON value, re-encoded by the JSON-RPC layer (object
// keys come sorted); they are nil for a notification without params.
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
	return newClient(jsonrpc2.NewBufferedStream(rwc, jsonrpc2.VSCodeObjectCodec{}), buildOptions(opts)), nil
}

func newClient(stream jsonrpc2.ObjectStream, o options) *Client {
	c := &Client{opts: o}
	c.notes = newNotifyQueue(c.deliver)
	c.conn = jsonrpc2.NewConn(context.Background(), stream, handlerFunc(c.handle),
		jsonrpc2.SetLogger(logger(o.logf)))
	return c
}

type logger func(format string, args ...any)

func (l logger) Printf(format string, args ...any) { l(format, args...) }

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
	if cerr := c.conn.Close(); cerr != nil && !errors.Is(cerr, jsonrpc2.ErrClosed) && err == nil && c.proc == nil {
		err = cerr
	}
	<-c.conn.DisconnectNotify()
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
	return c.conn.DisconnectNotify()
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
	id := jsonrpc2.ID{Num: c.nextID.Add(1)}
	w, err := c.conn.DispatchCall(ctx, method, params, jsonrpc2.PickID(id))
	if err != nil {
		return c.convertErr(method, err)
	}
	var raw json.RawMessage
	err = w.Wait(ctx, &raw)
	if ctxErr := ctx.Err(); ctxErr != nil && err == ctxErr {
		cancel := protocol.CancelParams{ID: json.RawMessage(strconv.FormatUint(id.Num, 10))}
		if nerr := c.conn.Notify(context.Background(), protocol.MethodCancelRequest, cancel); nerr != nil {
			return ctxErr
		}
		gctx, stop := context.WithTimeout(context.Background(), c.opts.cancelGrace)
		err = w.Wait(gctx, &raw)
		timedOut := gctx.Err() != nil && err == gctx.Err()
		stop()
		if timedOut || errors.Is(err, jsonrpc2.ErrClosed) {
			return ctxErr
		}
	}
	if err != nil {
		return c.convertErr(method, err)
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return fmt.Errorf("client: decoding result of %s: %w", method, err)
	}
	return nil
}

// Notify sends the notification method with params (nil for none).
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.conn.Notify(ctx, method, params); err != nil {
		return c.convertErr(method, err)
	}
	return nil
}

// convertErr turns a jsonrpc2 error response into a *protocol.Error and
// names the method in transport errors.
func (c *Client) convertErr(method string, err error) error {
	var je *jsonrpc2.Error
	if errors.As(err, &je) {
		pe := &protocol.Error{Code: je.Code, Message: je.Message}
		if je.Data != nil {
			pe.Data = append(json.RawMessage(nil), (*je.Data)...)
		}
		return pe
	}
	return fmt.Errorf("client: %s: %w", method, err)
}

// handle is the jsonrpc2 handler of what the daemon sends: it queues
// notifications for ordered delivery and answers requests.
func (c *Client) handle(_ context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	if req.Notif {
		var params json.RawMessage
		if req.Params != nil {
			params = append(json.RawMessage(nil), (*req.Params)...)
		}
		c.notes.push(notification{method: req.Method, params: params})
		return
	}
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
		var err error
		switch req.Method {
		case protocol.MethodWorkDoneProgressCreate:
			err = conn.Reply(context.Background(), req.ID, nil)
		default:
			err = conn.ReplyWithError(context.Background(), req.ID, &jsonrpc2.Error{
				Code:    protocol.CodeMethodNotFound,
				Message: fmt.Sprintf("method %q not supported by the client", req.Method),
			})
		}
		if err != nil && !errors.Is(err, jsonrpc2.ErrClosed) {
			c.opts.logf("client: replying to %s: %v", req.Method, err)
		}
	}()
}

type handlerFunc func(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request)

func (f handlerFunc) Handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	f(ctx, conn, req)
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
	if err := json.Unmarshal(n.params, &v); err != nil {
		c.opts.logf("client: dropping %s notification: %v", n.method, err)
		return
	}
	for _, h := range hs {
		h(v)
	}
}

type notification struct {
	method string
	params json.RawMessage
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
	case <-c.conn.DisconnectNotify():
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
