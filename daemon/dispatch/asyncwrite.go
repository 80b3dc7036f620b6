package dispatch

import (
	"io"
	"sync/atomic"
)

// asyncWriter writes to w from a goroutine of its own, so an export reads
// the store on one core while the kernel copies the previous buffer into
// the file on the other: without it the two take turns, and an export
// took about twice what reading alone does (BenchmarkExport in
// daemon/store). Buffers are bufSize bytes, at most asyncBuffers of them,
// so memory is bounded.
//
// Not safe for concurrent use: one goroutine writes, then calls Close.
type asyncWriter struct {
	w    io.Writer
	buf  []byte
	full chan []byte // to the writing goroutine
	free chan []byte // back from it
	done chan error  // its first error, once full is closed
	err  error       // the first error seen by Write
	// failed is the goroutine's first error as soon as it happens, so a
	// failing file (a full disk) stops the export's reading early.
	failed atomic.Pointer[error]
}

const (
	asyncBufSize = 1 << 20
	asyncBuffers = 3
)

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{w: w, full: make(chan []byte, asyncBuffers), free: make(chan []byte, asyncBuffers), done: make(chan error, 1)}
	for range asyncBuffers - 1 {
		a.free <- make([]byte, 0, asyncBufSize)
	}
	a.buf = make([]byte, 0, asyncBufSize)
	go a.run()
	return a
}

func (a *asyncWriter) run() {
	var err error
	for b := range a.full {
		if err == nil {
			if _, err = a.w.Write(b); err != nil {
				a.failed.Store(&err)
			}
		}
		a.free <- b[:0]
	}
	a.done <- err
}

// Write copies p into the current buffer, handing it over when full. An
// error of the writing goroutine shows on a later Write or on Close.
func (a *asyncWriter) Write(p []byte) (int, error) {
	if e := a.failed.Load(); e != nil && a.err == nil {
		a.err = *e
	}
	if a.err != nil {
		return 0, a.err
	}
	if len(a.buf)+len(p) > cap(a.buf) && len(a.buf) > 0 {
		a.full <- a.buf
		a.buf = <-a.free
	}
	a.buf = append(a.buf, p...)
	return len(p), nil
}

// Close writes what is buffered, waits for the goroutine and returns its
// first error.
func (a *asyncWriter) Close() error {
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	a.buf = nil
	close(a.full)
	err := <-a.done
	if a.err == nil {
		a.err = err
	}
	return a.err
}
