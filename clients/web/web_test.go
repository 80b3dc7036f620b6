package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFSHasTheConsole(t *testing.T) {
	for _, name := range []string{"index.html", "app.js", "rpc.js", "dom.js", "format.js", "schema-form.js", "style.css", "favicon.svg"} {
		if _, err := fs.Stat(FS(), name); err != nil {
			t.Errorf("embedded %s: %v", name, err)
		}
	}
	b, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `<script type="module" src="/app.js">`) {
		t.Errorf("index.html does not load /app.js as a module")
	}
}

func get(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.Host = "127.0.0.1:7777"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func TestHandler(t *testing.T) {
	h := Handler()
	cases := []struct {
		path, status, ctype, body string
	}{
		{"/", "200", "text/html; charset=utf-8", "<title>Switchboard</title>"},
		{"/?token=abc", "200", "text/html; charset=utf-8", "<title>Switchboard</title>"},
		{"/app.js", "200", "text/javascript; charset=utf-8", "initialize"},
		{"/rpc.js", "200", "text/javascript; charset=utf-8", "$/cancelRequest"},
		{"/style.css", "200", "text/css; charset=utf-8", ":root"},
		{"/favicon.svg", "200", "image/svg+xml", "<svg"},
		{"/index.html", "404", "", ""},
		{"/nope.js", "404", "", ""},
		{"/../web.go", "404", "", ""},
	}
	for _, c := range cases {
		res := get(t, h, "GET", c.path)
		body, _ := io.ReadAll(res.Body)
		if got := res.Status[:3]; got != c.status {
			t.Errorf("GET %s: status %s, want %s", c.path, got, c.status)
			continue
		}
		if c.status != "200" {
			continue
		}
		if got := res.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.ctype)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", c.path, got)
		}
		if got, want := res.Header.Get("Content-Security-Policy"), CSP("127.0.0.1:7777"); got != want {
			t.Errorf("GET %s: CSP %q, want %q", c.path, got, want)
		}
		if !strings.Contains(string(body), c.body) {
			t.Errorf("GET %s: body lacks %q", c.path, c.body)
		}
	}
	if res := get(t, h, "POST", "/"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %s", res.Status)
	}
}

func TestCSP(t *testing.T) {
	csp := CSP("127.0.0.1:7777")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self' ws://127.0.0.1:7777 wss://127.0.0.1:7777", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	for _, bad := range []string{"evil.com; script-src *", "a b", "x'y", ""} {
		if c := CSP(bad); strings.Contains(c, "ws://") {
			t.Errorf("CSP(%q) writes the host: %q", bad, c)
		}
	}
	if c := CSP("[::1]:80"); !strings.Contains(c, "ws://[::1]:80") {
		t.Errorf("CSP for IPv6 host: %q", c)
	}
}
