package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/protocol"
)

// throughDaemon serves a daemon with the Stripe provider on a websocket and
// returns an initialized client of it and a context bounding the test; all
// stop with the test.
func throughDaemon(t *testing.T, opts ...client.Option) (*client.Client, context.Context) {
	t.Helper()
	p, _ := connector.Default().Lookup(ProviderName)
	reg := connector.NewRegistry()
	reg.Register(p)
	d := daemon.New(daemon.Options{Registry: reg})
	t.Cleanup(func() { d.Close() })
	srv := httptest.NewServer(d.Handler(daemon.Access{Token: "t"}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/rpc", "t", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	return c, ctx
}

// TestFaultsThroughTheDaemon injects each fault kind into a Stripe session
// (stripe-go over the session's client, against stripe-mock): the failing
// kinds fail the page with the connector's coded error and leave the state
// untouched, the altering kinds deliver, and each faulted exchange is
// marked.
func TestFaultsThroughTheDaemon(t *testing.T) {
	url := stripeMockURL(t)
	c, ctx := throughDaemon(t)
	cfg, _ := json.Marshal(map[string]string{"apiKey": "sk_test_faults", "endpoint": url})
	for _, tc := range []struct {
		rule      protocol.FaultRule
		fails     bool
		status    int
		retryable bool
		text      string
	}{
		{protocol.FaultRule{Kind: protocol.FaultStatus, Status: 429, Page: 1}, true, 429, true, "429"},
		{protocol.FaultRule{Kind: protocol.FaultStatus, Status: 401, Page: 1}, true, 401, false, "401"},
		{protocol.FaultRule{Kind: protocol.FaultStatus, Status: 503, Every: 1}, true, 503, true, "503"},
		{protocol.FaultRule{Kind: protocol.FaultTimeout, DelayMs: 10, Page: 1}, true, 0, true, "timeout"},
		{protocol.FaultRule{Kind: protocol.FaultReset, Page: 1}, true, 0, true, "connection reset"},
		{protocol.FaultRule{Kind: protocol.FaultTruncate, Page: 1}, true, 0, true, ""},
		{protocol.FaultRule{Kind: protocol.FaultDuplicate}, false, 0, false, ""},
		{protocol.FaultRule{Kind: protocol.FaultReorder, Page: 1}, false, 0, false, ""},
	} {
		t.Run(tc.rule.Kind+tc.text, func(t *testing.T) {
			s, err := c.CreateSession(ctx, protocol.SessionCreateParams{Provider: ProviderName, Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.FaultsSet(ctx, protocol.FaultsSetParams{SessionID: s.ID, Rules: []protocol.FaultRule{tc.rule}}); err != nil {
				t.Fatal(err)
			}
			if tc.rule.Kind == protocol.FaultDuplicate {
				// The first answer, which the duplicate serves again.
				if _, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments"}); err != nil {
					t.Fatal(err)
				}
			}
			var before, after protocol.StateGetResult
			if err := c.Call(ctx, protocol.MethodStateGet, protocol.SessionParams{SessionID: s.ID}, &before); err != nil {
				t.Fatal(err)
			}
			page, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments", Reset: tc.rule.Kind == protocol.FaultDuplicate})
			_ = c.Call(ctx, protocol.MethodStateGet, protocol.SessionParams{SessionID: s.ID}, &after)
			if tc.fails {
				var pe *protocol.Error
				if !errors.As(err, &pe) || pe.Code != protocol.CodeConnectorError {
					t.Fatalf("faulted page: %v, want a connector error", err)
				}
				var data protocol.ConnectorErrorData
				raw, _ := json.Marshal(pe.Data)
				json.Unmarshal(raw, &data)
				if data.HTTPStatus != tc.status || data.Retryable == nil || *data.Retryable != tc.retryable || !strings.Contains(pe.Message, tc.text) {
					t.Errorf("faulted page: %v %+v", pe, data)
				}
				if b, a := json.RawMessage(mustJSON(before)), json.RawMessage(mustJSON(after)); string(a) != string(b) {
					t.Errorf("the state moved past a failed page: %s -> %s", b, a)
				}
			} else if err != nil || page.ItemCount == 0 {
				t.Fatalf("page under %s: %v, %d items", tc.rule.Kind, err, page.ItemCount)
			}
			var listed protocol.HTTPListResult
			if err := c.Call(ctx, protocol.MethodHTTPList, protocol.HTTPListParams{SessionID: s.ID}, &listed); err != nil {
				t.Fatal(err)
			}
			marked := 0
			for _, ex := range listed.Exchanges {
				if ex.Fault != nil && ex.Fault.Kind == tc.rule.Kind {
					marked++
				}
			}
			if marked == 0 {
				t.Errorf("no exchange marked %s among %d", tc.rule.Kind, len(listed.Exchanges))
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
