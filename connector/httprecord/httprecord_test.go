package httprecord

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll returns what io.ReadAll does, whatever length was declared:
// right, too short, too long or unknown, and on a reader that fails.
func TestReadAllMatchesIoReadAll(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 10_000) // 160,000 bytes
	for _, tc := range []struct {
		name     string
		declared int64
	}{
		{"right", int64(len(body))}, {"unknown", -1}, {"short", 10}, {"long", int64(len(body)) * 2}, {"zero", 0}, {"huge", 1 << 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(iotest.HalfReader(strings.NewReader(body)), tc.declared)
			if err != nil || string(got) != body {
				t.Fatalf("read %d bytes, %v", len(got), err)
			}
		})
	}
	boom := errors.New("boom")
	got, err := readAll(io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom)), -1)
	if !errors.Is(err, boom) || string(got) != "partial" {
		t.Errorf("got %q, %v; want the bytes before the error and the error", got, err)
	}
	if got, err := readAll(bytes.NewReader(nil), 0); err != nil || len(got) != 0 {
		t.Errorf("empty body: %q %v", got, err)
	}
}
