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
