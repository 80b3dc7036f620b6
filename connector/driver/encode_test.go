package driver

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/protocol"
)

func TestEncodersMatchEncodingJSON(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.UTC)
	raw := json.RawMessage("{ \"id\": \"x\",\n \"n\": [1, 2] }")
	check := func(name string, v any, got []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := json.Marshal(v)
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-encoding/json +hand):\n%s", name, diff)
		}
	}
	for _, p := range []protocol.Payment{
		{Reference: "pay_1", CreatedAt: ts, Type: "PAY-IN", Amount: "123456789012345678901234567890", Asset: "EUR/2", Scheme: "sepa", Status: "SUCCEEDED", Metadata: map[string]string{"b": "2", "a": "<&>\"é\n"}, Raw: raw},
		{ParentReference: "pay_1", Reference: "pay \"2\"", CreatedAt: ts.In(time.FixedZone("x", 3600)), Type: "PAYOUT", Amount: "1", InitialAmount: "2", Asset: "JPY/0", Status: "FAILED", SourceAccountReference: "a", DestinationAccountReference: "b", Metadata: map[string]string{}, Raw: json.RawMessage("null")},
	} {
		got, err := AppendPayment(nil, &p)
		check("payment", p, got, err)
	}
	a := protocol.Account{Reference: "acc", CreatedAt: ts, Name: "Main <EUR>", DefaultAsset: "EUR/2", Metadata: map[string]string{"k": "v"}, Raw: raw}
	got, err := AppendAccount(nil, &a)
	check("account", a, got, err)
	a2 := protocol.Account{Reference: "acc2", Metadata: map[string]string{}, Raw: json.RawMessage(`{}`)}
	got, err = AppendAccount(nil, &a2)
	check("bare account", a2, got, err)
	b := protocol.Balance{AccountReference: "acc", Asset: "USD/2", Amount: "-5", CreatedAt: ts}
	got, err = AppendBalance(nil, &b)
	check("balance", b, got, err)
	o := protocol.Other{ID: "o1", Other: raw}
	got, err = AppendOther(nil, &o)
	check("other", o, got, err)
	if _, err := AppendOther(nil, &protocol.Other{ID: "bad", Other: json.RawMessage(`{"x":`)}); err == nil {
		t.Error("invalid raw JSON accepted")
	}
}

// appendRaw takes a shortcut for JSON that is already compact; it must
// agree with json.Compact on every input, invalid ones included.
func FuzzAppendRaw(f *testing.F) {
	for _, s := range []string{
		`{"id":"x","n":[1,2]}`, `{ "id": "x" }`, `"a\"b"`, `"a\\"`, `"a\\\" b"`, `["\\\\", " "]`,
		`{"a":"b c","d":{"e":[true,false,null,-1.5e3]}}`, "{\"a\":1}\n", `{"a":`, `"unterminated`,
		`{"a":"\u00e9 <&>"}`, "\"tab\there\"", `[1,,2]`, `01`, `{"a":1}{"b":2}`, "\xff", ` `, `"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 {
			return
		}
		got, gotErr := appendRaw([]byte("prefix"), raw)
		var want bytes.Buffer
		want.WriteString("prefix")
		wantErr := json.Compact(&want, raw)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("appendRaw(%q) error %v, json.Compact error %v", raw, gotErr, wantErr)
		}
		if wantErr == nil && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendRaw(%q) = %q, json.Compact gives %q", raw, got, want.Bytes())
		}
	})
}
