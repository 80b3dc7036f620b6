package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/demobank"
)

// The connector's check accepts what the bank signs and refuses a changed
// body, another secret, a stale timestamp and a malformed header, each
// with its reason.
func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"payment.created"}`)
	good := demobank.Sign("whsec_a", now, body)
	for _, tc := range []struct {
		name, secret, sig string
		body              []byte
		want              string // "" for accepted
	}{
		{"signed by the bank", "whsec_a", good, body, ""},
		{"body changed", "whsec_a", good, []byte(`{"id":"evt_1","type":"payment.created","x":1}`), "signature mismatch"},
		{"other secret", "whsec_b", good, body, "signature mismatch"},
		{"stale", "whsec_a", demobank.Sign("whsec_a", now.Add(-10*time.Minute), body), body, "tolerance"},
		{"no header", "whsec_a", "", body, "missing"},
		{"no timestamp", "whsec_a", "v1=00", body, "no t= timestamp"},
		{"second v1 matches", "whsec_a", good + ",v1=" + strings.Repeat("0", 64), body, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verifySignature(tc.secret, tc.sig, tc.body, now)
			if tc.want == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
