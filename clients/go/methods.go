package client

import (
	"context"

	"github.com/switchboardpay/switchboard/protocol"
)

// ClientName is the clientInfo name [Client.Init] sends.
const ClientName = "switchboard-go"

// --- Lifecycle ---------------------------------------------------------------

// Init initializes the connection with the defaults of this package: it
// sends initialize with clientInfo {name: "switchboard-go"} and, once
// answered, the initialized notification.
func (c *Client) Init(ctx context.Context) (protocol.InitializeResult, error) {
	res, err := c.Initialize(ctx, protocol.InitializeParams{
		ClientInfo: &protocol.ClientInfo{Name: ClientName},
	})
	if err != nil {
		return res, err
	}
	return res, c.Initialized(ctx)
}

// Initialize sends the initialize request. Any other request before it is
// answered with -32002 (not initialized). Follow it with [Client.Initialized].
func (c *Client) Initialize(ctx context.Context, params protocol.InitializeParams) (protocol.InitializeResult, error) {
	var res protocol.InitializeResult
	err := c.Call(ctx, protocol.MethodInitialize, params, &res)
	return res, err
}

// Initialized sends the initialized notification.
func (c *Client) Initialized(ctx context.Context) error {
	return c.Notify(ctx, protocol.MethodInitialized, protocol.Empty{})
}

// Shutdown sends the shutdown request; later requests get -32600.
func (c *Client) Shutdown(ctx context.Context) error {
	err := c.Call(ctx, protocol.MethodShutdown, nil, nil)
	if err == nil {
		c.shutdownSent.Store(true)
	}
	return err
}

// Exit sends the exit notification: a stdio daemon then exits (0 after
// shutdown, 1 without it) and a websocket connection closes. Close the
// Client afterwards all the same.
func (c *Client) Exit(ctx context.Context) error {
	err := c.Notify(ctx, protocol.MethodExit, nil)
	if err == nil {
		c.exitSent.Store(true)
	}
	return err
}

// --- Providers and sessions ------------------------------------------------

// Providers lists the registered connectors (providers/list).
func (c *Client) Providers(ctx context.Context) (protocol.ProvidersListResult, error) {
	var res protocol.ProvidersListResult
	err := c.Call(ctx, protocol.MethodProvidersList, protocol.ProvidersListParams{}, &res)
	return res, err
}

// CreateSession creates a session of a provider (session/create).
func (c *Client) CreateSession(ctx context.Context, params protocol.SessionCreateParams) (protocol.Session, error) {
	var res protocol.Session
	err := c.Call(ctx, protocol.MethodSessionCreate, params, &res)
	return res, err
}

// ListSessions lists the daemon's sessions (session/list).
func (c *Client) ListSessions(ctx context.Context) (protocol.SessionListResult, error) {
	var res protocol.SessionListResult
	err := c.Call(ctx, protocol.MethodSessionList, protocol.SessionListParams{}, &res)
	return res, err
}

// GetSession returns a session with its cached states (session/get).
func (c *Client) GetSession(ctx context.Context, sessionID string) (protocol.SessionDetail, error) {
	var res protocol.SessionDetail
	err := c.Call(ctx, protocol.MethodSessionGet, protocol.SessionParams{SessionID: sessionID}, &res)
	return res, err
}

// CloseSession closes a session (session/close).
func (c *Client) CloseSession(ctx context.Context, sessionID string) error {
	return c.Call(ctx, protocol.MethodSessionClose, protocol.SessionParams{SessionID: sessionID}, nil)
}

// ResetSession clears the cached state of one resource of a session, or of
// all of them when params.Resource is empty (session/reset).
func (c *Client) ResetSession(ctx context.Context, params protocol.SessionResetParams) error {
	return c.Call(ctx, protocol.MethodSessionReset, params, nil)
}

// Install returns the connector's task tree (session/install).
func (c *Client) Install(ctx context.Context, sessionID string) (protocol.InstallResult, error) {
	var res protocol.InstallResult
	err := c.Call(ctx, protocol.MethodSessionInstall, protocol.SessionParams{SessionID: sessionID}, &res)
	return res, err
}

// Subscribe makes this connection receive the session's notifications
// (session/subscribe). The connection that created a session is subscribed
// already.
func (c *Client) Subscribe(ctx context.Context, sessionID string) error {
	return c.Call(ctx, protocol.MethodSessionSubscribe, protocol.SessionParams{SessionID: sessionID}, nil)
}

// Unsubscribe stops the session's notifications to this connection
// (session/unsubscribe).
func (c *Client) Unsubscribe(ctx context.Context, sessionID string) error {
	return c.Call(ctx, protocol.MethodSessionUnsubscribe, protocol.SessionParams{SessionID: sessionID}, nil)
}

// --- Fetching and state ----------------------------------------------------

// FetchNext fetches the next page of a resource (fetch/next). Decode its
// items with [DecodeItems].
func (c *Client) FetchNext(ctx context.Context, params protocol.FetchNextParams) (protocol.Page, error) {
	var res protocol.Page
	err := c.Call(ctx, protocol.MethodFetchNext, params, &res)
	return res, err
}

// FetchAll fetches pages of a resource until it has no more or a limit is
// reached (fetch/all). The pages arrive as fetch/page notifications; see
// [OnFetchPage] and [Client.Flush].
func (c *Client) FetchAll(ctx context.Context, params protocol.FetchAllParams) (protocol.FetchAllResult, error) {
	var res protocol.FetchAllResult
	err := c.Call(ctx, protocol.MethodFetchAll, params, &res)
	return res, err
}

// SyncRun runs the session's whole task tree (sync/run).
func (c *Client) SyncRun(ctx context.Context, params protocol.SyncRunParams) (protocol.SyncRunResult, error) {
	var res protocol.SyncRunResult
	err := c.Call(ctx, protocol.MethodSyncRun, params, &res)
	return res, err
}

// GetState returns the session's cached pagination states (state/get).
func (c *Client) GetState(ctx context.Context, sessionID string) (protocol.StateGetResult, error) {
	var res protocol.StateGetResult
	err := c.Call(ctx, protocol.MethodStateGet, protocol.SessionParams{SessionID: sessionID}, &res)
	return res, err
}

// SetState replaces the cached state of one key (state/set).
func (c *Client) SetState(ctx context.Context, params protocol.StateSetParams) error {
	return c.Call(ctx, protocol.MethodStateSet, params, nil)
}

// --- Payment initiation ------------------------------------------------------

// CreateBankAccount creates a bank account at the provider
// (bankAccount/create).
func (c *Client) CreateBankAccount(ctx context.Context, params protocol.BankAccountCreateParams) (protocol.BankAccountCreateResult, error) {
	var res protocol.BankAccountCreateResult
	err := c.Call(ctx, protocol.MethodBankAccountCreate, params, &res)
	return res, err
}

// CreateTransfer initiates a transfer (transfer/create). The result holds
// the payment, or a polling id for [Client.PollTransfer].
func (c *Client) CreateTransfer(ctx context.Context, params protocol.InitiationParams) (protocol.InitiationResult, error) {
	var res protocol.InitiationResult
	err := c.Call(ctx, protocol.MethodTransferCreate, params, &res)
	return res, err
}

// CreatePayout initiates a payout (payout/create). The result holds the
// payment, or a polling id for [Client.PollPayout].
func (c *Client) CreatePayout(ctx context.Context, params protocol.InitiationParams) (protocol.InitiationResult, error) {
	var res protocol.InitiationResult
	err := c.Call(ctx, protocol.MethodPayoutCreate, params, &res)
	return res, err
}

// PollTransfer polls a pending transfer (transfer/poll). Neither payment
// nor error in the result means: still pending.
func (c *Client) PollTransfer(ctx context.Context, params protocol.PollParams) (protocol.PollResult, error) {
	var res protocol.PollResult
	err := c.Call(ctx, protocol.MethodTransferPoll, params, &res)
	return res, err
}

// PollPayout polls a pending payout (payout/poll). Neither payment nor
// error in the result means: still pending.
func (c *Client) PollPayout(ctx context.Context, params protocol.PollParams) (protocol.PollResult, error) {
	var res protocol.PollResult
	err := c.Call(ctx, protocol.MethodPayoutPoll, params, &res)
	return res, err
}

// ReverseTransfer reverses (part of) a transfer (transfer/reverse).
func (c *Client) ReverseTransfer(ctx context.Context, params protocol.ReverseParams) (protocol.ReverseResult, error) {
	var res protocol.ReverseResult
	err := c.Call(ctx, protocol.MethodTransferReverse, params, &res)
	return res, err
}

// ReversePayout reverses (part of) a payout (payout/reverse).
func (c *Client) ReversePayout(ctx context.Context, params protocol.ReverseParams) (protocol.ReverseResult, error) {
	var res protocol.ReverseResult
	err := c.Call(ctx, protocol.MethodPayoutReverse, params, &res)
	return res, err
}
