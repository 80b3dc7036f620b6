package daemon_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/clients/web"
	"github.com/switchboardpay/switchboard/daemon"
)

// The daemon serves the web console at "/" with its CSP, and /rpc still
// wants the token.
func TestHandlerServesConsole(t *testing.T) {
	d := daemon.New(daemon.Options{Logger: quietLogger()})
	defer d.Close()
	srv := httptest.NewServer(d.Handler(daemon.Access{Token: "secret"}))
	defer srv.Close()

	res, err := http.Get(srv.URL + "/?token=secret")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "<title>Switchboard</title>") {
		t.Fatalf("GET /: %s %.200s", res.Status, body)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if got, want := res.Header.Get("Content-Security-Policy"), web.CSP(host); got != want || !strings.Contains(got, "ws://"+host) {
		t.Errorf("CSP %q, want %q", got, want)
	}
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control %q", got)
	}

	res, err = http.Get(srv.URL + "/app.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("GET /app.js: %s %q", res.Status, res.Header.Get("Content-Type"))
	}

	res, err = http.Get(srv.URL + "/rpc")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /rpc without token: %s", res.Status)
	}
}
