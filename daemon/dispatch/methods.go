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
// decoding problem is reported by field. A page result is written
// pre-encoded (pageResult).
func handle[P, R any](fn func(ctx context.Context, c *conn, p P) (R, error)) handlerFunc {
	return func(ctx context.Context, c *conn, raw json.RawMessage) (any, error) {
		var p P
		if err := decodeParams(raw, &p); err != nil {
			return nil, err
		}
		res, err := fn(ctx, c, p)
		if err != nil {
			return nil, err
		}
		if page, ok := any(&res).(*protocol.Page); ok {
			return pageResult{page}, nil
		}
		return res, nil
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

// handlers implements server: the daemon's answer to each request of the
// method table (routes, generated, maps the names).
type handlers struct{ s *Server }

var _ server = handlers{}

func (h handlers) ProvidersList(ctx context.Context, c *conn, p protocol.ProvidersListParams) (protocol.ProvidersListResult, error) {
	return protocol.ProvidersListResult{Providers: h.s.sessions.Providers()}, nil
}

func (h handlers) SessionCreate(ctx context.Context, c *conn, p protocol.SessionCreateParams) (protocol.Session, error) {
	if err := checkSessionCreatePaths(p); err != nil {
		return protocol.Session{}, err
	}
	ss, err := h.s.sessions.Create(ctx, p)
	if err != nil {
		return protocol.Session{}, err
	}
	h.s.bus.Subscribe(ss.ID(), c.sub)
	return ss.Info(), nil
}

func (h handlers) SessionList(ctx context.Context, c *conn, p protocol.SessionListParams) (protocol.SessionListResult, error) {
	return protocol.SessionListResult{Sessions: h.s.sessions.List()}, nil
}

func (h handlers) SessionGet(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.SessionDetail, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.SessionDetail{}, err
	}
	return ss.Detail(), nil
}

func (h handlers) SessionClose(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.Empty, error) {
	if p.SessionID == "" {
		_, err := c.session("")
		return protocol.Empty{}, err
	}
	if err := h.s.sessions.Close(p.SessionID); err != nil {
		return protocol.Empty{}, err
	}
	h.s.bus.DropSession(p.SessionID)
	return protocol.Empty{}, nil
}

func (h handlers) SessionReset(ctx context.Context, c *conn, p protocol.SessionResetParams) (protocol.Empty, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.Empty{}, err
	}
	return protocol.Empty{}, ss.Reset(ctx, p.Resource, p.Purge)
}

func (h handlers) SessionInstall(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.InstallResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.InstallResult{}, err
	}
	tasks, err := ss.Install(ctx)
	if err != nil {
		return protocol.InstallResult{}, err
	}
	if tasks == nil {
		tasks = []protocol.Task{}
	}
	return protocol.InstallResult{Tasks: tasks}, nil
}

func (h handlers) SessionSubscribe(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.Empty, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.Empty{}, err
	}
	h.s.bus.Subscribe(ss.ID(), c.sub)
	return protocol.Empty{}, nil
}

func (h handlers) SessionUnsubscribe(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.Empty, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.Empty{}, err
	}
	h.s.bus.Unsubscribe(ss.ID(), c.sub)
	return protocol.Empty{}, nil
}

func (h handlers) FetchNext(ctx context.Context, c *conn, p protocol.FetchNextParams) (protocol.Page, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.Page{}, err
	}
	defer h.s.bus.BeginRequest(ss.ID(), c.sub)()
	page, err := ss.FetchNext(ctx, p)
	if err != nil {
		return protocol.Page{}, err
	}
	c.flushIfSubscribed(ss.ID())
	return page, nil
}

func (h handlers) FetchAll(ctx context.Context, c *conn, p protocol.FetchAllParams) (protocol.FetchAllResult, error) {
	// A connector reload never lands in the middle of a run.
	ctx, unpin := remote.Pin(ctx)
	defer unpin()
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.FetchAllResult{}, err
	}
	defer h.s.bus.BeginRequest(ss.ID(), c.sub)()
	prog, wctx := c.startProgress(ctx, p.WorkDoneToken, "Fetching "+p.Resource)
	pages, items := 0, 0
	res, err := ss.FetchAll(wctx, p, c.stop, func(task string, page *protocol.Page) {
		pages++
		items += page.ItemCount
		prog.report(fmt.Sprintf("%s: %s pages, %s items", p.Resource, count(pages), count(items)))
	})
	err = prog.end(fmt.Sprintf("%s: %s pages, %s items", p.Resource, count(pages), count(items)), err)
	c.flushIfSubscribed(ss.ID())
	return res, err
}

func (h handlers) SyncRun(ctx context.Context, c *conn, p protocol.SyncRunParams) (protocol.SyncRunResult, error) {
	// A connector reload never lands in the middle of a run.
	ctx, unpin := remote.Pin(ctx)
	defer unpin()
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.SyncRunResult{}, err
	}
	defer h.s.bus.BeginRequest(ss.ID(), c.sub)()
	prog, wctx := c.startProgress(ctx, p.WorkDoneToken, "Sync "+ss.Info().Name)
	pages, items := 0, 0
	res, err := ss.Sync(wctx, p, c.stop, func(task string, page *protocol.Page) {
		pages++
		items += page.ItemCount
		prog.report(fmt.Sprintf("%s: page %d; %s pages, %s items in all", task, page.Page, count(pages), count(items)))
	})
	err = prog.end(fmt.Sprintf("%s pages, %s items", count(pages), count(items)), err)
	c.flushIfSubscribed(ss.ID())
	return res, err
}

func (h handlers) StateGet(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.StateGetResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.StateGetResult{}, err
	}
	return protocol.StateGetResult{States: ss.States()}, nil
}

func (h handlers) StateSet(ctx context.Context, c *conn, p protocol.StateSetParams) (protocol.Empty, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.Empty{}, err
	}
	if p.State == nil {
		return protocol.Empty{}, protocol.InvalidParams(protocol.FieldError{Field: "state", Message: "is required (null resets to the beginning)"})
	}
	return protocol.Empty{}, ss.SetState(ctx, p)
}

func (h handlers) DataList(ctx context.Context, c *conn, p protocol.DataListParams) (protocol.DataListResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.DataListResult{}, err
	}
	return ss.ListData(ctx, p)
}

func (h handlers) DataExport(ctx context.Context, c *conn, p protocol.DataExportParams) (protocol.DataExportResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.DataExportResult{}, err
	}
	return exportData(ctx, ss, p)
}

func (h handlers) DataImport(ctx context.Context, c *conn, p protocol.DataImportParams) (protocol.DataImportResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.DataImportResult{}, err
	}
	return importData(ctx, ss, p)
}

func (h handlers) HTTPList(ctx context.Context, c *conn, p protocol.HTTPListParams) (protocol.HTTPListResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.HTTPListResult{}, err
	}
	return protocol.HTTPListResult{Exchanges: ss.HTTPExchanges(p)}, nil
}

func (h handlers) LogList(ctx context.Context, c *conn, p protocol.LogListParams) (protocol.LogListResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.LogListResult{}, err
	}
	logs, err := ss.Logs(p)
	if err != nil {
		return protocol.LogListResult{}, err
	}
	return protocol.LogListResult{Logs: logs}, nil
}

func (h handlers) CallsList(ctx context.Context, c *conn, p protocol.CallsListParams) (protocol.CallsListResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.CallsListResult{}, err
	}
	return protocol.CallsListResult{Calls: ss.Calls(p)}, nil
}

func (h handlers) BankAccountCreate(ctx context.Context, c *conn, p protocol.BankAccountCreateParams) (protocol.BankAccountCreateResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.BankAccountCreateResult{}, err
	}
	acc, err := ss.CreateBankAccount(ctx, p.BankAccount)
	if err != nil {
		return protocol.BankAccountCreateResult{}, err
	}
	return protocol.BankAccountCreateResult{Account: acc}, nil
}

func (h handlers) TransferCreate(ctx context.Context, c *conn, p protocol.InitiationParams) (protocol.InitiationResult, error) {
	return initiate(ctx, c, p, (*session.Session).CreateTransfer)
}

func (h handlers) PayoutCreate(ctx context.Context, c *conn, p protocol.InitiationParams) (protocol.InitiationResult, error) {
	return initiate(ctx, c, p, (*session.Session).CreatePayout)
}

func (h handlers) TransferPoll(ctx context.Context, c *conn, p protocol.PollParams) (protocol.PollResult, error) {
	return poll(ctx, c, p, (*session.Session).PollTransfer)
}

func (h handlers) PayoutPoll(ctx context.Context, c *conn, p protocol.PollParams) (protocol.PollResult, error) {
	return poll(ctx, c, p, (*session.Session).PollPayout)
}

func (h handlers) TransferReverse(ctx context.Context, c *conn, p protocol.ReverseParams) (protocol.ReverseResult, error) {
	return reverse(ctx, c, p, (*session.Session).ReverseTransfer)
}

func (h handlers) PayoutReverse(ctx context.Context, c *conn, p protocol.ReverseParams) (protocol.ReverseResult, error) {
	return reverse(ctx, c, p, (*session.Session).ReversePayout)
}

func initiate(ctx context.Context, c *conn, p protocol.InitiationParams, fn func(*session.Session, context.Context, protocol.Initiation) (protocol.InitiationResult, error)) (protocol.InitiationResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.InitiationResult{}, err
	}
	return fn(ss, ctx, p.Initiation)
}

func poll(ctx context.Context, c *conn, p protocol.PollParams, fn func(*session.Session, context.Context, string) (protocol.PollResult, error)) (protocol.PollResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.PollResult{}, err
	}
	return fn(ss, ctx, p.PollingID)
}

func reverse(ctx context.Context, c *conn, p protocol.ReverseParams, fn func(*session.Session, context.Context, protocol.Reversal) (protocol.Payment, error)) (protocol.ReverseResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.ReverseResult{}, err
	}
	pay, err := fn(ss, ctx, p.Reversal)
	if err != nil {
		return protocol.ReverseResult{}, err
	}
	return protocol.ReverseResult{Payment: pay}, nil
}

// flushIfSubscribed lets the notifications this connection is owed go out
// before the result that caused them.
func (c *conn) flushIfSubscribed(sessionID string) {
	if c.srv.bus.Subscribed(sessionID, c.sub) {
		c.flush()
	}
}

func (h handlers) WebhookCreate(ctx context.Context, c *conn, p protocol.SessionParams) (protocol.WebhookCreateResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.WebhookCreateResult{}, err
	}
	return h.s.sessions.CreateWebhooks(ctx, ss)
}

func (h handlers) WebhookList(ctx context.Context, c *conn, p protocol.WebhookListParams) (protocol.WebhookListResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.WebhookListResult{}, err
	}
	return protocol.WebhookListResult{Deliveries: ss.Webhooks(p)}, nil
}

func (h handlers) WebhookReplay(ctx context.Context, c *conn, p protocol.WebhookReplayParams) (protocol.WebhookDelivery, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.WebhookDelivery{}, err
	}
	d, err := h.s.sessions.Replay(ctx, ss, p)
	if err == nil {
		c.flushIfSubscribed(p.SessionID)
	}
	return d, err
}

func (h handlers) WebhookTrigger(ctx context.Context, c *conn, p protocol.WebhookTriggerParams) (protocol.WebhookTriggerResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.WebhookTriggerResult{}, err
	}
	return ss.Trigger(ctx, p)
}
