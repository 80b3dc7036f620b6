package remote_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/switchboardpay/switchboard/daemon/remote"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// BenchmarkPage fetches pages of 100 payments through the daemon from the
// demo connector in-process and from the same connector in a process of
// its own, in one run: the difference is the process boundary's cost.
func BenchmarkPage(b *testing.B) {
	_, url := bank(b, demobank.Config{Seed: 7, Accounts: 4, PaymentsPerAccount: 2500, APIKey: apiKey})
	d, _ := newDaemon(b, remote.Options{}, demoProvider())
	c := serve(b, d)
	for _, provider := range []string{"demo", "testconn"} {
		b.Run(map[string]string{"demo": "in-process", "testconn": "remote"}[provider], func(b *testing.B) {
			var s protocol.Session
			c.must(b, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: provider,
				Config: json.RawMessage(fmt.Sprintf(`{"endpoint":%q,"apiKey":%q}`, url, apiKey))}, &s)
			reset := true
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var page protocol.Page
				c.must(b, protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments", PageSize: 100, Reset: reset}, &page)
				reset = !page.HasMore
			}
		})
	}
}
