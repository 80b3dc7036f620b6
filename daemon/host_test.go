package daemon_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboardpay/switchboard/daemon"
)

// A page of another site whose name was rebound to 127.0.0.1 sends its
// own name as Host: every route answers 403 to it, before the token is
// even looked at.
func TestHostCheck(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	srv := httptest.NewServer(d.Handler(daemon.Access{Token: testToken, AllowedHosts: []string{"devbox.lan"}, ListenAddr: "192.0.2.7:7777"}))
	defer srv.Close()
	for _, tc := range []struct {
		host, path string
		want       int
	}{
		{"rebind.evil.example", "/", 403},
		{"rebind.evil.example:7777", "/rpc", 403},
		{"rebind.evil.example", "/index.html", 403},
		{"rebind.evil.example", "/nope", 403},
		{"127.0.0.1.evil.example", "/", 403},
		{"localhost.evil.example", "/", 403},
		{"localhost", "/", 200},
		{"LOCALHOST:7777", "/", 200},
		{"127.0.0.1", "/", 200},
		{"127.9.9.9:80", "/", 200},
		{"[::1]:7777", "/", 200},
		{"192.0.2.7:7777", "/", 200},  // the listen address
		{"devbox.lan:7777", "/", 200}, // --allow-host
		{"localhost", "/rpc", 401},    // past the host check, then the token
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		req.Host = tc.host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("Host %q %s: status %d, want %d", tc.host, tc.path, res.StatusCode, tc.want)
		}
	}
}
