package bus

import (
	"encoding/json"
	"math/rand"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/internal/wirefill"
	"github.com/switchboardpay/switchboard/protocol"
)

// checkPage encodes a random fetch/page notification (every field of the
// page and its params found by reflection) and compares it with
// encoding/json's bytes. A field added to protocol.Page or
// protocol.FetchPageParams and not to the hand encoder fails here.
func checkPage(t *testing.T, seed int64, mode wirefill.Mode) {
	t.Helper()
	r := rand.New(rand.NewSource(seed))
	var p protocol.FetchPageParams
	wirefill.Fill(&p, r, mode)
	want, err := json.Marshal(struct {
		JSONRPC string                   `json:"jsonrpc"`
		Method  string                   `json:"method"`
		Params  protocol.FetchPageParams `json:"params"`
	}{"2.0", protocol.NotifyFetchPage, p})
	if err != nil {
		t.Fatalf("seed %d: encoding/json: %v", seed, err)
	}
	got := appendPageNotification([]byte("x"), &p, true)
	if got[0] != 'x' {
		t.Fatalf("seed %d: the encoder dropped what the buffer held", seed)
	}
	if diff := cmp.Diff(wirefill.Canonical(want), wirefill.Canonical(got[1:])); diff != "" {
		t.Fatalf("seed %d (-encoding/json +hand):\n%s", seed, diff)
	}
	// Without items, the page is the same page less its items member.
	lite := p
	lite.Page.Items = nil
	wantLite, _ := json.Marshal(lite.Page)
	if diff := cmp.Diff(wirefill.Canonical(wantLite), wirefill.Canonical(AppendPage(nil, &p.Page, false))); diff != "" {
		t.Fatalf("seed %d, without items (-encoding/json +hand):\n%s", seed, diff)
	}
}

func TestPageEncoderCoversEveryField(t *testing.T) { wirefill.Seeds(t, 300, checkPage) }

// FuzzPageEncoderMatchesEncodingJSON: hand page encoder output ==
// encoding/json output for random pages.
func FuzzPageEncoderMatchesEncodingJSON(f *testing.F) { wirefill.Fuzz(f, checkPage) }
