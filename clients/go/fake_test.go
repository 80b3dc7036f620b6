package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/switchboardpay/switchboard/protocol"
)

// fakeServer is a small daemon stand-in speaking the real wire protocol
// through jsonrpc2: it enforces initialize first and -32600 after shutdown,
// answers a handful of methods, sends notifications and honours
// $/cancelRequest.
type fakeServer struct {
	// ignoreCancel makes sync/run wait for the connection to close rather
	// than answer a cancellation.
	ignoreCancel bool
	// onExit, when set, runs on the exit notification with whether
	// shutdown came first.
	onExit func(conn *jsonrpc2.Conn, afterShutdown bool)

	wg          sync.WaitGroup // request goroutines
	slowStarted chan struct{}  // receives when sync/run starts waiting

	mu          sync.Mutex
	initialized bool // initialize answered
	gotInitd    bool // initialized notification seen
	shutdown    bool
	cancelled   map[jsonrpc2.ID]chan struct{} // request id -> closed on $/cancelRequest
	cancelIDs   []string                      // raw ids of $/cancelRequest, in order
}

func newFakeServer() *fakeServer {
	return &fakeServer{
		slowStarted: make(chan struct{}, 1),
		cancelled:   map[jsonrpc2.ID]chan struct{}{},
	}
}

var (
	fakeCreatedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	fakeAccounts  = []protocol.Account{
		{Reference: "acc-1", CreatedAt: fakeCreatedAt, Name: "Main", DefaultAsset: "EUR/2", Metadata: map[string]string{"k": "v"}, Raw: json.RawMessage(`{"id":1}`)},
		{Reference: "acc-2", CreatedAt: fakeCreatedAt, Metadata: map[string]string{}, Raw: json.RawMessage(`{"id":2}`)},
	}
	fakeInitResult = protocol.InitializeResult{
		ServerInfo:      protocol.ServerInfo{Name: "fake-switchboard", Version: "0.0.1"},
		ProtocolVersion: protocol.Version,
		Capabilities: protocol.ServerCapabilities{
			Resources: protocol.Resources,
			Methods:   []string{protocol.MethodInitialize, protocol.MethodFetchNext},
		},
	}
)

func fakePage(sessionID, resource string) protocol.Page {
	items, _ := json.Marshal(fakeAccounts)
	return protocol.Page{
		SessionID: sessionID, Resource: resource, Key: resource, Page: 1,
		Items: items, ItemCount: len(fakeAccounts), NewState: json.RawMessage(`{"cursor":"c2"}`), HasMore: true, DurationMs: 1.5,
	}
}

// Handle implements jsonrpc2.Handler. Notifications are handled in order on
// the read loop; requests are registered for cancellation there and served
// in their own goroutine.
func (s *fakeServer) Handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	if req.Notif {
		s.notification(conn, req)
		return
	}
	cancel := make(chan struct{})
	s.mu.Lock()
	s.cancelled[req.ID] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		res, err := s.serve(ctx, conn, req, cancel)
		s.mu.Lock()
		delete(s.cancelled, req.ID)
		s.mu.Unlock()
		if errors.Is(err, errNoAnswer) {
			return
		}
		if err != nil {
			var pe *protocol.Error
			if !errors.As(err, &pe) {
				pe = &protocol.Error{Code: protocol.CodeInternalError, Message: err.Error()}
			}
			je := &jsonrpc2.Error{Code: pe.Code, Message: pe.Message}
			if pe.Data != nil {
				je.SetError(pe.Data)
			}
			_ = conn.ReplyWithError(ctx, req.ID, je)
			return
		}
		_ = conn.Reply(ctx, req.ID, res)
	}()
}

var errNoAnswer = errors.New("no answer")

func (s *fakeServer) notification(conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch req.Method {
	case protocol.MethodInitialized:
		s.gotInitd = true
	case protocol.MethodCancelRequest:
		var p protocol.CancelParams
		if req.Params != nil && json.Unmarshal(*req.Params, &p) == nil {
			s.cancelIDs = append(s.cancelIDs, string(p.ID))
			var id jsonrpc2.ID
			if json.Unmarshal(p.ID, &id) == nil {
				if ch, ok := s.cancelled[id]; ok {
					close(ch)
					delete(s.cancelled, id)
				}
			}
		}
	case protocol.MethodExit:
		if s.onExit != nil {
			go s.onExit(conn, s.shutdown)
		} else {
			go conn.Close()
		}
	}
}

func decodeParams(req *jsonrpc2.Request, v any) error {
	if req.Params == nil {
		return protocol.InvalidParams(protocol.FieldError{Field: "", Message: "missing params"})
	}
	if err := json.Unmarshal(*req.Params, v); err != nil {
		return protocol.InvalidParams(protocol.FieldError{Field: "", Message: err.Error()})
	}
	return nil
}

func (s *fakeServer) serve(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request, cancel <-chan struct{}) (any, error) {
	s.mu.Lock()
	initialized, shutdown := s.initialized, s.shutdown
	s.mu.Unlock()
	switch {
	case shutdown:
		return nil, &protocol.Error{Code: protocol.CodeInvalidRequest, Message: "server is shut down"}
	case !initialized && req.Method != protocol.MethodInitialize:
		return nil, &protocol.Error{Code: protocol.CodeNotInitialized, Message: "server not initialized"}
	}

	switch req.Method {
	case protocol.MethodInitialize:
		var p protocol.InitializeParams
		if err := decodeParams(req, &p); err != nil {
			return nil, err
		}
		if p.ClientInfo == nil || p.ClientInfo.Name == "" {
			return nil, protocol.InvalidParams(protocol.FieldError{Field: "clientInfo.name", Message: "required by the fake"})
		}
		s.mu.Lock()
		s.initialized = true
		s.mu.Unlock()
		return fakeInitResult, nil

	case protocol.MethodShutdown:
		s.mu.Lock()
		s.shutdown = true
		s.mu.Unlock()
		return nil, nil

	case protocol.MethodProvidersList:
		return protocol.ProvidersListResult{Providers: []protocol.Provider{{
			Name: "demobank", Description: "a fake bank", Capabilities: []string{protocol.CapFetchAccounts},
			ConfigSchema: json.RawMessage(`{"type":"object"}`), DefaultPageSize: 25,
		}}}, nil

	case protocol.MethodSessionGet:
		var p protocol.SessionParams
		if err := decodeParams(req, &p); err != nil {
			return nil, err
		}
		return nil, protocol.SessionNotFound(p.SessionID)

	case protocol.MethodFetchNext:
		var p protocol.FetchNextParams
		if err := decodeParams(req, &p); err != nil {
			return nil, err
		}
		page := fakePage(p.SessionID, p.Resource)
		// Notifications before the answer, as the daemon sends them.
		_ = conn.Notify(ctx, protocol.NotifyLog, protocol.LogParams{SessionID: p.SessionID, Level: "info", Message: "fetching", Time: fakeCreatedAt})
		_ = conn.Notify(ctx, protocol.NotifyFetchPage, protocol.FetchPageParams{SessionID: p.SessionID, Page: page})
		return page, nil

	case protocol.MethodFetchAll:
		var p protocol.FetchAllParams
		if err := decodeParams(req, &p); err != nil {
			return nil, err
		}
		token := json.RawMessage(`"srv-1"`)
		var created json.RawMessage
		if err := conn.Call(ctx, protocol.MethodWorkDoneProgressCreate, protocol.WorkDoneProgressCreateParams{Token: token}, &created); err != nil {
			return nil, fmt.Errorf("workDoneProgress/create: %w", err)
		}
		if string(created) != "null" {
			return nil, fmt.Errorf("workDoneProgress/create answered %s, want null", created)
		}
		pct := 50
		for _, v := range []protocol.ProgressValue{{Kind: "begin", Title: "fetch/all"}, {Kind: "report", Percentage: &pct}, {Kind: "end"}} {
			_ = conn.Notify(ctx, protocol.NotifyProgress, protocol.ProgressParams{Token: token, Value: v})
		}
		return protocol.FetchAllResult{Pages: 3, Items: 6, DurationMs: 2}, nil

	case protocol.MethodSyncRun:
		// Slow: runs until cancelled.
		s.slowStarted <- struct{}{}
		if s.ignoreCancel {
			<-ctx.Done()
			return nil, errNoAnswer
		}
		select {
		case <-cancel:
			return nil, &protocol.Error{Code: protocol.CodeRequestCancelled, Message: "request cancelled"}
		case <-ctx.Done():
			return nil, errNoAnswer
		}

	case "test/burst":
		var n int
		if err := decodeParams(req, &n); err != nil {
			return nil, err
		}
		for i := range n {
			_ = conn.Notify(ctx, protocol.NotifyLog, protocol.LogParams{Level: "debug", Message: fmt.Sprint(i), Time: fakeCreatedAt})
		}
		return n, nil

	case "test/echo":
		if req.Params == nil {
			return nil, nil
		}
		return req.Params, nil
	}
	return nil, &protocol.Error{Code: protocol.CodeMethodNotFound, Message: fmt.Sprintf("method %q not found", req.Method)}
}

// runFakeStdio serves the fake over stdin and stdout, as `switchboard
// stdio` does, and exits: 0 on exit after shutdown, 1 otherwise. With
// hang, it ignores exit and the end of stdin.
func runFakeStdio(hang bool) {
	fmt.Fprintln(os.Stderr, "fake daemon started")
	s := newFakeServer()
	s.onExit = func(_ *jsonrpc2.Conn, afterShutdown bool) {
		if hang {
			return
		}
		if afterShutdown {
			os.Exit(0)
		}
		os.Exit(1)
	}
	conn := jsonrpc2.NewConn(context.Background(),
		jsonrpc2.NewBufferedStream(stdio{}, jsonrpc2.VSCodeObjectCodec{}), s)
	<-conn.DisconnectNotify()
	if hang {
		select {}
	}
	os.Exit(1)
}

type stdio struct{}

func (stdio) Read(b []byte) (int, error)  { return os.Stdin.Read(b) }
func (stdio) Write(b []byte) (int, error) { return os.Stdout.Write(b) }
func (stdio) Close() error                { return os.Stdin.Close() }
