package drift

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/protocol"
)

func TestCompareSchemas(t *testing.T) {
	old := `{"data":[{"id":"a1","status":"ok","n":1,"opt":null,"sub":{"x":1}},{"id":"a2","status":"ok","n":2,"opt":null,"sub":{"x":2}},{"id":"a3","status":"ko","n":3,"opt":"v","sub":{"x":3}},{"id":"a4","status":"ko","n":4,"opt":null,"sub":{"x":4}}]}`
	for _, tc := range []struct {
		name string
		new  string
		want []string // kind field
	}{
		{"same", old, nil},
		{"same schema, other ids", `{"data":[{"id":"b9","status":"ok","n":7,"opt":null,"sub":{"x":1}}]}`, nil},
		{"renamed", `{"data":[{"ident":"a1","status":"ok","n":1,"opt":null,"sub":{"x":1}}]}`,
			[]string{"field-removed data[].id", "field-added data[].ident"}},
		{"retyped", `{"data":[{"id":"a1","status":"ok","n":"1","opt":null,"sub":{"x":1}}]}`, []string{"field-retyped data[].n"}},
		{"null says nothing of a type", `{"data":[{"id":"a1","status":"ok","n":1,"opt":null,"sub":{"x":1}}]}`, nil},
		{"enum value", `{"data":[{"id":"a1","status":"held","n":1,"opt":null,"sub":{"x":1}}]}`, []string{"enum-value-added data[].status"}},
		{"an object gone is one removal", `{"data":[{"id":"a1","status":"ok","n":1,"opt":null}]}`, []string{"field-removed data[].sub"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, n := Schema{}, Schema{}
			o.Add([]byte(old))
			n.Add([]byte(tc.new))
			var got []string
			for _, d := range CompareSchemas("GET /x", o, n) {
				got = append(got, d.Kind+" "+d.Field)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEndpointFoldsIDs(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:1/v1/accounts/acc_f75f04cbb5a1a1dd/transactions?limit=2": "GET /v1/accounts/{id}/transactions",
		"http://h/v1/accounts":                  "GET /v1/accounts",
		"https://api.stripe.com/v1/balance":     "GET /v1/balance",
		"http://h/v1/payouts/po_1PgaxNB7WZ01zg": "GET /v1/payouts/{id}",
	} {
		if got := Endpoint("GET", in); got != want {
			t.Errorf("Endpoint(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCompareItems(t *testing.T) {
	old := []Item{{"payments", "p1", []byte(`{"a":1,"b":{"c":"x"}}`)}, {"payments", "p2", []byte(`{"a":2}`)}, {"accounts", "p1", []byte(`{"a":1}`)}}
	new := []Item{{"payments", "p1", []byte(`{"a":1,"b":{"c":"y"},"d":true}`)}, {"payments", "p3", []byte(`{"a":3}`)}, {"accounts", "p1", []byte(`{"a":1}`)}}
	got, total := CompareItems(old, new)
	var kinds []string
	for _, d := range got {
		kinds = append(kinds, d.Kind+" "+d.Resource+" "+d.Reference+" "+d.Field)
	}
	want := []string{
		protocol.DriftItemChanged + " payments p1 b.c",
		protocol.DriftItemChanged + " payments p1 d",
		protocol.DriftItemRemoved + " payments p2 ",
		protocol.DriftItemAdded + " payments p3 ",
	}
	if diff := cmp.Diff(want, kinds); diff != "" || total != 4 {
		t.Errorf("total %d (-want +got):\n%s", total, diff)
	}
}
