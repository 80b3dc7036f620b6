package jsonenc

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzAppendFloat: AppendFloat writes what encoding/json writes, for every
// finite float.
func FuzzAppendFloat(f *testing.F) {
	for _, x := range []float64{0, 1, -1, 0.25, 1e-6, 9.99e-7, 1e20, 1e21, 1.8944935199330946e-12, -3e-9, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, err := json.Marshal(x)
		if err != nil {
			t.Skip(err) // NaN, infinities
		}
		if got := AppendFloat(nil, x); string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, encoding/json %s", x, got, want)
		}
	})
}

// FuzzAppendString: AppendString writes what encoding/json writes.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"q"`, "<&>", "\u2028\xff\x00", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}
