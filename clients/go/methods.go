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

// --- Shorthands ---------------------------------------------------------------
//
// The other methods, one per request of the protocol's method table, are
// generated (methods_gen.go); these take a session id for the params.

// GetSession returns a session with its cached states (session/get).
func (c *Client) GetSession(ctx context.Context, sessionID string) (protocol.SessionDetail, error) {
	return c.SessionGet(ctx, protocol.SessionParams{SessionID: sessionID})
}

// CloseSession closes a session (session/close).
func (c *Client) CloseSession(ctx context.Context, sessionID string) error {
	return c.SessionClose(ctx, protocol.SessionParams{SessionID: sessionID})
}

// Install returns the connector's task tree (session/install).
func (c *Client) Install(ctx context.Context, sessionID string) (protocol.InstallResult, error) {
	return c.SessionInstall(ctx, protocol.SessionParams{SessionID: sessionID})
}

// Subscribe makes this connection receive the session's notifications
// (session/subscribe). The connection that created a session is subscribed
// already.
func (c *Client) Subscribe(ctx context.Context, sessionID string) error {
	return c.SessionSubscribe(ctx, protocol.SessionParams{SessionID: sessionID})
}

// Unsubscribe stops the session's notifications to this connection
// (session/unsubscribe).
func (c *Client) Unsubscribe(ctx context.Context, sessionID string) error {
	return c.SessionUnsubscribe(ctx, protocol.SessionParams{SessionID: sessionID})
}

// GetState returns the session's cached pagination states (state/get).
func (c *Client) GetState(ctx context.Context, sessionID string) (protocol.StateGetResult, error) {
	return c.StateGet(ctx, protocol.SessionParams{SessionID: sessionID})
}
