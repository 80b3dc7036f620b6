package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// webhookBase is the ingress base URL handed to CreateWebhooks: the
// listen address, or publicURL when a tunnel forwards to it (then its host
// is returned too, to be allowed).
func webhookBase(addr, publicURL string) (base, publicHost string, err error) {
	if publicURL == "" {
		return "http://" + addr, "", nil
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("public URL %q: want http(s)://HOST[:PORT][/PATH]", publicURL)
	}
	return strings.TrimSuffix(publicURL, "/"), u.Hostname(), nil
}

// Ingress is a webhook ingress of its own, for a daemon that has no HTTP
// server (stdio): it serves deliveries alone, no websocket and no console.
type Ingress struct {
	// BaseURL is what CreateWebhooks is handed.
	BaseURL string
	// Addr is the address it listens on.
	Addr string
	srv  *http.Server
	done chan error
}

// ListenWebhooks serves the webhook ingress on addr, a loopback address
// (port 0 picks one), and makes it the base URL of every session's
// webhooks. publicURL, when set, is handed to CreateWebhooks instead.
func (d *Daemon) ListenWebhooks(addr, publicURL string) (*Ingress, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("webhook listen address %q: %w", addr, err)
	}
	if !isLoopbackHost(host) {
		return nil, fmt.Errorf("refusing to receive webhooks on %s: not a loopback address (a tunnel forwards to loopback; pass its URL as --public-url)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	in := &Ingress{Addr: ln.Addr().String(), done: make(chan error, 1)}
	base, publicHost, err := webhookBase(in.Addr, publicURL)
	if err != nil {
		ln.Close()
		return nil, err
	}
	in.BaseURL = base
	access := Access{ListenAddr: in.Addr}
	if publicHost != "" {
		access.AllowedHosts = []string{publicHost}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{session}/{secret}/{config}", d.serveWebhook)
	in.srv = &http.Server{Handler: checkHost(mux, access), ReadHeaderTimeout: 10 * time.Second}
	go func() { in.done <- in.srv.Serve(ln) }()
	d.sessions.SetWebhookBase(base)
	return in, nil
}

// Close stops the ingress; deliveries in progress are cut.
func (in *Ingress) Close() error {
	err := in.srv.Close()
	if serr := <-in.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
