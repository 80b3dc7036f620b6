package dispatch

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// failAfter fails every write once n bytes are written.
type failAfter struct {
	bytes.Buffer
	n int
}

var errDiskFull = errors.New("no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.Len()+len(p) > f.n {
		return 0, errDiskFull
	}
	return f.Buffer.Write(p)
}

// The async writer writes every byte in order, and a failing file's error
// stops later writes and comes back from Close.
func TestAsyncWriter(t *testing.T) {
	var want bytes.Buffer
	for i := range 100_000 {
		fmt.Fprintf(&want, `{"resource":"payments","item":{"n":%d}}`+"\n", i)
	}
	for _, tc := range []struct {
		name  string
		limit int
	}{
		{"all written", 1 << 30},
		{"the file fails", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &failAfter{n: tc.limit}
			w := newAsyncWriter(f)
			var werr error
			for line := range bytes.Lines(want.Bytes()) {
				if _, werr = w.Write(line); werr != nil {
					break
				}
			}
			err := w.Close()
			if tc.limit > want.Len() {
				if err != nil || werr != nil || !bytes.Equal(f.Bytes(), want.Bytes()) {
					t.Fatalf("wrote %d of %d bytes, %v %v", f.Len(), want.Len(), werr, err)
				}
				return
			}
			if !errors.Is(err, errDiskFull) {
				t.Fatalf("Close: %v, want the file's error", err)
			}
			if !bytes.HasPrefix(want.Bytes(), f.Bytes()) {
				t.Fatal("what was written is not a prefix of the lines")
			}
		})
	}
}
