package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboardpay/switchboard/daemon/remote"
	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/protocol"
)

// handlerFunc answers one request with its raw params.
type handlerFunc func(ctx context.Context, c *conn, params json.RawMessage) (any, error)

// handle adapts a typed handler: params are decoded once, here, and every
// decoding problem is reported by field.
func handle[P any](fn func(ctx context.Context, c *conn, p P) (any, error)) handlerFunc {
	return func(ctx context.Context, c *conn, raw json.RawMessage) (any, error) {
		var p P
		if err := decodeParams(raw, &p); err != nil {
			return nil, err
		}
		return fn(ctx, c, p)
	}
}

// decodeParams decodes params into v. Absent or null params decode as the
// zero value; anything but an object is refused.
func decodeParams(raw json.RawMessage, v any) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	if t[0] != '{' {
		return protocol.InvalidParams(protocol.FieldError{Field: "", Message: "params must be a JSON object"})
	}
	if err := json.Unmarshal(t, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "params"
			}
			return protocol.InvalidParams(protocol.FieldError{Field: field, Message: fmt.Sprintf("expected %s, got %s", jsonKind(te.Type.String()), te.Value)})
		}
		return protocol.InvalidParams(protocol.FieldError{Field: "", Message: err.Error()})
	}
	return nil
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map"), strings.Contains(goType, "."):
		return "an object"
	}
	return goType
}

// session resolves a session id from params.
func (c *conn) session(id string) (*session.Session, error) {
	if id == "" {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "sessionId", Message: "is required"})
	}
	return c.srv.sessions.Get(id)
}

func (s *Server) table() map[string]handlerFunc {
	return map[string]handlerFunc{
		protocol.MethodProvidersList: handle(func(ctx context.Context, c *conn, p protocol.ProvidersListParams) (any, error) {
			return protocol.ProvidersListResult{Providers: s.sessions.Providers()}, nil
		}),
		protocol.MethodSessionCreate: handle(func(ctx context.Context, c *conn, p protocol.SessionCreateParams) (any, error) {
			ss, err := s.sessions.Create(ctx, p)
			if err != nil {
				return nil, err
			}
			s.bus.Subscribe(ss.ID(), c.sub)
			return ss.Info(), nil
		}),
		protocol.MethodSessionList: handle(func(ctx context.Context, c *conn, p protocol.SessionListParams) (any, error) {
			return protocol.SessionListResult{Sessions: s.sessions.List()}, nil
		}),
		protocol.MethodSessionGet: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return ss.Detail(), nil
		}),
		protocol.MethodSessionClose: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			if p.SessionID == "" {
				_, err := c.session("")
				return nil, err
			}
			if err := s.sessions.Close(p.SessionID); err != nil {
				return nil, err
			}
			s.bus.DropSession(p.SessionID)
			return protocol.Empty{}, nil
		}),
		protocol.MethodSessionReset: handle(func(ctx context.Context, c *conn, p protocol.SessionResetParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return protocol.Empty{}, ss.Reset(ctx, p.Resource, p.Purge)
		}),
		protocol.MethodSessionInstall: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			tasks, err := ss.Install(ctx)
			if err != nil {
				return nil, err
			}
			if tasks == nil {
				tasks = []protocol.Task{}
			}
			return protocol.InstallResult{Tasks: tasks}, nil
		}),
		protocol.MethodSessionSubscribe: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			s.bus.Subscribe(ss.ID(), c.sub)
			return protocol.Empty{}, nil
		}),
		protocol.MethodSessionUnsubscribe: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			s.bus.Unsubscribe(ss.ID(), c.sub)
			return protocol.Empty{}, nil
		}),
		protocol.MethodFetchNext: handle(func(ctx context.Context, c *conn, p protocol.FetchNextParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			defer s.bus.BeginRequest(ss.ID(), c.sub)()
			page, err := ss.FetchNext(ctx, p)
			if err != nil {
				return nil, err
			}
			c.flushIfSubscribed(ss.ID())
			return pageResult{&page}, nil
		}),
		protocol.MethodFetchAll: handle(func(ctx context.Context, c *conn, p protocol.FetchAllParams) (any, error) {
			// A connector reload never lands in the middle of a run.
			ctx, unpin := remote.Pin(ctx)
			defer unpin()
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			defer s.bus.BeginRequest(ss.ID(), c.sub)()
			prog := c.startProgress(ctx, p.WorkDoneToken, "Fetching "+p.Resource)
			pages, items := 0, 0
			res, err := ss.FetchAll(ctx, p, func(task string, page *protocol.Page) {
				pages++
				items += page.ItemCount
				prog.report(fmt.Sprintf("%s: %s pages, %s items", p.Resource, count(pages), count(items)))
			})
			prog.end(fmt.Sprintf("%s: %s pages, %s items", p.Resource, count(pages), count(items)))
			c.flushIfSubscribed(ss.ID())
			if err != nil {
				return nil, err
			}
			return res, nil
		}),
		protocol.MethodSyncRun: handle(func(ctx context.Context, c *conn, p protocol.SyncRunParams) (any, error) {
			// A connector reload never lands in the middle of a run.
			ctx, unpin := remote.Pin(ctx)
			defer unpin()
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			defer s.bus.BeginRequest(ss.ID(), c.sub)()
			prog := c.startProgress(ctx, p.WorkDoneToken, "Sync "+ss.Info().Name)
			pages, items := 0, 0
			res, err := ss.Sync(ctx, p, func(task string, page *protocol.Page) {
				pages++
				items += page.ItemCount
				prog.report(fmt.Sprintf("%s: page %d; %s pages, %s items in all", task, page.Page, count(pages), count(items)))
			})
			prog.end(fmt.Sprintf("%s pages, %s items", count(pages), count(items)))
			c.flushIfSubscribed(ss.ID())
			if err != nil {
				return nil, err
			}
			return res, nil
		}),
		protocol.MethodStateGet: handle(func(ctx context.Context, c *conn, p protocol.SessionParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return protocol.StateGetResult{States: ss.States()}, nil
		}),
		protocol.MethodStateSet: handle(func(ctx context.Context, c *conn, p protocol.StateSetParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			if p.State == nil {
				return nil, protocol.InvalidParams(protocol.FieldError{Field: "state", Message: "is required (null resets to the beginning)"})
			}
			return protocol.Empty{}, ss.SetState(ctx, p)
		}),
		protocol.MethodDataList: handle(func(ctx context.Context, c *conn, p protocol.DataListParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return ss.ListData(ctx, p)
		}),
		protocol.MethodDataExport: handle(func(ctx context.Context, c *conn, p protocol.DataExportParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return exportData(ctx, ss, p)
		}),
		protocol.MethodDataImport: handle(func(ctx context.Context, c *conn, p protocol.DataImportParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return importData(ctx, ss, p)
		}),
		protocol.MethodHTTPList: handle(func(ctx context.Context, c *conn, p protocol.HTTPListParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return protocol.HTTPListResult{Exchanges: ss.HTTPExchanges(p)}, nil
		}),
		protocol.MethodLogList: handle(func(ctx context.Context, c *conn, p protocol.LogListParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			logs, err := ss.Logs(p)
			if err != nil {
				return nil, err
			}
			return protocol.LogListResult{Logs: logs}, nil
		}),
		protocol.MethodCallsList: handle(func(ctx context.Context, c *conn, p protocol.CallsListParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			return protocol.CallsListResult{Calls: ss.Calls(p)}, nil
		}),
		protocol.MethodBankAccountCreate: handle(func(ctx context.Context, c *conn, p protocol.BankAccountCreateParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			acc, err := ss.CreateBankAccount(ctx, p.BankAccount)
			if err != nil {
				return nil, err
			}
			return protocol.BankAccountCreateResult{Account: acc}, nil
		}),
		protocol.MethodTransferCreate:    initiate(s, (*session.Session).CreateTransfer),
		protocol.MethodPayoutCreate:      initiate(s, (*session.Session).CreatePayout),
		protocol.MethodTransferPoll:      poll(s, (*session.Session).PollTransfer),
		protocol.MethodPayoutPoll:        poll(s, (*session.Session).PollPayout),
		protocol.MethodTransferReverse:   reverse(s, (*session.Session).ReverseTransfer),
		protocol.MethodPayoutReverse:     reverse(s, (*session.Session).ReversePayout),
		protocol.MethodConnectorsAdd:     handle(s.connectorsAdd),
		protocol.MethodConnectorsList:    handle(s.connectorsList),
		protocol.MethodConnectorCheck:    connectorCheck(s),
		protocol.MethodConnectorsMethods: handle(s.connectorsMethods),
	}
}

func initiate(s *Server, fn func(*session.Session, context.Context, protocol.Initiation) (protocol.InitiationResult, error)) handlerFunc {
	return handle(func(ctx context.Context, c *conn, p protocol.InitiationParams) (any, error) {
		ss, err := c.session(p.SessionID)
		if err != nil {
			return nil, err
		}
		return fn(ss, ctx, p.Initiation)
	})
}

func poll(s *Server, fn func(*session.Session, context.Context, string) (protocol.PollResult, error)) handlerFunc {
	return handle(func(ctx context.Context, c *conn, p protocol.PollParams) (any, error) {
		ss, err := c.session(p.SessionID)
		if err != nil {
			return nil, err
		}
		return fn(ss, ctx, p.PollingID)
	})
}

func reverse(s *Server, fn func(*session.Session, context.Context, protocol.Reversal) (protocol.Payment, error)) handlerFunc {
	return handle(func(ctx context.Context, c *conn, p protocol.ReverseParams) (any, error) {
		ss, err := c.session(p.SessionID)
		if err != nil {
			return nil, err
		}
		pay, err := fn(ss, ctx, p.Reversal)
		if err != nil {
			return nil, err
		}
		return protocol.ReverseResult{Payment: pay}, nil
	})
}

// flushIfSubscribed lets the notifications this connection is owed go out
// before the result that caused them.
func (c *conn) flushIfSubscribed(sessionID string) {
	if c.srv.bus.Subscribed(sessionID, c.sub) {
		c.flush()
	}
}
