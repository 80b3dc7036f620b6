package connrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/switchboardpay/switchboard/internal/rpc"
)

// DefaultMaxMessageSize caps one incoming message: the one limit of every
// JSON-RPC end (internal/rpc).
const DefaultMaxMessageSize = rpc.DefaultMaxMessageSize

// Error is a JSON-RPC error, sent or received.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// ErrClosed is returned by Call once the peer's input has ended.
var ErrClosed = errors.New("connection closed")

// Handler answers one incoming request. A returned *Error is sent as is;
// any other error becomes CodeInternal.
type Handler func(ctx context.Context, id json.RawMessage, method string, params json.RawMessage) (any, error)

// NotifyHandler receives one incoming notification. It runs on the read
// loop, so notifications are seen in order and before any response that
// follows them.
type NotifyHandler func(method string, params json.RawMessage)

// Peer is one end of a JSON-RPC 2.0 connection with LSP framing. Either
// end may call the other; $/cancelRequest cancels the context of the
// incoming request it names.
type Peer struct {
	f      rpc.Framer // LSP framing, internal/rpc's
	wmu    sync.Mutex // serialises writes
	handle Handler
	notify NotifyHandler

	mu       sync.Mutex
	nextID   int64
	pending  map[int64]*pendingCall        // guarded by mu
	inflight map[string]context.CancelFunc // incoming requests by id; guarded by mu
	err      error                         // why the read loop ended; guarded by mu
	done     chan struct{}
	wg       sync.WaitGroup
}

type pendingCall struct {
	ctx context.Context
	ch  chan *inMessage
}

type inMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// NewPeer returns a peer reading r and writing w. handle may be nil (every
// request answers method not found), notify too.
func NewPeer(r io.Reader, w io.Writer, handle Handler, notify NotifyHandler) *Peer {
	return &Peer{
		f: rpc.NewLSP(r, w, nil, DefaultMaxMessageSize), handle: handle, notify: notify,
		pending: map[int64]*pendingCall{}, inflight: map[string]context.CancelFunc{},
		done: make(chan struct{}),
	}
}

// Done is closed when the read loop has ended.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err returns why the read loop ended (io.EOF for a clean end of input).
func (p *Peer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Run reads and dispatches messages until the input ends or is not valid
// framed JSON-RPC, then fails every pending call, cancels every incoming
// request, waits for their handlers and returns the reason.
func (p *Peer) Run(ctx context.Context) error {
	err := p.loop(ctx)
	p.mu.Lock()
	p.err = err
	pend := p.pending
	p.pending = map[int64]*pendingCall{}
	for _, c := range p.inflight {
		c()
	}
	p.mu.Unlock()
	for _, pc := range pend {
		close(pc.ch)
	}
	close(p.done)
	p.wg.Wait()
	return err
}

func (p *Peer) loop(ctx context.Context) error {
	for {
		body, err := p.f.ReadMessage()
		if err != nil {
			return err
		}
		var m inMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return fmt.Errorf("invalid JSON in message: %v: %.200q", err, body)
		}
		hasID := len(m.ID) > 0 && string(m.ID) != "null"
		switch {
		case m.Method != "" && hasID:
			p.serveRequest(ctx, m)
		case m.Method != "":
			if m.Method == MethodCancelRequest {
				var cp CancelParams
				if json.Unmarshal(m.Params, &cp) == nil {
					p.mu.Lock()
					if c := p.inflight[idKey(cp.ID)]; c != nil {
						c()
					}
					p.mu.Unlock()
				}
				continue
			}
			if p.notify != nil {
				p.notify(m.Method, m.Params)
			}
		case hasID:
			id, err := strconv.ParseInt(string(m.ID), 10, 64)
			if err != nil {
				continue // not one of ours
			}
			p.mu.Lock()
			pc := p.pending[id]
			delete(p.pending, id)
			p.mu.Unlock()
			if pc != nil {
				pc.ch <- &m
			}
		default:
			return fmt.Errorf("message is neither a request, a notification nor a response: %.200q", body)
		}
	}
}

func idKey(id json.RawMessage) string { return string(bytes.TrimSpace(id)) }

func (p *Peer) serveRequest(ctx context.Context, m inMessage) {
	rctx, cancel := context.WithCancel(ctx)
	key := idKey(m.ID)
	p.mu.Lock()
	p.inflight[key] = cancel
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() {
			p.mu.Lock()
			delete(p.inflight, key)
			p.mu.Unlock()
			cancel()
		}()
		var (
			res any
			err error
		)
		if p.handle == nil {
			err = &Error{Code: CodeMethodNotFound, Message: "method not found: " + m.Method}
		} else {
			res, err = p.handle(rctx, m.ID, m.Method, m.Params)
		}
		_ = p.respond(m.ID, res, err)
	}()
}

func (p *Peer) respond(id json.RawMessage, res any, err error) error {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: CodeInternal, Message: err.Error()}
		}
		return p.write(struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Error   *Error          `json:"error"`
		}{"2.0", id, e})
	}
	raw, merr := json.Marshal(res)
	if merr != nil {
		return p.respond(id, nil, &Error{Code: CodeInternal, Message: "encoding the result: " + merr.Error()})
	}
	return p.write(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  json.RawMessage `json:"result"`
	}{"2.0", id, raw})
}

// Notify sends a notification.
func (p *Peer) Notify(method string, params any) error {
	return p.write(struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params"`
	}{"2.0", method, params})
}

// Call sends a request and decodes its result into result (which may be
// nil). When ctx ends first, Call sends $/cancelRequest and returns
// ctx.Err() at once; a late answer is dropped. A JSON-RPC error answer is
// returned as *Error; ErrClosed (wrapped) means the input ended first.
func (p *Peer) Call(ctx context.Context, method string, params, result any) error {
	p.mu.Lock()
	if p.err != nil {
		err := p.err
		p.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	p.nextID++
	id := p.nextID
	pc := &pendingCall{ctx: ctx, ch: make(chan *inMessage, 1)}
	p.pending[id] = pc
	p.mu.Unlock()
	forget := func() {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
	}
	if err := p.write(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      int64  `json:"id"`
		Method  string `json:"method"`
		Params  any    `json:"params"`
	}{"2.0", id, method, params}); err != nil {
		forget()
		return fmt.Errorf("%w: writing %s: %v", ErrClosed, method, err)
	}
	select {
	case m, ok := <-pc.ch:
		if !ok {
			return fmt.Errorf("%w: %v", ErrClosed, p.Err())
		}
		if m.Error != nil {
			return m.Error
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				return fmt.Errorf("decoding the result of %s: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		forget()
		_ = p.Notify(MethodCancelRequest, CancelParams{ID: json.RawMessage(strconv.FormatInt(id, 10))})
		return ctx.Err()
	}
}

// CallContext returns the context of the outgoing call whose id is id,
// or nil: notifications that name a request are attributed with it.
func (p *Peer) CallContext(id json.RawMessage) context.Context {
	n, err := strconv.ParseInt(idKey(id), 10, 64)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc := p.pending[n]; pc != nil {
		return pc.ctx
	}
	return nil
}

func (p *Peer) write(v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.f.WriteMessage(body)
}
