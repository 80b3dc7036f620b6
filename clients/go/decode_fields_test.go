package client

import (
	"encoding/json"
	"math/rand"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/internal/wirefill"
	"github.com/switchboardpay/switchboard/protocol"
)

// The one-pass page decoders decode into the protocol types themselves,
// so a new field needs no edit here; this holds them to encoding/json on
// pages with every field set (found by reflection) and with random fields
// zero.
func TestPageDecodersCoverEveryField(t *testing.T) {
	for seed := int64(0); seed < 300; seed++ {
		for _, mode := range []wirefill.Mode{wirefill.All, wirefill.Some} {
			r := rand.New(rand.NewSource(seed))
			var p protocol.FetchPageParams
			wirefill.Fill(&p, r, mode)
			// The daemon's spelling of the envelope, which the fast path
			// recognises: members in its order.
			params, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			note := append(append([]byte(`{"jsonrpc":"2.0","method":"fetch/page","params":`), params...), '}')
			var want protocol.FetchPageParams
			if err := json.Unmarshal(params, &want); err != nil {
				t.Fatal(err)
			}
			got, ok := decodePageNotification(note)
			if !ok {
				t.Fatalf("seed %d: notification not decoded: %s", seed, note)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d: notification (-encoding/json +client):\n%s", seed, diff)
			}
			page, _ := json.Marshal(p.Page)
			res := append(append([]byte(`{"jsonrpc":"2.0","id":9,"result":`), page...), '}')
			id, gotPage, ok := decodePageResponse(res)
			if !ok || id != 9 {
				t.Fatalf("seed %d: result not decoded (id %d): %s", seed, id, res)
			}
			if diff := cmp.Diff(want.Page, *gotPage); diff != "" {
				t.Fatalf("seed %d: result (-encoding/json +client):\n%s", seed, diff)
			}
		}
	}
}
