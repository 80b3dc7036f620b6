// Package dispatch turns JSON-RPC requests into calls on the daemon's
// sessions: it decodes params once, enforces the LSP lifecycle, owns each
// request's context ($/cancelRequest, disconnect) and maps errors to
// JSON-RPC codes in one place. Handlers are thin; the work is in
// daemon/session and daemon/engine.
package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/daemon/transport"
	"github.com/switchboardpay/switchboard/protocol"
)

// Server dispatches requests of any number of connections to one set of
// sessions.
type Server struct {
	sessions   *session.Manager
	bus        *bus.Bus
	info       protocol.ServerInfo
	logger     *slog.Logger
	methods    map[string]handlerFunc
	connectors Connectors // connectors/add and connectors/list; nil answers an error
	// connectorRoot is where connectors/add over websocket may look; set
	// before serving (SetConnectorRoot).
	connectorRoot string

	inflight sync.WaitGroup // requests running on any connection
	stop     chan struct{}  // closed by Stop
	stopOnce sync.Once
}

// Stop makes every walk of every connection stop at its next page
// boundary; requests still run to their answer.
func (s *Server) Stop() { s.stopOnce.Do(func() { close(s.stop) }) }

// Drain stops walks and waits, until ctx ends, for every request to be
// answered. It reports whether all were.
func (s *Server) Drain(ctx context.Context) bool {
	s.Stop()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// New returns a server over sessions, publishing through b.
func New(sessions *session.Manager, b *bus.Bus, info protocol.ServerInfo, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{sessions: sessions, bus: b, info: info, logger: logger, stop: make(chan struct{})}
	s.methods = routes(handlers{s})
	return s
}

// Methods returns every method name the server answers, sorted.
func (s *Server) Methods() []string {
	out := []string{protocol.MethodInitialize, protocol.MethodShutdown}
	for m := range s.methods {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

type lifecycle int

const (
	stateNew lifecycle = iota
	stateInitialized
	stateShutdown
)

// conn is one client connection.
//
// Lock order: conn.mu is a leaf; nothing is called while holding it.
type conn struct {
	srv    *Server
	stream *transport.Stream
	rpc    *jsonrpc2.Conn
	sub    *bus.Subscriber
	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc
	exit   chan int      // receives the exit code of an exit notification
	ready  chan struct{} // closed once rpc is set
	stop   chan struct{} // closed by shutdown or Server.Stop: walks end between pages
	once   sync.Once
	wg     sync.WaitGroup

	mu               sync.Mutex
	state            lifecycle                          // guarded by mu
	inflight         map[jsonrpc2.ID]context.CancelFunc // guarded by mu
	cancelled        map[jsonrpc2.ID]bool               // ids the client cancelled; guarded by mu
	pageItems        bool                               // guarded by mu
	workDoneProgress bool                               // guarded by mu
	progress         map[string]*progress               // by token (compact JSON); guarded by mu
}

// Serve serves one connection until the peer goes away or sends exit, and
// returns the LSP exit code: 0 if shutdown came first, 1 otherwise. When it
// returns, the connection's requests are cancelled and finished.
func (s *Server) Serve(ctx context.Context, stream *transport.Stream) int {
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	c := &conn{
		stop: stop,
		srv:  s, stream: stream, ctx: ctx, cancel: cancel,
		exit:      make(chan int, 1),
		inflight:  map[jsonrpc2.ID]context.CancelFunc{},
		cancelled: map[jsonrpc2.ID]bool{},
		progress:  map[string]*progress{},
		pageItems: true,
	}
	stream.OnBadMessage = func(code int, err error) {
		s.logger.Debug("bad message answered", "code", code, "err", err)
	}
	c.sub = s.bus.NewSubscriber(stream.WriteRaw, true)
	defer s.bus.Join(c.sub)()
	c.ready = make(chan struct{})
	c.rpc = jsonrpc2.NewConn(ctx, stream, c, jsonrpc2.SetLogger(nopLogger{}))
	// NewConn starts reading at once; Handle waits for c.rpc to be set.
	close(c.ready)

	go func() {
		select {
		case <-s.stop:
			c.stopWalks()
		case <-ctx.Done():
		}
	}()
	code := 1
	select {
	case code = <-c.exit:
	case <-c.rpc.DisconnectNotify():
		c.mu.Lock()
		if c.state == stateShutdown {
			code = 0
		}
		c.mu.Unlock()
	case <-ctx.Done():
	}
	cancel()
	c.wg.Wait()
	s.bus.RemoveSubscriber(c.sub)
	c.sub.Close()
	_ = c.rpc.Close()
	return code
}

// shutdownWait bounds how long shutdown waits for requests in flight.
const shutdownWait = 30 * time.Second

func (c *conn) stopWalks() { c.once.Do(func() { close(c.stop) }) }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// Handle implements jsonrpc2.Handler. It runs on the connection's read
// loop: lifecycle messages are handled in order right here, other requests
// each get a goroutine so that $/cancelRequest can reach them.
func (c *conn) Handle(_ context.Context, rc *jsonrpc2.Conn, req *jsonrpc2.Request) {
	<-c.ready
	if req.Notif {
		c.notification(req)
		return
	}
	switch req.Method {
	case protocol.MethodInitialize:
		res, err := c.initialize(req)
		c.reply(c.ctx, req, res, err, false)
		return
	case protocol.MethodShutdown:
		c.mu.Lock()
		st := c.state
		if st == stateInitialized {
			c.state = stateShutdown
		}
		c.mu.Unlock()
		switch st {
		case stateNew:
			c.reply(c.ctx, req, nil, notInitialized(), false)
		case stateShutdown:
			c.reply(c.ctx, req, nil, shutDown(), false)
		default:
			// Per LSP the answer to shutdown means the server is done:
			// walks stop at their next page, the requests in flight are
			// answered (within shutdownWait), every write is durable, then
			// shutdown is answered. An editor may kill the process as soon
			// as it has sent exit (eglot: about 2 ms later).
			c.stopWalks()
			go func() {
				done := make(chan struct{})
				go func() { c.wg.Wait(); close(done) }()
				timeout := time.NewTimer(shutdownWait)
				defer timeout.Stop()
				select {
				case <-done:
				case <-timeout.C:
				case <-c.ctx.Done():
				}
				fctx, cancel := context.WithTimeout(c.ctx, shutdownWait)
				defer cancel()
				c.reply(c.ctx, req, nil, c.srv.sessions.Flush(fctx), false)
			}()
		}
		return
	}
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st == stateNew {
		c.reply(c.ctx, req, nil, notInitialized(), false)
		return
	}
	if st == stateShutdown {
		c.reply(c.ctx, req, nil, shutDown(), false)
		return
	}
	h, ok := c.srv.methods[req.Method]
	if !ok {
		c.reply(c.ctx, req, nil, &protocol.Error{Code: protocol.CodeMethodNotFound, Message: fmt.Sprintf("method %q not found", req.Method)}, false)
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.mu.Lock()
	c.inflight[req.ID] = cancel
	c.mu.Unlock()
	c.wg.Add(1)
	c.srv.inflight.Add(1)
	go func() {
		defer c.srv.inflight.Done()
		defer c.wg.Done()
		defer func() {
			c.mu.Lock()
			delete(c.inflight, req.ID)
			cancelled := c.cancelled[req.ID]
			delete(c.cancelled, req.ID)
			c.mu.Unlock()
			cancel()
			_ = cancelled
		}()
		res, err := c.call(ctx, h, req)
		c.mu.Lock()
		byClient := c.cancelled[req.ID]
		c.mu.Unlock()
		c.reply(ctx, req, res, err, byClient)
	}()
}

// call runs a handler with a last-resort recover: a bug in a handler must
// not take the daemon down with it.
func (c *conn) call(ctx context.Context, h handlerFunc, req *jsonrpc2.Request) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.logger.Error("handler panicked", "method", req.Method, "panic", fmt.Sprint(r))
			err = &protocol.Error{Code: protocol.CodeInternalError, Message: fmt.Sprintf("internal error in %s: %v", req.Method, r)}
		}
	}()
	var params json.RawMessage
	if req.Params != nil {
		params = *req.Params
	}
	return h(ctx, c, params)
}

func (c *conn) notification(req *jsonrpc2.Request) {
	switch req.Method {
	case protocol.MethodExit:
		c.mu.Lock()
		code := 1
		if c.state == stateShutdown {
			code = 0
		}
		c.mu.Unlock()
		select {
		case c.exit <- code:
		default:
		}
	case protocol.MethodCancelRequest:
		var p struct {
			ID jsonrpc2.ID `json:"id"`
		}
		if req.Params == nil || json.Unmarshal(*req.Params, &p) != nil {
			return
		}
		c.mu.Lock()
		cancel, ok := c.inflight[p.ID]
		if ok {
			c.cancelled[p.ID] = true
		}
		c.mu.Unlock()
		if ok {
			cancel()
		}
	case protocol.MethodWorkDoneProgressCancel:
		var p protocol.WorkDoneProgressCancelParams
		if req.Params == nil || json.Unmarshal(*req.Params, &p) != nil || len(p.Token) == 0 {
			return
		}
		c.cancelProgress(p.Token)
	default:
		// initialized and unknown notifications need no answer.
	}
}

func (c *conn) initialize(req *jsonrpc2.Request) (any, error) {
	var p protocol.InitializeParams
	if req.Params != nil {
		if err := decodeParams(*req.Params, &p); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateNew {
		return nil, &protocol.Error{Code: protocol.CodeInvalidRequest, Message: "initialize was already received"}
	}
	c.state = stateInitialized
	if p.Capabilities != nil {
		c.workDoneProgress = p.Capabilities.ProgressWanted()
		if p.Capabilities.PageItems != nil && !*p.Capabilities.PageItems {
			c.pageItems = false
		}
	}
	c.sub.SetPageItems(c.pageItems)
	res := protocol.InitializeResult{
		ServerInfo:      c.srv.info,
		ProtocolVersion: protocol.Version,
		Capabilities: protocol.ServerCapabilities{
			Resources: protocol.Resources,
			Methods:   c.srv.Methods(),
		},
	}
	if base := c.srv.sessions.WebhookBase(); base != "" {
		res.Webhooks = &protocol.WebhookIngress{BaseURL: base}
	}
	return res, nil
}

// reply sends the result or the coded error of a request. Every answer is
// written here, with the id exactly as the client sent it (see
// transport.Stream.ReplyID).
func (c *conn) reply(ctx context.Context, req *jsonrpc2.Request, res any, err error, cancelledByClient bool) {
	if err == nil && cancelledByClient {
		// The work finished, but the client asked to cancel: LSP lets us
		// answer either way; the result is more useful.
		cancelledByClient = false
	}
	id := c.stream.ReplyID(req.ID)
	buf := make([]byte, 0, 4096)
	buf = append(buf, `{"jsonrpc":"2.0","id":`...)
	buf = append(buf, id...)
	switch rr, raw := res.(rawResult); {
	case err != nil:
		b, merr := json.Marshal(c.srv.redactError(toRPCError(ctx, err, cancelledByClient)))
		if merr != nil {
			b, _ = json.Marshal(&jsonrpc2.Error{Code: protocol.CodeInternalError, Message: "internal error: encode error: " + merr.Error()})
		}
		buf = append(buf, `,"error":`...)
		buf = append(buf, b...)
	case raw:
		buf = append(buf, `,"result":`...)
		buf = rr.AppendJSON(buf)
	default:
		member := `,"result":`
		b, merr := json.Marshal(c.srv.redactResult(req.Params, res))
		if merr != nil {
			member = `,"error":`
			b, _ = json.Marshal(&jsonrpc2.Error{Code: protocol.CodeInternalError, Message: "internal error: encode result: " + merr.Error()})
		}
		buf = append(buf, member...)
		buf = append(buf, b...)
	}
	buf = append(buf, '}')
	if werr := c.stream.WriteRaw(buf); werr != nil {
		c.srv.logger.Debug("reply failed", "method", req.Method, "err", werr)
	}
}

// flush waits, briefly, until the notifications queued for this connection
// are written, so that a result arrives after the pages it caused.
func (c *conn) flush() {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	_ = c.sub.Flush(ctx)
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

func notInitialized() error {
	return &protocol.Error{Code: protocol.CodeNotInitialized, Message: "server not initialized: send initialize first"}
}

func shutDown() error {
	return &protocol.Error{Code: protocol.CodeInvalidRequest, Message: "server is shut down: only exit is accepted"}
}

// toRPCError maps any error of a handler to a JSON-RPC error: the one
// place where codes are decided.
func toRPCError(ctx context.Context, err error, cancelledByClient bool) *jsonrpc2.Error {
	if cancelledByClient || (ctx.Err() != nil && errors.Is(err, context.Canceled)) {
		return &jsonrpc2.Error{Code: protocol.CodeRequestCancelled, Message: "request cancelled"}
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		e := &jsonrpc2.Error{Code: pe.Code, Message: pe.Message}
		if pe.Data != nil {
			e.SetError(pe.Data)
		}
		return e
	}
	switch {
	case errors.Is(err, store.ErrFull):
		return &jsonrpc2.Error{Code: protocol.CodeStoreFull, Message: err.Error()}
	case errors.Is(err, store.ErrDamaged):
		return &jsonrpc2.Error{Code: protocol.CodeStoreDamaged, Message: err.Error()}
	}
	return &jsonrpc2.Error{Code: protocol.CodeInternalError, Message: fmt.Sprintf("internal error: %v", err)}
}
