// Package daemon wires Switchboard's daemon together: the provider
// registry, the sessions, the notification bus and the dispatcher, served
// over stdio (ServeStdio) or websocket (Handler, ListenAndServe).
//
// The pieces live in subpackages: transport (framing), dispatch (JSON-RPC
// methods and errors), session (sessions and state), engine (connector
// calls) and bus (notifications).
package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/daemon/discovery"
	"github.com/switchboardpay/switchboard/daemon/dispatch"
	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/daemon/transport"
	"github.com/switchboardpay/switchboard/daemon/workspace"
	"github.com/switchboardpay/switchboard/protocol"
)

// Version is the daemon's version, reported by initialize and daemon.json.
var Version = "0.1.0-dev"

// Options configure a Daemon. The zero value is usable.
type Options struct {
	// Registry holds the providers; nil means connector.Default(), filled
	// by the init functions of the imported connectors.
	Registry *connector.Registry
	// Logger receives the daemon's own logs; nil means stderr at info.
	// Never stdout: in stdio mode it carries only protocol bytes.
	Logger *slog.Logger
	// QueueSize bounds each subscriber's notification queue.
	QueueSize int
	// CallTimeout bounds each connector call (default DefaultCallTimeout;
	// negative means none).
	CallTimeout time.Duration
	// MaxMessageSize caps one incoming message, in bytes.
	MaxMessageSize int
	// Store keeps sessions, states and items. New uses an in-memory store
	// when it is nil; Open opens StorePath.
	Store *store.Store
	// StorePath is the store Open opens: a directory, store.Memory, or ""
	// for switchboard.db in the state directory.
	StorePath string
	// RestoreLater has Open leave the stored sessions closed: the caller
	// registers its workspace connectors first, then calls
	// RestoreSessions, so that sessions of those providers are not
	// reported as unknown.
	RestoreLater bool
	// StoreReserve is the free space under which the store refuses writes
	// (0: store.DefaultReserve).
	StoreReserve int64
	// MaxSessions caps the open sessions (default
	// session.DefaultMaxSessions).
	MaxSessions int
	// MaxStateSize caps a config, state or fromPayload a client sends, in
	// bytes (default session.DefaultMaxStateSize).
	MaxStateSize int
	// ConnectorRoot is the directory under which connectors/add over
	// websocket may add connectors; "" refuses it over websocket.
	ConnectorRoot string
}

// DefaultCallTimeout bounds one connector call: one page, one transfer.
const DefaultCallTimeout = 60 * time.Second

// Daemon is one Switchboard daemon: sessions shared by every connection.
type Daemon struct {
	opts     Options
	store    *store.Store
	bus      *bus.Bus
	sessions *session.Manager
	server   *dispatch.Server
	// connectors are the workspace connectors (serve --connector, connectors/add).
	connectors *workspace.Workspace
}

// Open opens the daemon's store (opts.StorePath) and returns a daemon with
// every stored session restored, states included.
func Open(ctx context.Context, opts Options) (*Daemon, error) {
	path := opts.StorePath
	if path == "" {
		dir := DefaultStateDir()
		if err := discovery.PrepareDir(dir); err != nil {
			return nil, err
		}
		path = filepath.Join(dir, "switchboard.db")
	}
	st, err := store.OpenWith(path, store.Options{Reserve: opts.StoreReserve})
	if err != nil {
		return nil, err
	}
	opts.Store = st
	opts.StorePath = path
	d := New(opts)
	if opts.RestoreLater {
		d.opts.Logger.Info("store opened", "path", path)
	} else {
		n, err := d.sessions.Restore(ctx)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.opts.Logger.Info("store opened", "path", path, "sessions", n)
	}
	if why := st.ReadOnly(); why != "" {
		d.opts.Logger.Warn("store opened READ-ONLY: every write is refused with \"store full\"", "path", path, "reason", why)
	}
	return d, nil
}

// New returns a daemon over opts.Store, or a fresh in-memory store.
func New(opts Options) *Daemon {
	if opts.Registry == nil {
		opts.Registry = connector.Default()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if opts.Store == nil {
		st, err := store.Open(store.Memory)
		if err != nil {
			panic("in-memory store: " + err.Error())
		}
		opts.Store = st
	}
	if opts.CallTimeout == 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	b := bus.New(opts.QueueSize)
	// The daemon's own log is scrubbed of every open session's secrets.
	var sessions *session.Manager
	opts.Logger = slog.New(capture.NewRedactingHandler(opts.Logger.Handler(), func() *capture.Redactor {
		if sessions == nil {
			return nil
		}
		return sessions.Redactor()
	}))
	sessions = session.NewManager(opts.Registry, b, opts.Logger, opts.Store)
	sessions.SetLimits(session.Limits{MaxSessions: opts.MaxSessions, MaxStateSize: opts.MaxStateSize, CallTimeout: opts.CallTimeout})
	d := &Daemon{
		opts:     opts,
		store:    opts.Store,
		bus:      b,
		sessions: sessions,
		server:   dispatch.New(sessions, b, protocol.ServerInfo{Name: "switchboard", Version: Version}, opts.Logger),
	}
	d.server.SetConnectorRoot(opts.ConnectorRoot)
	d.initConnectors()
	return d
}

// ServeStdio serves one LSP-framed connection on r and w until exit or
// end of input, and returns the process exit code: 0 after shutdown, 1
// without.
func (d *Daemon) ServeStdio(ctx context.Context, r io.Reader, w io.Writer) int {
	var closer io.Closer
	if c, ok := r.(io.Closer); ok {
		closer = c
	}
	return d.ServeStream(ctx, transport.NewLSPStream(r, w, closer, d.opts.MaxMessageSize))
}

// ServeStream serves one connection over an already-framed stream.
func (d *Daemon) ServeStream(ctx context.Context, s *transport.Stream) int {
	return d.server.Serve(ctx, s)
}

// Drain stops every walk at its next page boundary and waits, until ctx
// ends, for the requests in flight to be answered. It reports whether all
// were. Close comes after.
func (d *Daemon) Drain(ctx context.Context) bool { return d.server.Drain(ctx) }

// Close closes every session and its connector, then the store (its
// queued commits are written first).
func (d *Daemon) Close() error {
	d.sessions.CloseAll()
	d.closeConnectors()
	return d.store.Close()
}

// Store returns the daemon's store.
func (d *Daemon) Store() *store.Store { return d.store }

// Sessions returns the daemon's sessions, for in-process callers (tests,
// the CLI) that work below JSON-RPC.
func (d *Daemon) Sessions() *session.Manager { return d.sessions }
