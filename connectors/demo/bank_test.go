package demo

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/connector"
)

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestIdleBankHoldsNothing opens many zero-config connectors (what a
// daemon restoring its sessions does) and checks that they hold no
// descriptor and no goroutine until used; a used bank stops listening when
// idle, keeps its data, and serves again on its next request.
func TestIdleBankHoldsNothing(t *testing.T) {
	defer func(d time.Duration) { bankIdle = d }(bankIdle)
	bankIdle = 100 * time.Millisecond

	fds, goroutines := openFDs(t), runtime.NumGoroutine()
	var conns []*Connector
	for range 200 {
		c, err := provider(t).Open(context.Background(), json.RawMessage(`{"accounts":3,"paymentsPerAccount":7}`), testEnv(t))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c.(*Connector))
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	if got := openFDs(t); got > fds {
		t.Errorf("200 idle connectors hold %d more descriptors", got-fds)
	}
	if got := runtime.NumGoroutine(); got > goroutines {
		t.Errorf("200 idle connectors hold %d more goroutines", got-goroutines)
	}

	c := conns[0]
	if u := c.Endpoint(); u != "" {
		t.Errorf("an unused bank listens on %s", u)
	}
	got, _ := drain(t, c, connector.FetchRequest{PageSize: 10})
	if len(got) != 21 {
		t.Fatalf("%d payments, want 21", len(got))
	}
	url := c.Endpoint()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("a used bank's endpoint is %q", url)
	}
	// The bank's admin routes are reachable while it listens.
	req, _ := http.NewRequest(http.MethodPost, url+"/admin/grow?n=4", nil)
	req.Header.Set("Authorization", "Bearer demo-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("grow: %s", resp.Status)
	}

	deadline := time.Now().Add(5 * time.Second)
	for c.Endpoint() != "" {
		if time.Now().After(deadline) {
			t.Fatal("the bank still listens 5s after its last request")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("an idle bank still accepts connections on %s", url)
	}
	waitFor(t, func() bool { return openFDs(t) <= fds && runtime.NumGoroutine() <= goroutines },
		"an idle bank's descriptors and goroutines to go")

	// Its data stayed: the grown payments are there, and on the same URL.
	again, _ := drain(t, c, connector.FetchRequest{PageSize: 10})
	if len(again) != 25 {
		t.Errorf("%d payments after the bank restarted, want 21 + 4 grown", len(again))
	}
	if u := c.Endpoint(); u != url {
		t.Logf("the bank came back on %s, not %s (the port was taken)", u, url)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if u := c.Endpoint(); u != "" {
		t.Errorf("a closed bank listens on %s", u)
	}
	if _, err := c.FetchAccounts(context.Background(), connector.FetchRequest{}); err == nil {
		t.Error("fetch after Close succeeded")
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
