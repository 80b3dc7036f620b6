package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/transport"
	"github.com/switchboardpay/switchboard/protocol"
)

// connFlags say which daemon a client command talks to.
type connFlags struct {
	connect bool
	url     string
	token   string
	// connectors are --connector directories, built and loaded by the
	// private daemon (registerConnector adds the flag).
	connectors []string
	// hint ends the "no daemon running" message with what else the
	// command could do.
	hint string
}

// registerConnector adds --connector to a command that runs a private
// daemon: the connector being written is built and loaded into it, as
// serve --connector does.
func (f *connFlags) registerConnector(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.connectors, "connector", nil, "build and load the connector in `DIR` (a Go module, or a directory with a switchboard.json manifest) into the private daemon; repeatable")
}

func (f *connFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.connect, "connect", false, `talk to the daemon of "switchboard serve", found through daemon.json in the state directory, instead of a private in-process one`)
	fs.StringVar(&f.url, "url", "", "websocket URL of a running daemon, e.g. ws://127.0.0.1:7777/rpc (implies --connect)")
	fs.StringVar(&f.token, "token", "", "access token for --url (default: $SWITCHBOARD_TOKEN with --url, the one in daemon.json without)")
}

// remote reports whether the command talks to a running daemon. An explicit
// --state-dir only makes sense for finding one, so it implies --connect.
func (f *connFlags) remote(cmd *cobra.Command) bool {
	return f.connect || f.url != "" || cmd.Flags().Changed("state-dir")
}

// conn is a client connected and initialized, with whatever it takes to
// end it.
type conn struct {
	*client.Client
	inProcess bool
	stop      func() error
}

// Close ends the connection and, for an in-process daemon, the daemon and
// its sessions.
func (c *conn) Close() error { return c.stop() }

// clientInfo is what the CLI tells the daemon it is.
var clientInfo = &protocol.ClientInfo{Name: "switchboard-cli", Version: daemon.Version}

// openConn connects to the daemon the flags name, or starts one in this
// process, and initializes the connection. pageItems false asks for
// fetch/page notifications without their items, which saves the daemon
// encoding work when only counts are shown.
func openConn(cmd *cobra.Command, g *globalOptions, f *connFlags, pageItems bool, opts ...client.Option) (*conn, error) {
	ctx := cmd.Context()
	var c *conn
	var err error
	if f.remote(cmd) {
		if len(f.connectors) > 0 {
			return nil, errors.New(`--connector loads a connector into the private daemon; the running daemon loads one with "switchboard serve --connector DIR" (or connectors/add): leave out --connector or --connect`)
		}
		c, err = dialDaemon(ctx, g, f, opts)
	} else {
		c, err = inProcessDaemon(ctx, g, cmd, f.connectors, opts)
	}
	if err != nil {
		return nil, err
	}
	params := protocol.InitializeParams{
		ClientInfo:   clientInfo,
		Capabilities: &protocol.ClientCapabilities{PageItems: &pageItems},
	}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.Initialize(ictx, params); err != nil {
		return nil, errors.Join(fmt.Errorf("initialize: %w", err), c.Close())
	}
	if err := c.Initialized(ictx); err != nil {
		return nil, errors.Join(fmt.Errorf("initialized: %w", err), c.Close())
	}
	return c, nil
}

// dialDaemon opens a websocket to --url, or to the daemon daemon.json
// names.
func dialDaemon(ctx context.Context, g *globalOptions, f *connFlags, opts []client.Option) (*conn, error) {
	url, token := f.url, f.token
	pid := 0
	if token == "" {
		token = os.Getenv(TokenEnv) // off the command line, where every user can read it
	}
	if url == "" {
		hint := f.hint
		if hint == "" && f.connect {
			hint = "or leave out --connect to use a private in-process daemon"
		}
		d, err := liveDaemon(g, hint)
		if err != nil {
			return nil, err
		}
		url, pid = d.info.URL, d.info.PID
		if f.token == "" {
			token = d.info.Token
		}
	}
	c, err := client.Dial(ctx, url, token, opts...)
	if err != nil {
		if pid != 0 {
			return nil, fmt.Errorf("the daemon (pid %d) at %s does not answer: %w", pid, url, err)
		}
		return nil, err
	}
	return &conn{Client: c, stop: c.Close}, nil
}

// inProcessDaemon serves a fresh daemon over an in-memory pipe, through the
// same JSON-RPC framing and dispatch as stdio, so what the CLI shows is what
// an editor would see.
func inProcessDaemon(ctx context.Context, g *globalOptions, cmd *cobra.Command, connectors []string, opts []client.Option) (*conn, error) {
	d := daemon.New(daemon.Options{Logger: g.logger(cmd.ErrOrStderr(), "warn")})
	if err := addConnectors(ctx, d, cmd.ErrOrStderr(), connectors, false); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	clientEnd, daemonEnd := net.Pipe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		// Not ctx: after Ctrl-C the daemon must still answer the
		// $/cancelRequest; closing the client ends it instead.
		d.ServeStream(context.Background(), transport.NewLSPStream(daemonEnd, daemonEnd, daemonEnd, 0))
	}()
	stopDaemon := func() error {
		daemonEnd.Close()
		<-served
		return d.Close()
	}
	c, err := client.NewStream(ctx, clientEnd, opts...)
	if err != nil {
		clientEnd.Close()
		return nil, errors.Join(err, stopDaemon())
	}
	return &conn{Client: c, inProcess: true, stop: func() error {
		return errors.Join(c.Close(), stopDaemon())
	}}, nil
}

// cleanupContext bounds the calls made after the command's own context may
// have been cancelled by Ctrl-C.
func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}
