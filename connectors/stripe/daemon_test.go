package stripe

import (
	"encoding/json"
	"strings"
	"testing"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestThroughTheDaemon drives a Stripe session through the real daemon
// over a websocket against stripe-mock: every resource, a transfer, and the
// captured traffic without the key.
func TestThroughTheDaemon(t *testing.T) {
	url := stripeMockURL(t)
	var exchanges []protocol.HTTPExchangeParams
	c, ctx := throughDaemon(t, client.OnHTTPExchange(func(e protocol.HTTPExchangeParams) { exchanges = append(exchanges, e) }))
	const key = "sk_test_daemonSecret123"
	cfg, _ := json.Marshal(map[string]string{"apiKey": key, "endpoint": url})
	s, err := c.CreateSession(ctx, protocol.SessionCreateParams{Provider: ProviderName, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.SyncRun(ctx, protocol.SyncRunParams{SessionID: s.ID})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, tr := range run.Tasks {
		if tr.Error != "" {
			t.Errorf("task %s: %s", tr.Path, tr.Error)
		}
		seen[tr.Resource] += tr.Items
	}
	for _, r := range []string{"accounts", "balances", "externalAccounts", "payments"} {
		if seen[r] == 0 {
			t.Errorf("sync fetched no %s: %+v", r, run.Tasks)
		}
	}
	page, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: s.ID, Resource: "accounts", Reset: true})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := client.DecodeItems[protocol.Account](page)
	if err != nil || len(accounts) < 2 {
		t.Fatalf("accounts %+v %v", accounts, err)
	}
	res, err := c.CreateTransfer(ctx, protocol.InitiationParams{SessionID: s.ID, Initiation: protocol.Initiation{
		Reference: "tr-1", Amount: "1000", Asset: "USD/2", DestinationAccountReference: accounts[1].Reference,
	}})
	if err != nil {
		t.Fatalf("transfer/create: %v", err)
	}
	if res.Payment == nil || res.Payment.Type != protocol.PaymentTypeTransfer {
		t.Errorf("transfer result %+v", res)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var listed protocol.HTTPListResult
	if err := c.Call(ctx, protocol.MethodHTTPList, protocol.HTTPListParams{SessionID: s.ID}, &listed); err != nil {
		t.Fatal(err)
	}
	list := listed.Exchanges
	if len(list) == 0 || len(exchanges) == 0 {
		t.Fatalf("%d exchanges listed, %d notified", len(list), len(exchanges))
	}
	all, _ := json.Marshal([]any{list, exchanges})
	if strings.Contains(string(all), key) {
		t.Error("the API key appears in captured traffic")
	}
	if !strings.Contains(string(all), `"Bearer ***"`) {
		t.Error("no redacted Authorization header captured")
	}
}
