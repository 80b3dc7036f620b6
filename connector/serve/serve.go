// Package serve runs a connector as a process of its own: the child side of
// Switchboard's connector protocol (docs/connector-protocol.md). A
// connector module's main is one line:
//
//	func main() { serve.Main(myconnector.Provider) }
//
// The daemon starts the process, handshakes, opens it with the session's
// config and calls its capabilities over stdin and stdout. The connector's
// logs (the Env's Logger) and HTTP exchanges (the Env's HTTPClient) are
// forwarded to the daemon, which redacts and publishes them; the daemon's
// $/cancelRequest cancels the call's context.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/protocol"
)

// Main serves p on the process's stdin and stdout and exits: 0 when the
// daemon closes stdin, 1 on a protocol error. Anything the connector
// prints to os.Stdout goes to stderr instead, so that stdout carries only
// protocol messages.
func Main(p *connector.Provider) {
	out := os.Stdout
	os.Stdout = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, p, os.Stdin, out)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Run serves p on in and out until in ends (nil) or carries something
// that is not the protocol (an error), or ctx is done.
func Run(ctx context.Context, p *connector.Provider, in io.Reader, out io.Writer) error {
	s := &server{p: p}
	s.peer = connrpc.NewPeer(in, out, s.handle, nil)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		if c, ok := in.(io.Closer); ok {
			_ = c.Close()
		}
	}()
	err := s.peer.Run(ctx)
	s.closeConn()
	if errors.Is(err, io.EOF) || ctx.Err() != nil {
		return nil
	}
	return err
}

type server struct {
	p    *connector.Provider
	peer *connrpc.Peer

	mu         sync.Mutex
	handshaken bool                // guarded by mu
	daemonHTTP bool                // the daemon makes our HTTP requests (connector/httpRequest); guarded by mu
	conn       connector.Connector // guarded by mu
}

func (s *server) closeConn() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if cl, ok := c.(io.Closer); ok {
		_ = cl.Close()
	}
}

// requestIDKey carries the daemon request a connector call serves. It is
// a context value because the one that reads it is the connector's
// http.RoundTripper (forward.go, daemonhttp.go), which gets only the
// request the connector made.
type requestIDKey struct{}

func (s *server) handle(ctx context.Context, id json.RawMessage, method string, params json.RawMessage) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "connector panicked in %s: %v\n%s", method, r, debug.Stack())
			res, err = nil, &connrpc.Error{Code: connrpc.CodeConnectorPanicked, Message: fmt.Sprintf("connector panicked in %s: %v", method, r)}
		}
	}()
	ctx = context.WithValue(ctx, requestIDKey{}, id)
	switch method {
	case connrpc.MethodHandshake:
		var hp connrpc.HandshakeParams
		if err := decode(params, &hp); err != nil {
			return nil, err
		}
		if hp.ProtocolVersion != connrpc.ProtocolVersion {
			return nil, &connrpc.Error{Code: connrpc.CodeInvalidRequest, Message: fmt.Sprintf("connector protocol version %q is not supported: this connector speaks version %q", hp.ProtocolVersion, connrpc.ProtocolVersion)}
		}
		s.mu.Lock()
		s.handshaken = true
		s.daemonHTTP = hp.Daemon.HTTP
		s.mu.Unlock()
		caps := s.p.Capabilities()
		if caps == nil {
			caps = []string{}
		}
		return connrpc.HandshakeResult{ProtocolVersion: connrpc.ProtocolVersion, Provider: connrpc.ProviderInfo{
			Name: s.p.Name, Description: s.p.Info.Description, DefaultPageSize: s.p.Info.DefaultPageSize,
			Capabilities: caps, ConfigSchema: s.p.ConfigSchema(),
		}}, nil
	case connrpc.MethodOpen:
		s.mu.Lock()
		ok := s.handshaken
		s.mu.Unlock()
		if !ok {
			return nil, &connrpc.Error{Code: connrpc.CodeNotOpen, Message: "connector/open before connector/handshake"}
		}
		var op connrpc.OpenParams
		if err := decode(params, &op); err != nil {
			return nil, err
		}
		return s.open(ctx, op.Config)
	}
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return nil, &connrpc.Error{Code: connrpc.CodeNotOpen, Message: method + " before connector/open"}
	}
	res, err = dispatch(ctx, c, method, params)
	if err != nil {
		return nil, toRPCError(ctx, err)
	}
	return res, nil
}

func (s *server) open(ctx context.Context, config json.RawMessage) (any, error) {
	s.closeConn()
	s.mu.Lock()
	viaDaemon := s.daemonHTTP
	s.mu.Unlock()
	var transport http.RoundTripper = &forwardTransport{base: http.DefaultTransport.(*http.Transport).Clone(), peer: s.peer}
	if viaDaemon {
		transport = &daemonTransport{peer: s.peer}
	}
	env := connector.Env{
		HTTPClient: &http.Client{Transport: transport},
		Logger:     slog.New(&logHandler{peer: s.peer}),
	}
	c, err := s.p.Open(ctx, config, env)
	if err != nil {
		var ce *connector.ConfigError
		if errors.As(err, &ce) {
			data := connrpc.ErrorData{}
			for _, f := range ce.Fields {
				data.Errors = append(data.Errors, connrpc.FieldError{Field: f.Field, Message: f.Message})
			}
			raw, _ := json.Marshal(data)
			return nil, &connrpc.Error{Code: connrpc.CodeInvalidParams, Message: ce.Error(), Data: raw}
		}
		return nil, toRPCError(ctx, err)
	}
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	d := driver.Open(c, driver.Opts{})
	res := connrpc.OpenResult{Capabilities: d.Capabilities(), Installs: d.Installer != nil}
	if b, ok := c.(connector.Bootstrapper); ok {
		res.BootstrapOnInstall = b.BootstrapOnInstall()
	}
	if t, ok := c.(connector.PayoutThrottler); ok {
		res.PayoutsPerSecond = t.PayoutsPerSecond()
	}
	_, res.Uninstalls = c.(connector.Uninstaller)
	return res, nil
}

func decode(params json.RawMessage, v any) error {
	if len(params) == 0 || string(params) == "null" {
		return nil
	}
	if err := json.Unmarshal(params, v); err != nil {
		return &connrpc.Error{Code: connrpc.CodeInvalidParams, Message: "invalid params: " + err.Error()}
	}
	return nil
}

// toRPCError maps a connector's error to the wire.
func toRPCError(ctx context.Context, err error) error {
	var re *connrpc.Error
	if errors.As(err, &re) {
		return re
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return &connrpc.Error{Code: connrpc.CodeRequestCancelled, Message: "request cancelled"}
	}
	if errors.Is(err, connector.ErrNotImplemented) {
		return &connrpc.Error{Code: connrpc.CodeNotImplemented, Message: err.Error()}
	}
	data := connrpc.ErrorData{InvalidState: errors.Is(err, connector.ErrInvalidState)}
	var ce *connector.Error
	if errors.As(err, &ce) {
		data.HTTPStatus = ce.HTTPStatus
		r := ce.Retryable
		data.Retryable = &r
	}
	raw, _ := json.Marshal(data)
	return &connrpc.Error{Code: connrpc.CodeConnectorError, Message: err.Error(), Data: raw}
}

func unsupported(capability string) error {
	return &connrpc.Error{Code: connrpc.CodeCapabilityUnsupported, Message: "capability not supported: " + capability}
}

func dispatch(ctx context.Context, c connector.Connector, method string, params json.RawMessage) (any, error) {
	switch method {
	case connrpc.MethodFetch:
		var fp connrpc.FetchParams
		if err := decode(params, &fp); err != nil {
			return nil, err
		}
		req := connector.FetchRequest{State: nullToNil(fp.State), FromPayload: nullToNil(fp.FromPayload), Name: fp.Name, PageSize: fp.PageSize}
		switch fp.Resource {
		case protocol.ResourceAccounts:
			f, ok := c.(connector.AccountsFetcher)
			if !ok {
				return nil, unsupported(protocol.CapFetchAccounts)
			}
			return fetch(ctx, req, f.FetchAccounts, wire.AccountToWire)
		case protocol.ResourceExternalAccounts:
			f, ok := c.(connector.ExternalAccountsFetcher)
			if !ok {
				return nil, unsupported(protocol.CapFetchExternalAccounts)
			}
			return fetch(ctx, req, f.FetchExternalAccounts, wire.AccountToWire)
		case protocol.ResourceBalances:
			f, ok := c.(connector.BalancesFetcher)
			if !ok {
				return nil, unsupported(protocol.CapFetchBalances)
			}
			return fetch(ctx, req, f.FetchBalances, wire.BalanceToWire)
		case protocol.ResourcePayments:
			f, ok := c.(connector.PaymentsFetcher)
			if !ok {
				return nil, unsupported(protocol.CapFetchPayments)
			}
			return fetch(ctx, req, f.FetchPayments, wire.PaymentToWire)
		case protocol.ResourceOthers:
			f, ok := c.(connector.OthersFetcher)
			if !ok {
				return nil, unsupported(protocol.CapFetchOthers)
			}
			return fetch(ctx, req, f.FetchOthers, wire.OtherToWire)
		case protocol.ResourceOrders:
			f, ok := c.(connector.OrdersFetcher)
			if !ok {
				return nil, unsupported(protocol.CapFetchOrders)
			}
			return fetch(ctx, req, f.FetchOrders, wire.OrderToWire)
		case protocol.ResourceConversions:
			f, ok := c.(connector.ConversionsFetcher)
			if !ok {
				return nil, unsupported(protocol.CapFetchConversions)
			}
			return fetch(ctx, req, f.FetchConversions, wire.ConversionToWire)
		}
		return nil, &connrpc.Error{Code: connrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown resource %q", fp.Resource)}
	case connrpc.MethodInstall:
		in, ok := c.(connector.Installer)
		if !ok {
			return nil, unsupported("install")
		}
		tasks, err := in.Install(ctx)
		if err != nil {
			return nil, err
		}
		return connrpc.InstallResult{Tasks: wire.TasksToWire(tasks)}, nil
	case connrpc.MethodUninstall:
		u, ok := c.(connector.Uninstaller)
		if !ok {
			return nil, unsupported("uninstall")
		}
		if err := u.Uninstall(ctx); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	case connrpc.MethodCreateBankAccount:
		f, ok := c.(connector.BankAccountCreator)
		if !ok {
			return nil, unsupported(protocol.CapCreateBankAccount)
		}
		var bp connrpc.BankAccountParams
		if err := decode(params, &bp); err != nil {
			return nil, err
		}
		acc, err := f.CreateBankAccount(ctx, wire.BankAccountFromWire(bp.BankAccount))
		if err != nil {
			return nil, err
		}
		return connrpc.BankAccountResult{Account: wire.AccountToWire(acc)}, nil
	case connrpc.MethodCreateTransfer, connrpc.MethodCreatePayout:
		var ip connrpc.InitiationParams
		if err := decode(params, &ip); err != nil {
			return nil, err
		}
		in, err := wire.InitiationFromWire(ip.Initiation)
		if err != nil {
			return nil, &connrpc.Error{Code: connrpc.CodeInvalidParams, Message: err.Error()}
		}
		var res connector.InitiationResult
		if method == connrpc.MethodCreateTransfer {
			f, ok := c.(connector.TransferCreator)
			if !ok {
				return nil, unsupported(protocol.CapCreateTransfer)
			}
			res, err = f.CreateTransfer(ctx, in)
		} else {
			f, ok := c.(connector.PayoutCreator)
			if !ok {
				return nil, unsupported(protocol.CapCreatePayout)
			}
			res, err = f.CreatePayout(ctx, in)
		}
		if err != nil {
			return nil, err
		}
		return wire.InitiationResultToWire(res), nil
	case connrpc.MethodPollTransfer, connrpc.MethodPollPayout:
		var pp connrpc.PollParams
		if err := decode(params, &pp); err != nil {
			return nil, err
		}
		var (
			res connector.PollResult
			err error
		)
		if method == connrpc.MethodPollTransfer {
			f, ok := c.(connector.TransferPoller)
			if !ok {
				return nil, unsupported(protocol.CapPollTransfer)
			}
			res, err = f.PollTransfer(ctx, pp.PollingID)
		} else {
			f, ok := c.(connector.PayoutPoller)
			if !ok {
				return nil, unsupported(protocol.CapPollPayout)
			}
			res, err = f.PollPayout(ctx, pp.PollingID)
		}
		if err != nil {
			return nil, err
		}
		return wire.PollResultToWire(res), nil
	case connrpc.MethodReverseTransfer, connrpc.MethodReversePayout:
		var rp connrpc.ReverseParams
		if err := decode(params, &rp); err != nil {
			return nil, err
		}
		r, err := wire.ReversalFromWire(rp.Reversal)
		if err != nil {
			return nil, &connrpc.Error{Code: connrpc.CodeInvalidParams, Message: err.Error()}
		}
		var pay connector.Payment
		if method == connrpc.MethodReverseTransfer {
			f, ok := c.(connector.TransferReverser)
			if !ok {
				return nil, unsupported(protocol.CapReverseTransfer)
			}
			pay, err = f.ReverseTransfer(ctx, r)
		} else {
			f, ok := c.(connector.PayoutReverser)
			if !ok {
				return nil, unsupported(protocol.CapReversePayout)
			}
			pay, err = f.ReversePayout(ctx, r)
		}
		if err != nil {
			return nil, err
		}
		return connrpc.ReverseResult{Payment: wire.PaymentToWire(pay)}, nil
	}
	return nil, &connrpc.Error{Code: connrpc.CodeMethodNotFound, Message: "method not found: " + method}
}

func nullToNil(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || string(r) == "null" {
		return nil
	}
	return r
}

func fetch[T, W any](ctx context.Context, req connector.FetchRequest, f func(context.Context, connector.FetchRequest) (connector.Page[T], error), conv func(T) W) (any, error) {
	page, err := f(ctx, req)
	if err != nil {
		return nil, err
	}
	items := make([]W, len(page.Items))
	for i := range page.Items {
		items[i] = conv(page.Items[i])
	}
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("encoding items: %w", err)
	}
	state := page.NewState
	if len(state) == 0 {
		state = json.RawMessage("null")
	}
	return connrpc.FetchResult{Items: raw, NewState: state, HasMore: page.HasMore,
		PaymentsToDelete: page.PaymentsToDelete, PaymentsToCancel: page.PaymentsToCancel}, nil
}
