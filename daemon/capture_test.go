package daemon_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/connector"
	_ "github.com/switchboardpay/switchboard/connectors/demo"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

func TestCaptureRedactsEverySecret(t *testing.T) {
	const secret = "sk_live_Zq8xSECRETvalue42"
	bank := demobank.New(demobank.Config{Seed: 1, Accounts: 8, PaymentsPerAccount: 30, APIKey: secret})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()
	demo, _ := connector.Default().Lookup("demo")
	d := daemon.New(daemon.Options{Registry: registryWith(demo), Logger: quietLogger()})
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","config":{"endpoint":"`+url+`","apiKey":"`+secret+`"}}`, &s)
	var pg protocol.Page
	p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"accounts"}`, &pg)
	if len(pg.HTTPExchanges) == 0 {
		t.Fatal("page names no HTTP exchange")
	}
	p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":50}`, nil)
	from, to := sameCurrencyPair(t, pg)
	p.ok("transfer/create", `{"sessionId":"`+s.ID+`","initiation":{"reference":"t-1","amount":"100","asset":"`+from.DefaultAsset+`","sourceAccountReference":"`+from.Reference+`","destinationAccountReference":"`+to.Reference+`","metadata":{"note":"`+secret+`"}}}`, nil)
	bank.SetFaults(demobank.Faults{ErrorEvery: 1, ErrorStatus: 500})
	p.call("fetch/next", `{"sessionId":"`+s.ID+`","resource":"accounts","reset":true}`)

	var ex protocol.HTTPListResult
	p.ok("http/list", `{"sessionId":"`+s.ID+`"}`, &ex)
	var calls protocol.CallsListResult
	p.ok("calls/list", `{"sessionId":"`+s.ID+`"}`, &calls)
	var logs protocol.LogListResult
	p.ok("log/list", `{"sessionId":"`+s.ID+`","level":"debug"}`, &logs)
	if len(ex.Exchanges) < 4 || len(calls.Calls) < 4 {
		t.Fatalf("%d exchanges, %d calls", len(ex.Exchanges), len(calls.Calls))
	}
	auth := ex.Exchanges[0].Request.Headers["Authorization"]
	if len(auth) != 1 || auth[0] != "Bearer ***" {
		t.Errorf("Authorization captured as %q", auth)
	}
	if pg.HTTPExchanges[0] != ex.Exchanges[0].ID || ex.Exchanges[0].Operation != "fetch/accounts" || ex.Exchanges[0].Page != 1 {
		t.Errorf("first exchange %s %s page %d, page named %v", ex.Exchanges[0].ID, ex.Exchanges[0].Operation, ex.Exchanges[0].Page, pg.HTTPExchanges)
	}
	last := calls.Calls[len(calls.Calls)-1]
	if last.Error == "" || !strings.Contains(last.Error, "500") {
		t.Errorf("last call %+v", last)
	}
	// Every byte the daemon sent: results, lists and notifications.
	var all strings.Builder
	for _, v := range []any{ex, calls, logs, s, p.notifs} {
		b, _ := json.Marshal(v)
		all.Write(b)
	}
	if n := strings.Count(all.String(), secret); n != 0 {
		t.Errorf("the secret appears %d times in what the daemon sent", n)
	}
	if !strings.Contains(all.String(), "http/exchange") {
		t.Error("no http/exchange notification seen")
	}
}

// sameCurrencyPair finds two accounts the demo bank lets transfer between.
func sameCurrencyPair(t *testing.T, pg protocol.Page) (protocol.Account, protocol.Account) {
	var accs []protocol.Account
	json.Unmarshal(pg.Items, &accs)
	for i := range accs {
		for j := range accs {
			if i != j && accs[i].DefaultAsset == accs[j].DefaultAsset {
				return accs[i], accs[j]
			}
		}
	}
	t.Fatal("no two accounts share a currency")
	return protocol.Account{}, protocol.Account{}
}

func registryWith(ps ...*connector.Provider) *connector.Registry {
	r := connector.NewRegistry()
	for _, p := range ps {
		r.Register(p)
	}
	return r
}
