package demo

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDataItems(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
		err        bool
	}{
		{"bank shape", `{"object":"list","data":[{"id":"a"},{"id":"b"}],"has_more":false}`, []string{`{"id":"a"}`, `{"id":"b"}`}, false},
		{"empty", `{"data":[],"has_more":false}`, nil, false},
		{"whitespace", " {\n \"data\" : [ {\"x\": [1, {\"y\":\"]}\"}]} ,\n 2 , \"s\" ] }", []string{`{"x": [1, {"y":"]}"}]}`, `2`, `"s"`}, false},
		{"escaped quotes", `{"meta":{"k":"a\"],"},"data":[{"d":"q\\"}]}`, []string{`{"d":"q\\"}`}, false},
		{"data later", `{"has_more":true,"next_cursor":"c","data":[null,true]}`, []string{`null`, `true`}, false},
		{"no data", `{"has_more":false}`, nil, true},
		{"data not array", `{"data":{}}`, nil, true},
		{"not object", `[1]`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dataItems([]byte(tc.body))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			var gotS []string
			for _, r := range got {
				if !json.Valid(r) {
					t.Errorf("item %s is not valid JSON", r)
				}
				gotS = append(gotS, string(r))
			}
			if diff := cmp.Diff(tc.want, gotS); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}
