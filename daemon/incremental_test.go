package daemon_test

import (
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// bankAndDaemon starts a demo bank and a daemon serving reg's providers
// (demo at least), and returns an initialized peer over a websocket; all
// stop with the test.
func bankAndDaemon(t *testing.T, cfg demobank.Config, reg *connector.Registry) (*demobank.Bank, string, *peer) {
	t.Helper()
	bank := demobank.New(cfg)
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bank.Close() })
	if _, ok := reg.Lookup("demo"); !ok {
		demo, _ := connector.Default().Lookup("demo")
		reg.Register(demo)
	}
	d := daemon.New(daemon.Options{Registry: reg, Logger: quietLogger()})
	t.Cleanup(func() { d.Close() })
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	return bank, url, p
}

// TestIncrementalSyncAfterAdvance: a second sync/run of a completed session
// fetches no payment; after the bank's clock moves with new payments (in
// groups sharing a timestamp, larger than the page), the next fetches
// exactly those.
func TestIncrementalSyncAfterAdvance(t *testing.T) {
	bank, url, p := bankAndDaemon(t, demobank.Config{Seed: 5, Accounts: 3, PaymentsPerAccount: 12}, connector.Default())
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","pageSize":2,"config":{"endpoint":"`+url+`","apiKey":"demo-key"}}`, &s)
	payments := func() int {
		var res protocol.SyncRunResult
		p.ok("sync/run", protocol.SyncRunParams{SessionID: s.ID}, &res)
		n := 0
		for _, tr := range res.Tasks {
			if tr.Error != "" {
				t.Fatalf("task %s: %s", tr.Path, tr.Error)
			}
			if tr.Resource == protocol.ResourcePayments {
				n += tr.Items
			}
		}
		return n
	}
	if n := payments(); n != 36 {
		t.Fatalf("first sync: %d payments, want 36", n)
	}
	if n := payments(); n != 0 {
		t.Fatalf("second sync of a completed session: %d payments, want 0", n)
	}
	bank.Advance(demobank.Advance{By: time.Hour, Payments: 9, SameTime: 3})
	if n := payments(); n != 9 {
		t.Fatalf("sync after 9 new payments: %d, want 9", n)
	}
	if n := payments(); n != 0 {
		t.Fatalf("sync after that: %d, want 0", n)
	}
}
