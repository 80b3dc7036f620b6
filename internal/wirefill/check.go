package wirefill

import "testing"

// Check is one encoder (or decoder) held to encoding/json on the value
// filled from seed in mode; it fails t when they disagree.
type Check func(t *testing.T, seed int64, mode Mode)

// Seeds runs check on seeds 0 to n-1 in both modes: the test that a field
// added to a protocol type and not to its hand encoder fails.
func Seeds(t *testing.T, n int64, check Check) {
	t.Helper()
	for seed := int64(0); seed < n; seed++ {
		check(t, seed, All)
		check(t, seed, Some)
	}
}

// Fuzz runs check on the fuzzer's seeds: hand output == encoding/json
// output for random values.
func Fuzz(f *testing.F, check Check) {
	for _, s := range []int64{0, 1, 7, 1 << 40} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, seed int64, some bool) {
		mode := All
		if some {
			mode = Some
		}
		check(t, seed, mode)
	})
}
