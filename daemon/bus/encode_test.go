package bus

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/protocol"
)

// The hand encoder must agree with encoding/json on every field.
func TestAppendPageMatchesEncodingJSON(t *testing.T) {
	for _, pg := range []protocol.Page{
		{SessionID: "s", Resource: "payments", Key: "payments", Page: 3, Items: json.RawMessage(`[{"a":1}]`), ItemCount: 1, NewState: json.RawMessage(`{"c":"x"}`), HasMore: true, DurationMs: 1.25},
		{SessionID: "s\"<>&é", Resource: "balances", Key: "balances@acc \"1\"", Page: 1, NewState: json.RawMessage(`null`), HTTPExchanges: []string{"h1", "h2"}},
		{SessionID: "s", Resource: "payments", Key: "payments", Page: 2, NewState: json.RawMessage(`{}`), Deleted: []string{"pay_1", "p\"2"}, Cancelled: []string{"pay_3"}},
	} {
		p := &protocol.FetchPageParams{SessionID: pg.SessionID, Task: "accounts/balances", Page: pg}
		var got, want map[string]any
		if err := json.Unmarshal(appendPageNotification(nil, p, true), &got); err != nil {
			t.Fatalf("invalid JSON: %v", err)
		}
		std, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "fetch/page", "params": p})
		json.Unmarshal(std, &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-encoding/json +hand):\n%s", diff)
		}
		var lite map[string]any
		json.Unmarshal(appendPageNotification(nil, p, false), &lite)
		if _, has := lite["params"].(map[string]any)["page"].(map[string]any)["items"]; has {
			t.Error("lite page has items")
		}
	}
}

// Notifications are encoded by segmentio's encoder: byte for byte what
// encoding/json writes, on the strings an exchange carries (escapes, HTML,
// invalid UTF-8, line separators) and on floats.
func FuzzEncodeNotificationMatchesEncodingJSON(f *testing.F) {
	f.Add("{\"a\":\"<b>&amp;\\u2028\"}", "https://x/?q=1&r=<2>", 12.5)
	f.Add("\xff\xfe bad utf-8 \u2028\u2029 \x00\x1f", "", 0.000001)
	f.Add(`{"reference":"pay_1","amount":"100"}`, "/v1/payments", 1e21)
	f.Fuzz(func(t *testing.T, body, url string, ms float64) {
		p := protocol.HTTPExchangeParams{SessionID: "s", ID: "h1", Operation: "fetchPayments", Page: 2, DurationMs: ms,
			Request:  protocol.HTTPRequest{Method: "GET", URL: url, Headers: map[string][]string{"Authorization": {"[redacted]"}, "X-B": {body}}},
			Response: &protocol.HTTPResponse{Status: 200, Headers: map[string][]string{}, Body: body}}
		std, err := json.Marshal(p)
		if err != nil {
			t.Skip(err) // NaN and infinities: neither encoder writes them
		}
		want := appendEnvelope(nil, protocol.NotifyHTTPExchange, std)
		if got := encodeNotification(protocol.NotifyHTTPExchange, p); string(got) != string(want) {
			t.Errorf("encoding/json:\n%s\nsegmentio:\n%s", want, got)
		}
	})
}
