package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/protocol"
)

// Connector is a session's proxy to its connector process. It implements
// every capability interface and reports the real ones through
// Capabilities; calls are forwarded with their context (its cancellation
// becomes $/cancelRequest). Calls hold a read lock on the child for their
// whole length: a restart (after a crash, a timeout or a swap of the
// command) takes the write lock, so it waits for the calls in flight,
// which finish on the old process.
type Connector struct {
	l        *Launcher
	provider string
	config   json.RawMessage
	env      connector.Env
	rec      *capture.Recorder

	mu       sync.RWMutex
	ch       *child             // guarded by mu
	gen      uint64             // generation of ch's command; guarded by mu
	caps     []string           // guarded by mu
	installs bool               // guarded by mu
	open     connrpc.OpenResult // the child's answer to connector/open; guarded by mu
	closed   bool               // guarded by mu
	retired  map[*child]bool    // replaced children still pinned by a run; guarded by mu

	idle idleStop // stops the child when no call came for a while (idle.go)
}

var (
	_ connector.AccountsFetcher         = (*Connector)(nil)
	_ connector.BalancesFetcher         = (*Connector)(nil)
	_ connector.ExternalAccountsFetcher = (*Connector)(nil)
	_ connector.PaymentsFetcher         = (*Connector)(nil)
	_ connector.OthersFetcher           = (*Connector)(nil)
	_ connector.BankAccountCreator      = (*Connector)(nil)
	_ connector.TransferCreator         = (*Connector)(nil)
	_ connector.TransferPoller          = (*Connector)(nil)
	_ connector.TransferReverser        = (*Connector)(nil)
	_ connector.PayoutCreator           = (*Connector)(nil)
	_ connector.PayoutPoller            = (*Connector)(nil)
	_ connector.PayoutReverser          = (*Connector)(nil)
	_ connector.OrdersFetcher           = (*Connector)(nil)
	_ connector.ConversionsFetcher      = (*Connector)(nil)
	_ connector.Installer               = (*Connector)(nil)
	_ connector.Uninstaller             = (*Connector)(nil)
	_ connector.Bootstrapper            = (*Connector)(nil)
	_ connector.PayoutThrottler         = (*Connector)(nil)
	_ driver.WireFetcher                = (*Connector)(nil)
	_ driver.Declarer                   = (*Connector)(nil)
)

// recorderOf finds the session's capture recorder behind the Env's client.
func recorderOf(env connector.Env) *capture.Recorder {
	if env.HTTPClient == nil {
		return nil
	}
	if t, ok := env.HTTPClient.Transport.(*capture.Transport); ok {
		return t.Rec
	}
	return nil
}

// Capabilities reports the capabilities the child declared when opened.
func (c *Connector) Capabilities() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string(nil), c.caps...)
}

// Installs reports whether the child has a real task tree.
func (c *Connector) Installs() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.installs
}

// Pid returns the process id of the session's child, or 0 when none runs.
func (c *Connector) Pid() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ch == nil || !c.ch.alive() {
		return 0
	}
	return c.ch.pid()
}

// Close stops the child (its process group included).
func (c *Connector) Close() error {
	c.mu.Lock()
	c.closed = true
	ch := c.ch
	c.ch = nil
	retired := c.retired
	c.retired = nil
	c.mu.Unlock()
	for r := range retired {
		r.kill()
	}
	c.idle.stop()
	c.l.mu.Lock()
	delete(c.l.live, c)
	c.l.mu.Unlock()
	if ch != nil {
		ch.stop(500 * time.Millisecond)
	}
	return nil
}

var errClosed = errors.New("remote connector is closed")

// restart (re)starts the child on the launcher's current command and opens
// it with the session's config. The caller holds no lock.
func (c *Connector) restart(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.restartLocked(ctx)
}

func (c *Connector) restartLocked(ctx context.Context) error {
	if c.closed {
		return errClosed
	}
	if c.ch != nil {
		if c.ch.refs.Load() > 0 && c.ch.alive() {
			// A run still uses it: it is stopped when the run ends.
			if c.retired == nil {
				c.retired = map[*child]bool{}
			}
			c.retired[c.ch] = true
		} else {
			c.ch.stop(200 * time.Millisecond)
		}
		c.ch = nil
	}
	command, gen := c.l.current()
	ch, err := startChild(command, c.l.dir, c.l.opts.Env, c.logStderr, c.onNotify, c.onRequest)
	if err != nil {
		return err
	}
	if _, err := c.l.handshake(ctx, ch); err != nil {
		ch.kill()
		return err
	}
	octx, cancel := context.WithTimeout(ctx, c.l.opts.HandshakeTimeout)
	defer cancel()
	var res connrpc.OpenResult
	if err := ch.peer.Call(octx, connrpc.MethodOpen, connrpc.OpenParams{Config: c.config}, &res); err != nil {
		ch.kill()
		var re *connrpc.Error
		if errors.As(err, &re) && re.Code == connrpc.CodeInvalidParams {
			var data connrpc.ErrorData
			_ = json.Unmarshal(re.Data, &data)
			ce := &connector.ConfigError{}
			for _, f := range data.Errors {
				ce.Fields = append(ce.Fields, connector.FieldError{Field: f.Field, Message: f.Message})
			}
			if len(ce.Fields) == 0 {
				ce.Fields = []connector.FieldError{{Message: re.Message}}
			}
			return ce
		}
		return c.callError(ctx, octx, ch, connrpc.MethodOpen, err)
	}
	c.ch, c.gen = ch, gen
	if res.Capabilities != nil {
		c.caps = res.Capabilities
	} else {
		c.caps = c.l.Info().Capabilities
	}
	c.installs = res.Installs
	c.open = res
	return nil
}

// logStderr passes a line of the child's stderr to the session's logs.
func (c *Connector) logStderr(line string) {
	if line != "" {
		c.env.Logger.Info(line, "stream", "stderr")
	}
}

// onNotify handles the child's notifications, on its read loop: an
// exchange is recorded before the response of the call that made it.
func (c *Connector) onNotify(peer *connrpc.Peer, method string, params json.RawMessage) {
	switch method {
	case connrpc.NotifyLog:
		var p connrpc.LogParams
		if json.Unmarshal(params, &p) != nil {
			return
		}
		attrs := make([]slog.Attr, 0, len(p.Fields))
		for k, v := range p.Fields {
			attrs = append(attrs, slog.Any(k, v))
		}
		c.env.Logger.LogAttrs(context.Background(), parseLevel(p.Level), p.Message, attrs...)
	case connrpc.NotifyHTTPExchange:
		var p connrpc.HTTPExchangeParams
		if json.Unmarshal(params, &p) != nil {
			return
		}
		if p.Request.Headers == nil {
			p.Request.Headers = map[string][]string{}
		}
		if p.Response != nil && p.Response.Headers == nil {
			p.Response.Headers = map[string][]string{}
		}
		ctx := context.Background()
		if len(p.RequestID) > 0 {
			if cc := peer.CallContext(p.RequestID); cc != nil {
				ctx = cc
			}
		}
		ex := protocol.HTTPExchangeParams{Request: p.Request, Response: p.Response, DurationMs: p.DurationMs, Error: p.Error}
		if c.rec != nil {
			c.rec.Record(ctx, ex)
		}
	}
}

func parseLevel(s string) slog.Level {
	switch s {
	case "debug", "DEBUG", "trace":
		return slog.LevelDebug
	case "warn", "WARN", "warning":
		return slog.LevelWarn
	case "error", "ERROR", "fatal":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// acquire returns a live child on the current command, read-locked; the
// caller calls release when its call is done.
func (c *Connector) acquire(ctx context.Context) (ch *child, release func(), err error) {
	r := runFrom(ctx)
	if r != nil {
		c.mu.RLock()
		if !c.closed {
			if ch := r.pinned(c); ch != nil {
				return ch, c.mu.RUnlock, nil
			}
		}
		c.mu.RUnlock()
	}
	for {
		c.mu.RLock()
		if c.closed {
			c.mu.RUnlock()
			return nil, nil, errClosed
		}
		_, gen := c.l.current()
		if c.ch != nil && c.ch.alive() && c.gen == gen {
			if r != nil {
				r.pin(c, c.ch)
			}
			return c.ch, c.mu.RUnlock, nil
		}
		c.mu.RUnlock()
		c.mu.Lock()
		_, gen = c.l.current()
		if c.closed || c.ch == nil || !c.ch.alive() || c.gen != gen {
			if err := c.restartLocked(ctx); err != nil {
				c.mu.Unlock()
				return nil, nil, err
			}
		}
		c.mu.Unlock()
	}
}

// call forwards one capability call.
func (c *Connector) call(ctx context.Context, method string, params, result any) error {
	ch, release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	c.idle.calls.Add(1)
	defer func() {
		release()
		c.idle.calls.Add(-1)
		c.used()
	}()
	cctx, cancel := context.WithTimeout(ctx, c.l.opts.CallTimeout)
	defer cancel()
	err = ch.peer.Call(cctx, method, params, result)
	if err == nil {
		return nil
	}
	return c.callError(ctx, cctx, ch, method, err)
}

// callError maps a failed call: the child's own errors keep their code and
// data; a dead child is reported with its stderr; a call past its timeout
// kills the child.
func (c *Connector) callError(ctx, cctx context.Context, ch *child, method string, err error) error {
	var re *connrpc.Error
	switch {
	case errors.As(err, &re):
		return c.fromRPCError(method, re)
	case ctx.Err() != nil:
		return ctx.Err()
	case cctx.Err() != nil:
		ch.kill()
		return &connector.Error{Retryable: true, Message: fmt.Sprintf("%s: no answer within %s; the connector process was killed and restarts on the next call (%s)", method, c.l.opts.CallTimeout, ch.death())}
	case errors.Is(err, connrpc.ErrClosed):
		ch.kill()
		return &connector.Error{Retryable: true, Message: fmt.Sprintf("%s: %s; it restarts on the next call", method, ch.death())}
	}
	return err
}

func (c *Connector) fromRPCError(method string, re *connrpc.Error) error {
	var data connrpc.ErrorData
	if len(re.Data) > 0 {
		_ = json.Unmarshal(re.Data, &data)
	}
	switch re.Code {
	case connrpc.CodeConnectorPanicked:
		return &protocol.Error{Code: protocol.CodeConnectorPanicked, Message: fmt.Sprintf("connector %s panicked: %s", c.provider, re.Message),
			Data: protocol.PanicData{Provider: c.provider, Operation: method}}
	case connrpc.CodeRequestCancelled:
		return context.Canceled
	case connrpc.CodeNotImplemented:
		return fmt.Errorf("%s: %s: %w", method, re.Message, connector.ErrNotImplemented)
	}
	e := &connector.Error{HTTPStatus: data.HTTPStatus, Message: re.Message}
	if data.Retryable != nil {
		e.Retryable = *data.Retryable
	}
	if data.InvalidState {
		e.Err = connector.ErrInvalidState
	}
	return e
}

func fetchRemote[T, W any](c *Connector, ctx context.Context, resource string, req connector.FetchRequest, conv func(W) (T, error)) (connector.Page[T], error) {
	var res connrpc.FetchResult
	err := c.call(ctx, connrpc.MethodFetch, connrpc.FetchParams{Resource: resource, State: req.State, FromPayload: req.FromPayload, Name: req.Name, PageSize: req.PageSize}, &res)
	if err != nil {
		return connector.Page[T]{}, err
	}
	var wire []W
	if len(res.Items) > 0 && string(res.Items) != "null" {
		if err := json.Unmarshal(res.Items, &wire); err != nil {
			return connector.Page[T]{}, fmt.Errorf("connector returned invalid %s items: %w", resource, err)
		}
	}
	page := connector.Page[T]{Items: make([]T, len(wire)), NewState: res.NewState, HasMore: res.HasMore,
		PaymentsToDelete: res.PaymentsToDelete, PaymentsToCancel: res.PaymentsToCancel}
	for i := range wire {
		if page.Items[i], err = conv(wire[i]); err != nil {
			return connector.Page[T]{}, fmt.Errorf("connector returned an invalid item %d: %w", i, err)
		}
	}
	return page, nil
}

func noErr[W, T any](f func(W) T) func(W) (T, error) {
	return func(w W) (T, error) { return f(w), nil }
}

// FetchAccounts implements connector.AccountsFetcher.
func (c *Connector) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	return fetchRemote(c, ctx, protocol.ResourceAccounts, req, noErr(wire.AccountFromWire))
}

// FetchExternalAccounts implements connector.ExternalAccountsFetcher.
func (c *Connector) FetchExternalAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	return fetchRemote(c, ctx, protocol.ResourceExternalAccounts, req, noErr(wire.AccountFromWire))
}

// FetchBalances implements connector.BalancesFetcher.
func (c *Connector) FetchBalances(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Balance], error) {
	return fetchRemote(c, ctx, protocol.ResourceBalances, req, wire.BalanceFromWire)
}

// FetchPayments implements connector.PaymentsFetcher.
func (c *Connector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	return fetchRemote(c, ctx, protocol.ResourcePayments, req, wire.PaymentFromWire)
}

// FetchOthers implements connector.OthersFetcher.
func (c *Connector) FetchOthers(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Other], error) {
	return fetchRemote(c, ctx, protocol.ResourceOthers, req, noErr(wire.OtherFromWire))
}

// Install implements connector.Installer.
func (c *Connector) Install(ctx context.Context) ([]connector.Task, error) {
	var res connrpc.InstallResult
	if err := c.call(ctx, connrpc.MethodInstall, struct{}{}, &res); err != nil {
		return nil, err
	}
	return wire.TasksFromWire(res.Tasks), nil
}

// CreateBankAccount implements connector.BankAccountCreator.
func (c *Connector) CreateBankAccount(ctx context.Context, ba connector.BankAccount) (connector.Account, error) {
	var res connrpc.BankAccountResult
	if err := c.call(ctx, connrpc.MethodCreateBankAccount, connrpc.BankAccountParams{BankAccount: wire.BankAccountToWire(ba)}, &res); err != nil {
		return connector.Account{}, err
	}
	return wire.AccountFromWire(res.Account), nil
}

func (c *Connector) initiate(ctx context.Context, method string, in connector.Initiation) (connector.InitiationResult, error) {
	var res protocol.InitiationResult
	if err := c.call(ctx, method, connrpc.InitiationParams{Initiation: wire.InitiationToWire(in)}, &res); err != nil {
		return connector.InitiationResult{}, err
	}
	return wire.InitiationResultFromWire(res)
}

func (c *Connector) poll(ctx context.Context, method, id string) (connector.PollResult, error) {
	var res protocol.PollResult
	if err := c.call(ctx, method, connrpc.PollParams{PollingID: id}, &res); err != nil {
		return connector.PollResult{}, err
	}
	return wire.PollResultFromWire(res)
}

func (c *Connector) reverse(ctx context.Context, method string, r connector.Reversal) (connector.Payment, error) {
	var res connrpc.ReverseResult
	if err := c.call(ctx, method, connrpc.ReverseParams{Reversal: wire.ReversalToWire(r)}, &res); err != nil {
		return connector.Payment{}, err
	}
	return wire.PaymentFromWire(res.Payment)
}

// CreateTransfer implements connector.TransferCreator.
func (c *Connector) CreateTransfer(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	return c.initiate(ctx, connrpc.MethodCreateTransfer, in)
}

// CreatePayout implements connector.PayoutCreator.
func (c *Connector) CreatePayout(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	return c.initiate(ctx, connrpc.MethodCreatePayout, in)
}

// PollTransfer implements connector.TransferPoller.
func (c *Connector) PollTransfer(ctx context.Context, id string) (connector.PollResult, error) {
	return c.poll(ctx, connrpc.MethodPollTransfer, id)
}

// PollPayout implements connector.PayoutPoller.
func (c *Connector) PollPayout(ctx context.Context, id string) (connector.PollResult, error) {
	return c.poll(ctx, connrpc.MethodPollPayout, id)
}

// ReverseTransfer implements connector.TransferReverser.
func (c *Connector) ReverseTransfer(ctx context.Context, r connector.Reversal) (connector.Payment, error) {
	return c.reverse(ctx, connrpc.MethodReverseTransfer, r)
}

// ReversePayout implements connector.PayoutReverser.
func (c *Connector) ReversePayout(ctx context.Context, r connector.Reversal) (connector.Payment, error) {
	return c.reverse(ctx, connrpc.MethodReversePayout, r)
}

// FetchOrders implements connector.OrdersFetcher.
func (c *Connector) FetchOrders(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Order], error) {
	return fetchRemote(c, ctx, protocol.ResourceOrders, req, wire.OrderFromWire)
}

// FetchConversions implements connector.ConversionsFetcher.
func (c *Connector) FetchConversions(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Conversion], error) {
	return fetchRemote(c, ctx, protocol.ResourceConversions, req, wire.ConversionFromWire)
}

// Uninstall implements connector.Uninstaller: it calls connector/uninstall
// when the child said at open that it uninstalls.
func (c *Connector) Uninstall(ctx context.Context) error {
	c.mu.RLock()
	has := c.open.Uninstalls
	c.mu.RUnlock()
	if !has {
		return nil
	}
	return c.call(ctx, connrpc.MethodUninstall, struct{}{}, nil)
}

// BootstrapOnInstall implements connector.Bootstrapper with what the child
// declared at open.
func (c *Connector) BootstrapOnInstall() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string(nil), c.open.BootstrapOnInstall...)
}

// PayoutsPerSecond implements connector.PayoutThrottler with what the
// child declared at open (0: no throttle).
func (c *Connector) PayoutsPerSecond() float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.open.PayoutsPerSecond
}

// FetchWire implements driver.WireFetcher: the child's page as it came,
// for the engine to decode once.
func (c *Connector) FetchWire(ctx context.Context, resource string, req connector.FetchRequest) (connrpc.FetchResult, error) {
	var res connrpc.FetchResult
	err := c.call(ctx, connrpc.MethodFetch, connrpc.FetchParams{Resource: resource, State: req.State, FromPayload: req.FromPayload, Name: req.Name, PageSize: req.PageSize}, &res)
	return res, err
}
