package daemon

import (
	"net"
	"net/http"
	"strings"
)

// hostAllowed reports whether the request's Host names this daemon: a
// loopback name or address, the address it listens on, or a name given
// with --allow-host. Anything else is a page of another site whose name
// was rebound to 127.0.0.1 (DNS rebinding), refused before any route.
func hostAllowed(r *http.Request, a Access) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	if isLoopbackHost(strings.ToLower(host)) {
		return true
	}
	if a.ListenAddr != "" {
		if lh, _, err := net.SplitHostPort(a.ListenAddr); err == nil && strings.EqualFold(strings.Trim(lh, "[]"), host) {
			return true
		}
	}
	for _, h := range a.AllowedHosts {
		if h == "*" || strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// checkHost wraps every route of h with the Host check.
func checkHost(h http.Handler, a Access) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r, a) {
			http.Error(w, "host not allowed: this daemon answers to loopback names and its listen address only (start it with --allow-host NAME to add one)", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
