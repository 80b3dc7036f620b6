package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboardpay/switchboard/daemon/discovery"
	"github.com/switchboardpay/switchboard/daemon/store"
)

// ServeOptions configure ListenAndServe.
type ServeOptions struct {
	// Listen is the address to bind, default 127.0.0.1:7777.
	Listen string
	// AllowRemote must be set to bind an address that is not loopback.
	AllowRemote bool
	// StateDir receives daemon.json; "" means DefaultStateDir().
	StateDir string
	Access   Access
	// Stderr receives the URLs printed at start (default os.Stderr).
	Stderr io.Writer
	// Ready, if set, is called with the info once the daemon listens.
	Ready func(Info)
	// PublicURL, when set, is the base URL handed to connectors'
	// CreateWebhooks instead of http://LISTEN: a tunnel's, forwarding a
	// real sandbox's deliveries here. Its host is allowed in the Host
	// header.
	PublicURL string
	// DrainTimeout bounds how long a stopping daemon waits for requests in
	// flight (default 10s).
	DrainTimeout time.Duration
}

func (o ServeOptions) drainTimeout() time.Duration {
	if o.DrainTimeout > 0 {
		return o.DrainTimeout
	}
	return 10 * time.Second
}

// Info is the content of daemon.json, how clients find a running daemon.
type Info struct {
	PID     int    `json:"pid"`
	Version string `json:"version"`
	URL     string `json:"url"`
	Token   string `json:"token"`
	// BrowserURL opens the web console, token included.
	BrowserURL string    `json:"browserUrl"`
	StartedAt  time.Time `json:"startedAt"`
	// Store is the store file the daemon holds open ("memory" for none),
	// so that a command given the same --store can say who has it.
	Store string `json:"store,omitempty"`
}

// InfoFile is the name of the discovery file in the state directory.
const InfoFile = "daemon.json"

// DefaultStateDir returns $SWITCHBOARD_STATE_DIR, else
// $XDG_STATE_HOME/switchboard, else ~/.local/state/switchboard.
func DefaultStateDir() string {
	if d := os.Getenv("SWITCHBOARD_STATE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "switchboard")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "switchboard")
	}
	return filepath.Join(home, ".local", "state", "switchboard")
}

// ListenAndServe serves the websocket API until ctx is done. It writes
// daemon.json (mode 0600) once listening and removes it on return.
func (d *Daemon) ListenAndServe(ctx context.Context, o ServeOptions) error {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:7777"
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", o.Listen, err)
	}
	if !isLoopbackHost(host) && !o.AllowRemote {
		return fmt.Errorf("refusing to bind %s: not a loopback address; pass --allow-remote to expose the daemon beyond this machine", o.Listen)
	}
	if o.Access.Token == "" {
		o.Access.Token = NewToken()
	}
	if err := CheckToken(o.Access.Token); err != nil {
		return err
	}
	if err := discovery.PrepareDir(o.StateDir); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	o.Access.ListenAddr = addr
	base, publicHost, err := webhookBase(addr, o.PublicURL)
	if err != nil {
		ln.Close()
		return err
	}
	if publicHost != "" {
		o.Access.AllowedHosts = append(o.Access.AllowedHosts, publicHost)
	}
	d.sessions.SetWebhookBase(base)
	info := Info{
		PID: os.Getpid(), Version: Version, URL: "ws://" + addr + "/rpc",
		Token: o.Access.Token, StartedAt: time.Now().UTC().Truncate(time.Second),
		BrowserURL: "http://" + addr + "/?token=" + o.Access.Token, Store: d.storeFile(),
	}
	infoPath := filepath.Join(o.StateDir, InfoFile)
	if err := writeInfo(o.StateDir, info); err != nil {
		ln.Close()
		return err
	}
	defer os.Remove(infoPath)
	// The token is printed once, in the console's URL; the websocket line
	// says where to send it.
	fmt.Fprintf(o.Stderr, "switchboard %s listening\n  browser:   %s\n  websocket: %s (Authorization: Bearer, the token above)\n  info:      %s (mode 0600)\n",
		Version, info.BrowserURL, info.URL, infoPath)
	if o.Ready != nil {
		o.Ready(info)
	}
	// Connections outlive ctx: on shutdown they are drained first, then
	// cancelled.
	connCtx, cancelConns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelConns()
	srv := &http.Server{Handler: d.Handler(o.Access), ReadHeaderTimeout: 10 * time.Second}
	srv.BaseContext = func(net.Listener) context.Context { return connCtx }
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		// Stop accepting, let walks end at their next page and requests
		// answer, then close what is left.
		sctx, cancel := context.WithTimeout(context.Background(), o.drainTimeout())
		defer cancel()
		_ = srv.Shutdown(sctx)
		if !d.Drain(sctx) {
			fmt.Fprintf(o.Stderr, "switchboard: requests still running after %s; cancelling them\n", o.drainTimeout())
		}
		cancelConns()
		<-errc
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// storeFile is the absolute path of the store file, or the store path as
// given when it is not a file (store.Memory).
func (d *Daemon) storeFile() string {
	p := d.opts.StorePath
	if p == "" || p == store.Memory {
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// MinTokenLength is the shortest access token accepted.
const MinTokenLength = 16

// CheckToken refuses a token too short to be the boundary it is.
func CheckToken(token string) error {
	if len(token) < MinTokenLength {
		return fmt.Errorf("the access token has %d characters: at least %d are required (leave it out for a random one)", len(token), MinTokenLength)
	}
	return nil
}

// writeInfo writes daemon.json into dir (see discovery.WriteFile).
func writeInfo(dir string, info Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return discovery.WriteFile(dir, InfoFile, b)
}
