package daemon

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/clients/web"
	"github.com/switchboardpay/switchboard/daemon/transport"
)

// Access says who may open a websocket.
type Access struct {
	// Token is required as "Authorization: Bearer T" or "?token=T".
	// Empty disables the check (tests only).
	Token string
	// AllowedOrigins lists extra browser origins ("http://localhost:5173")
	// allowed besides the daemon's own address. A request without an Origin
	// header (not a browser) is not checked.
	AllowedOrigins []string
	// AllowedHosts lists extra names the daemon answers to in the Host
	// header (--allow-host), besides loopback names and ListenAddr.
	AllowedHosts []string
	// ListenAddr is the address the daemon listens on; its host is
	// allowed in the Host header. ListenAndServe sets it.
	ListenAddr string
}

// NewToken returns a random 128-bit token.
func NewToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// Handler returns the daemon's HTTP handler: the JSON-RPC websocket at /rpc
// and the web console (package clients/web) at /.
func (d *Daemon) Handler(access Access) http.Handler {
	mux := http.NewServeMux()
	up := websocket.Upgrader{
		ReadBufferSize:  64 << 10,
		WriteBufferSize: 64 << 10,
		// Origin is checked before the upgrade, with a 403 the browser can
		// show; the upgrader must not refuse it again with its own rule.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	mux.HandleFunc("/rpc", func(w http.ResponseWriter, r *http.Request) {
		if !originAllowed(r, access.AllowedOrigins) {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		if !tokenOK(r, access.Token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
			http.Error(w, "missing or wrong token", http.StatusUnauthorized)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // the upgrader has answered
		}
		d.ServeStream(r.Context(), transport.NewWebsocketStream(c, d.opts.MaxMessageSize))
	})
	// Webhook deliveries: no bearer token, the session's secret instead.
	mux.HandleFunc("POST /webhooks/{session}/{secret}/{config}", d.serveWebhook)
	// The web console: index.html at "/", its files at their paths.
	mux.Handle("/", web.Handler())
	return checkHost(mux, access)
}

func tokenOK(r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	got := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		got = strings.TrimPrefix(h, "Bearer ")
	} else {
		got = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// originAllowed lets through non-browser clients (no Origin), pages the
// daemon serves itself (same host and port), and the allow list.
func originAllowed(r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(a, origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	// The console may be opened as localhost while the daemon binds
	// 127.0.0.1 (or the other way round): same port, both loopback.
	oh, op, err1 := net.SplitHostPort(u.Host)
	rh, rp, err2 := net.SplitHostPort(r.Host)
	return err1 == nil && err2 == nil && op == rp && isLoopbackHost(oh) && isLoopbackHost(rh)
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
