package client

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/protocol"
)

var scanSeeds = []string{
	``, ` `, `{}`, ` { } `, `[]`, `null`, `nul`, `true`, `false`, `0`, `-0`, `01`, `1.`, `1.5e`, `1.5e+3`, `-`, `"`, `"\`,
	`"a\u00e9b"`, `"\u12G4"`, "\"\x01\"", `"\x"`, `{"a":1,}`, `{"a":1}}`, `{"a" 1}`, `{"a":[1,2,{"b":null}]}`,
	`[1,]`, `[,1]`, `{"a":1 "b":2}`, `{"a":{"b":{"c":[[[]]]}}}`, `{"a":"}"}`, `{"a":"\"}"}`, `{"a":"\\"}`,
	`{"a":1}x`, `{"a":1} `, "{\"a\":\"\xff\"}", `[1 2]`, `{1:2}`, `{"a":tru}`, `{"a":nulll}`,
	`{"jsonrpc":"2.0","id":7,"result":{"sessionId":"s","resource":"payments","key":"payments","page":2,"items":[{"a":"b\"]"}],"itemCount":1,"newState":{"cursor":"c"},"hasMore":true,"durationMs":1.25,"httpExchanges":["h1"]}}`,
	`{"sessionId":"s","resource":"payments","key":"payments","page":2,"items":[{"a":1}],"itemCount":1,"newState":null,"hasMore":false,"durationMs":-0.5e-3}`,
	`{"sessionId":"s","page":{"sessionId":"s","items":[],"itemCount":0,"hasMore":null,"page":null}}`,
	`{"sessionId":"s","task":"t/x","page":{"Items":[1],"itemCount":1}}`,
	`{"sessionId":"s","page":{"items":[1],"itemCount":"1"}}`,
	`{"sessionId":"s","page":{"page":1.0}}`,
	`{"sessionId":"s","page":{"durationMs":1e999}}`,
	`{"sessionId":"s","page":{"items":[1],"items":[2]}}`,
	`{"sess\u0069onId":"s"}`,
	`{"sessionId":"\u00e9\n","extra":1}`,
	`{"sessionId":7}`,
	`{"page":{"hasMore":1}}`,
	`{"page":{"httpExchanges":null}}`,
	`{"page":{"httpExchanges":"x"}}`,
	`{"page":[]}`,
	`"a string"`,
}

// FuzzDecode checks the decoding against encoding/json: the same messages
// are valid, and pages decode to the same values.
func FuzzDecode(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var probe map[string]json.RawMessage
		_, err := parseMessage(data)
		if valid := json.Unmarshal(data, &probe) == nil && probe != nil; valid != (err == nil) {
			t.Fatalf("%q: encoding/json object = %v, parseMessage error = %v", data, valid, err)
		}
		var wantPage, gotPage protocol.Page
		werr, gerr := json.Unmarshal(data, &wantPage), decodeInto(data, &gotPage)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q as Page: encoding/json error %v, decodeInto error %v", data, werr, gerr)
		}
		if werr == nil {
			if diff := cmp.Diff(wantPage, gotPage); diff != "" {
				t.Fatalf("%q as Page (-encoding/json +decodeInto):\n%s", data, diff)
			}
		}
		var wantParams, gotParams protocol.FetchPageParams
		werr, gerr = json.Unmarshal(data, &wantParams), decodeInto(data, &gotParams)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q as FetchPageParams: encoding/json error %v, decodeInto error %v", data, werr, gerr)
		}
		if werr == nil {
			if diff := cmp.Diff(wantParams, gotParams); diff != "" {
				t.Fatalf("%q as FetchPageParams (-encoding/json +decodeInto):\n%s", data, diff)
			}
		}
		// The one-pass page decoders agree with the general path.
		msg := append([]byte(`{"jsonrpc":"2.0","method":"fetch/page","params":`), data...)
		msg = append(msg, '}')
		if p, ok := decodePageNotification(msg); ok {
			var env struct{ Params json.RawMessage }
			if err := json.Unmarshal(msg, &env); err != nil {
				t.Fatalf("%q: one-pass notification decoded what encoding/json refuses: %v", msg, err)
			}
			var want protocol.FetchPageParams
			if len(env.Params) > 0 && string(env.Params) != "null" {
				if err := json.Unmarshal(env.Params, &want); err != nil {
					t.Fatalf("%q: one-pass notification decoded params encoding/json refuses: %v", msg, err)
				}
			}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Fatalf("%q one-pass notification (-encoding/json +one-pass):\n%s", msg, diff)
			}
		}
	})
}

func TestParseMessage(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    message
		wantErr bool
	}{
		{in: `{"jsonrpc":"2.0","method":"log","params":{"a":1}}`, want: message{method: "log", params: []byte(`{"a":1}`)}},
		{in: `{"jsonrpc":"2.0","method":"log","params":null,"id":null}`, want: message{method: "log"}},
		{in: `{"jsonrpc":"2.0","id":3,"method":"window/workDoneProgress/create","params":{"token":1}}`, want: message{id: []byte(`3`), method: "window/workDoneProgress/create", params: []byte(`{"token":1}`)}},
		{in: ` {"result" : null , "id":"12"} `, want: message{id: []byte(`"12"`), result: []byte(`null`), hasRes: true}},
		{in: `{"id":4,"error":{"code":-32601,"message":"x","data":{"k":[1]}}}`, want: message{id: []byte(`4`), err: []byte(`{"code":-32601,"message":"x","data":{"k":[1]}}`)}},
		{in: `{"ID":4,"Method":"m\u0065"}`, want: message{id: []byte(`4`), method: "me"}},
		{in: `{"\u006dethod":"m"}`, want: message{method: "m"}},
		{in: `{"method":7}`, wantErr: true},
		{in: `[{"method":"m"}]`, wantErr: true},
		{in: `{"method":"m"`, wantErr: true},
		{in: `{"method":"m","params":{]}`, wantErr: true},
	} {
		got, err := parseMessage([]byte(tc.in))
		if (err != nil) != tc.wantErr {
			t.Errorf("parseMessage(%s): err = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(message{})); diff != "" {
				t.Errorf("parseMessage(%s) (-want +got):\n%s", tc.in, diff)
			}
		}
	}
	for in, want := range map[string]uint64{`7`: 7, `"7"`: 7, `18446744073709551615`: 1<<64 - 1} {
		if got, ok := parseID([]byte(in)); !ok || got != want {
			t.Errorf("parseID(%s) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{`-1`, `1.5`, `"x"`, `{}`} {
		if _, ok := parseID([]byte(in)); ok {
			t.Errorf("parseID(%s) ok", in)
		}
	}
}
