package engine

import (
	"encoding/json"
	"testing"

	"github.com/switchboardpay/switchboard/protocol"
)

func TestBreakpointHits(t *testing.T) {
	page := func(items string, hasMore bool, state string) *protocol.Page {
		var n []json.RawMessage
		json.Unmarshal([]byte(items), &n)
		return &protocol.Page{Page: 4, Items: json.RawMessage(items), ItemCount: len(n), HasMore: hasMore, NewState: json.RawMessage(state)}
	}
	for _, tc := range []struct {
		name string
		bp   protocol.Breakpoint
		at   PagePoint
		want bool
	}{
		{"page hit", protocol.Breakpoint{Page: 5}, PagePoint{Page: 5}, true},
		{"page miss", protocol.Breakpoint{Page: 5}, PagePoint{Page: 4}, false},
		{"empty with more", protocol.Breakpoint{When: protocol.BreakEmptyWithMore}, PagePoint{Page: 5, Last: page(`[]`, true, `{"c":1}`)}, true},
		{"empty at the end", protocol.Breakpoint{When: protocol.BreakEmptyWithMore}, PagePoint{Page: 5, Last: page(`[]`, false, `{"c":1}`)}, false},
		{"no last page", protocol.Breakpoint{When: protocol.BreakEmptyWithMore}, PagePoint{Page: 1}, false},
		{"state unchanged", protocol.Breakpoint{When: protocol.BreakStateUnchanged}, PagePoint{Page: 5, Last: page(`[{}]`, true, `{"c": 1}`), LastFrom: json.RawMessage(`{"c":1}`)}, true},
		{"state moved", protocol.Breakpoint{When: protocol.BreakStateUnchanged}, PagePoint{Page: 5, Last: page(`[{}]`, true, `{"c":2}`), LastFrom: json.RawMessage(`{"c":1}`)}, false},
		{"unknown status", protocol.Breakpoint{When: protocol.BreakUnknownStatus}, PagePoint{Resource: "payments", Page: 5, Last: page(`[{"reference":"a","status":"SUCCEEDED"},{"reference":"b","status":"OTHER"}]`, true, `{}`)}, true},
		{"unmapped status", protocol.Breakpoint{When: protocol.BreakUnknownStatus}, PagePoint{Resource: "payments", Page: 5, Last: page(`[{"reference":"a","status":"settled"}]`, true, `{}`)}, true},
		{"known statuses", protocol.Breakpoint{When: protocol.BreakUnknownStatus}, PagePoint{Resource: "payments", Page: 5, Last: page(`[{"reference":"a","status":"PENDING"}]`, true, `{}`)}, false},
	} {
		if _, got := hits(tc.bp, tc.at); got != tc.want {
			t.Errorf("%s: hit %v, want %v", tc.name, got, tc.want)
		}
	}
}
