package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/daemon/discovery"
	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/daemon/transport"
)

// storePath resolves --store: a directory, "memory", or switchboard.db in
// the state directory, which is created 0700 or refused if others can write
// it (they could replace the store, sessions' secrets and all).
func storePath(g *globalOptions, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	dir := g.stateDir
	if dir == "" {
		dir = daemon.DefaultStateDir()
	}
	if err := discovery.PrepareDir(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, "switchboard.db"), nil
}

const storeHelp = `where sessions, states and fetched items are kept: a directory (an older store's file is upgraded), or "memory" for a throw-away daemon (default switchboard.db in the state directory)`

func newServeCmd(g *globalOptions) *cobra.Command {
	var (
		o          daemon.ServeOptions
		storeFlag  string
		lim        limits
		cpuProfile string
		traceFile  string
		tok        tokenFlags
		connRoot   string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon with its websocket API",
		Long: `Run the daemon and serve JSON-RPC 2.0 over websocket at ws://HOST:PORT/rpc.

A random token is made at start unless one is given in $SWITCHBOARD_TOKEN,
--token-file or --token (at least 16 characters); clients send it as
"Authorization: Bearer TOKEN" or "?token=TOKEN". The URLs and the token are
printed on stderr and written to daemon.json (mode 0600) in the state
directory (mode 0700; one others can write is refused), where the CLI
(--connect) and editor extensions find them. Only requests whose Host is a
loopback name or the listen address are served (--allow-host adds names).
Stop it with Ctrl-C (or SIGTERM); daemon.json is removed on the way out.
A second serve on a state directory whose daemon.json names a running daemon
is refused at once, naming it.

--connector DIR builds the connector you are writing and watches DIR; a
failed build keeps the last good process, and its compiler errors are
logged here and sent to the clients (provider/buildFailed).`,
		Example: `  switchboard serve
  switchboard serve --listen 127.0.0.1:0 --state-dir /tmp/sb
  switchboard fetch demo payments --connect     # from another terminal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := stopContext(cmd.Context(), cmd.ErrOrStderr())
			defer stop()
			var err error
			o.StateDir = g.stateDir
			o.Stderr = cmd.ErrOrStderr()
			if o.Access.Token, err = tok.resolve(cmd.ErrOrStderr()); err != nil {
				return err
			}
			stopProfile, err := recordTo(cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
			if err != nil {
				return err
			}
			defer stopProfile()
			stopTrace, err := recordTo(traceFile, trace.Start, trace.Stop)
			if err != nil {
				return err
			}
			defer stopTrace()
			path, err := storePath(g, storeFlag)
			if err != nil {
				return err
			}
			if err := checkStoreFree(g, path, true); err != nil {
				return err
			}
			logger := g.logger(cmd.ErrOrStderr(), "info")
			d, err := openDaemon(ctx, cmd.ErrOrStderr(), lim.options(daemon.Options{Logger: logger, StorePath: path, ConnectorRoot: connRoot, RestoreLater: true}), true)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := addConnectors(ctx, d, cmd.ErrOrStderr(), connectorDirs(cmd), true); err != nil {
				return err
			}
			// Sessions of workspace providers can only be restored once
			// their connectors are built and registered.
			n, err := d.RestoreSessions(ctx)
			if err != nil {
				return err
			}
			logger.Info("sessions restored", "sessions", n)
			return d.ListenAndServe(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "127.0.0.1:7777", "address to listen on (loopback unless --allow-remote); port 0 picks a free one")
	f.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a listen address that is not loopback")
	tok.register(f)
	f.StringSliceVar(&o.Access.AllowedOrigins, "allow-origin", nil, "extra browser origin allowed to connect (repeatable)")
	f.StringSliceVar(&o.Access.AllowedHosts, "allow-host", nil, "extra name the daemon answers to in the Host header, for a remote daemon (repeatable; loopback names and the listen address always are)")
	f.StringVar(&o.PublicURL, "public-url", "", "base URL handed to connectors' CreateWebhooks instead of http://LISTEN, for a tunnel forwarding a real sandbox's webhooks here (its host is allowed in the Host header)")
	f.StringVar(&storeFlag, "store", "", storeHelp)
	addConnectorFlag(f)
	f.StringVar(&connRoot, "connector-root", "", "directory under which connectors/add over websocket may add connector directories (they are built and run as this user); without it connectors/add is refused over websocket")
	f.DurationVar(&o.DrainTimeout, "drain-timeout", 10*time.Second, "on SIGTERM, how long to wait for requests in flight before cancelling them")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the daemon to this file until it stops (for benchmarks)")
	_ = f.MarkHidden("cpuprofile")
	f.StringVar(&traceFile, "trace", "", "write an execution trace of the daemon to this file until it stops (for benchmarks)")
	_ = f.MarkHidden("trace")
	lim.register(f)
	return cmd
}

func newStdioCmd(g *globalOptions) *cobra.Command {
	var (
		storeFlag     string
		lim           limits
		webhookListen string
		publicURL     string
	)
	cmd := &cobra.Command{
		Use:   "stdio",
		Short: "Serve one JSON-RPC connection on stdin/stdout (for editors)",
		Long: `Serve one JSON-RPC 2.0 connection with LSP framing (Content-Length headers)
on stdin and stdout, the way an editor spawns a language server. Stdout carries
only protocol bytes; logs go to stderr. Exit status, as LSP says: 0 once
shutdown was answered, whether exit follows or stdin just closes; 1 on exit, or
stdin closing, before any shutdown.`,
		Example: `  # what an editor extension runs:
  switchboard stdio --log-level debug
  # with the connector the author is writing, rebuilt on every save:
  switchboard stdio --connector ./acme`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sigCtx, stop := stopContext(context.Background(), os.Stderr)
			defer stop()
			// A signal drains (walks stop at their next page, requests
			// answer), then ends the connection; the store is flushed by
			// Close.
			ctx, cancelServe := context.WithCancel(context.Background())
			defer cancelServe()
			signalled := false
			path, err := storePath(g, storeFlag)
			if err != nil {
				return err
			}
			if err := checkStoreFree(g, path, false); err != nil {
				return err
			}
			d, err := openDaemon(ctx, os.Stderr, lim.options(daemon.Options{Logger: g.logger(os.Stderr, "warn"), StorePath: path, RestoreLater: true}), true)
			if err != nil {
				return err
			}
			// Workspace connectors are built before the first message is
			// read (their notes go to stderr; stdout is the protocol's),
			// so the editor's initialize finds them listed.
			if err := addConnectors(ctx, d, os.Stderr, connectorDirs(cmd), true); err != nil {
				d.Close()
				return err
			}
			// The ingress is up before sessions are restored, so they
			// are handed its URL, and before initialize, which reports it.
			var ingress *daemon.Ingress
			if webhookListen != "off" {
				if ingress, err = d.ListenWebhooks(webhookListen, publicURL); err != nil {
					d.Close()
					return err
				}
				fmt.Fprintf(os.Stderr, "webhook ingress on %s: deliveries go to %s/webhooks/SESSION/SECRET/CONFIG (webhook/create answers the URLs)\n", ingress.Addr, ingress.BaseURL)
			}
			if _, err := d.RestoreSessions(ctx); err != nil {
				if ingress != nil {
					ingress.Close()
				}
				d.Close()
				return err
			}
			go func() {
				select {
				case <-sigCtx.Done():
					signalled = true
					dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					d.Drain(dctx)
					cancel()
					cancelServe()
				case <-ctx.Done():
				}
			}()
			code := d.ServeStdio(ctx, os.Stdin, os.Stdout)
			if ingress != nil {
				ingress.Close()
			}
			d.Close()
			if signalled {
				code = 0
			}
			os.Exit(code)
			return nil
		},
	}
	cmd.Flags().StringVar(&storeFlag, "store", "", storeHelp)
	cmd.Flags().StringVar(&webhookListen, "webhook-listen", "127.0.0.1:0", "loopback address of the webhook ingress (port 0 picks a free one), or off")
	cmd.Flags().StringVar(&publicURL, "public-url", "", "base URL handed to connectors' CreateWebhooks instead of the ingress's, for a tunnel forwarding to it")
	addConnectorFlag(cmd.Flags())
	lim.register(cmd.Flags())
	return cmd
}

// recordTo starts a CPU profile or an execution trace into path until the
// returned stop is called; an empty path records nothing.
func recordTo(path string, start func(io.Writer) error, stop func()) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { stop(); f.Close() }, nil
}

// stopContext is cancelled by the first SIGINT or SIGTERM, which starts a
// clean stop; a second one exits at once (the store is consistent at any
// instant, so nothing is lost but the pages in flight).
func stopContext(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
			return
		}
		fmt.Fprintln(stderr, "switchboard: stopping (finishing pages in flight; signal again to exit now)")
		cancel()
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "switchboard: second signal, exiting now")
			os.Exit(1)
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() { once.Do(func() { signal.Stop(sigs); close(done); cancel() }) }
}

// limits are the daemon's protective limits, the same for serve and stdio
// (see the README's reliability section).
type limits struct {
	maxMessage   int
	callTimeout  time.Duration
	queue        int
	storeReserve byteSize
	maxSessions  int
	maxStateSize int
}

// byteSize is a flag of a size in bytes: 268435456, 256MiB, 1GB.
type byteSize int64

func (b *byteSize) String() string {
	if *b == 0 {
		return "0"
	}
	return humanize.IBytes(uint64(*b))
}

func (b *byteSize) Set(v string) error {
	n, err := humanize.ParseBytes(v)
	if err != nil {
		return fmt.Errorf("want a size such as 256MiB or 1GB: %v", err)
	}
	*b = byteSize(n)
	return nil
}

func (b *byteSize) Type() string { return "size" }

func (l *limits) register(f *pflag.FlagSet) {
	f.IntVar(&l.maxMessage, "max-message-size", transport.DefaultMaxMessageSize, "largest JSON-RPC message accepted, in bytes; a larger one is answered with an error and its connection closed")
	f.DurationVar(&l.callTimeout, "call-timeout", daemon.DefaultCallTimeout, "longest a connector call (one page, one transfer) may take before it is answered with a coded error")
	f.IntVar(&l.queue, "queue-size", bus.DefaultQueueSize, "notifications a subscriber may have waiting before it is dropped (it is also bounded to 64 MiB)")
	f.Var(&l.storeReserve, "store-reserve", `free disk space under which writes are refused with "store full" while reads go on (default the larger of 256MiB and 2% of the filesystem, at most a quarter of it)`)
	f.IntVar(&l.maxSessions, "max-sessions", session.DefaultMaxSessions, "most sessions open at once; session/create past it is answered with a coded error")
	f.IntVar(&l.maxStateSize, "max-state-size", session.DefaultMaxStateSize, "largest config, state or fromPayload a client may send, in bytes")
}

func (l *limits) options(o daemon.Options) daemon.Options {
	o.MaxMessageSize, o.CallTimeout, o.QueueSize, o.StoreReserve = l.maxMessage, l.callTimeout, l.queue, int64(l.storeReserve)
	o.MaxSessions, o.MaxStateSize = l.maxSessions, l.maxStateSize
	return o
}
