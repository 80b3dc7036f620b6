package faults

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/protocol"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want protocol.FaultRule
		bad  bool
	}{
		{spec: "429,page=2,retryAfter=3", want: protocol.FaultRule{Kind: "status", Status: 429, Page: 2, RetryAfter: 3}},
		{spec: "503,every=3,operation=fetch/payments", want: protocol.FaultRule{Kind: "status", Status: 503, Every: 3, Operation: "fetch/payments"}},
		{spec: "reset,p=0.1,seed=7", want: protocol.FaultRule{Kind: "reset", Probability: 0.1, Seed: 7}},
		{spec: "kind=truncate,url=/transactions,times=1,id=cut", want: protocol.FaultRule{ID: "cut", Kind: "truncate", URL: "/transactions", Times: 1}},
		{spec: "timeout,delayMs=250", want: protocol.FaultRule{Kind: "timeout", DelayMs: 250}},
		{spec: `rewrite,field=status,value="on_hold"`, want: protocol.FaultRule{Kind: "rewrite", Field: "status", Value: []byte(`"on_hold"`)}},
		{spec: "rewrite,field=status,value=not-json", bad: true},
		{spec: "explode", bad: true},
		{spec: "429,page=x", bad: true},
		{spec: "429,color=red", bad: true},
		{spec: "reset,page=1,every=2", bad: true},
		{spec: "", bad: true},
	} {
		got, err := Parse(tc.spec)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: parsed as %+v, want an error", tc.spec, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.spec, diff)
		}
	}
}
