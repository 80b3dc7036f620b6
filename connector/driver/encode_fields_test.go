package driver

import (
	"encoding/json"
	"errors"
	"math/rand"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/internal/wirefill"
)

// itemEncoders pairs each wire item type with its hand encoder. A new item
// type needs a row here; a new field of an existing type needs nothing
// (wirefill finds it) but an edit of its encoder, or this test fails.
var itemEncoders = []struct {
	name   string
	encode func(r *rand.Rand, mode wirefill.Mode) (v any, got []byte, err error)
}{
	{"payment", encodeRandom(AppendPayment)},
	{"account", encodeRandom(AppendAccount)},
	{"balance", encodeRandom(AppendBalance)},
	{"other", encodeRandom(AppendOther)},
	{"order", encodeRandom(AppendOrder)},
	{"conversion", encodeRandom(AppendConversion)},
}

func encodeRandom[T any](enc func([]byte, *T) ([]byte, error)) func(*rand.Rand, wirefill.Mode) (any, []byte, error) {
	return func(r *rand.Rand, mode wirefill.Mode) (any, []byte, error) {
		v := new(T)
		wirefill.Fill(v, r, mode)
		b, err := enc([]byte("x"), v) // appends: what was there stays
		if err == nil && (len(b) == 0 || b[0] != 'x') {
			return v, b, errPrefixLost
		}
		if len(b) > 0 {
			b = b[1:]
		}
		return v, b, err
	}
}

var errPrefixLost = errors.New("the encoder dropped what the buffer held")

// checkItem encodes one random item of every type and compares it with
// encoding/json's bytes.
func checkItem(t *testing.T, seed int64, mode wirefill.Mode) {
	t.Helper()
	for _, e := range itemEncoders {
		r := rand.New(rand.NewSource(seed))
		v, got, err := e.encode(r, mode)
		if err != nil {
			t.Fatalf("%s (seed %d): %v", e.name, seed, err)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s (seed %d): encoding/json: %v", e.name, seed, err)
		}
		if diff := cmp.Diff(wirefill.Canonical(want), wirefill.Canonical(got)); diff != "" {
			t.Fatalf("%s (seed %d) (-encoding/json +hand):\n%s", e.name, seed, diff)
		}
	}
}

// Every field of every wire item, filled by reflection, is written by its
// hand encoder exactly as encoding/json writes it; and with random fields
// left zero, omitempty and null agree too.
func TestEncodersCoverEveryField(t *testing.T) { wirefill.Seeds(t, 300, checkItem) }

// FuzzEncodersMatchEncodingJSON: hand encoder output == encoding/json
// output, for random values of every item type.
func FuzzEncodersMatchEncodingJSON(f *testing.F) { wirefill.Fuzz(f, checkItem) }
