package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkExport fills a store with 200,000 bench-shaped payments, then
// times Each writing export lines to a file against cp of that file, warm
// (just written, in the page cache) and cold (dropped from the cache with
// fadvise first), in the same run.
//
//	go test ./daemon/store -run X -bench Export -benchtime 3x
func BenchmarkExport(b *testing.B) {
	if v := os.Getenv("BS"); v != "" {
		fmt.Sscan(v, &blockSize)
	}
	s, path := benchStore(b)
	ctx := context.Background()
	for i := 0; i < 2000; i++ {
		done, err := s.CommitPage(ctx, "payments", enginePage(i), State{SessionID: "s", Key: "payments", Resource: "payments", State: json.RawMessage(`{}`), UpdatedAt: t0})
		if err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	out := filepath.Join(b.TempDir(), "export.jsonl")
	var export, warm, cold time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 256<<10)
		if os.Getenv("DISCARD") != "" {
			w = bufio.NewWriterSize(io.Discard, 256<<10)
		}
		var line []byte
		err = s.Each(ctx, "s", "", func(res string, data json.RawMessage) error {
			line = append(line[:0], `{"resource":"`...)
			line = append(line, res...)
			line = append(line, `","item":`...)
			line = append(line, data...)
			line = append(line, "}\n"...)
			_, err := w.Write(line)
			return err
		})
		if err == nil {
			err = w.Flush()
		}
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		export += time.Since(start)
		warm += timeCP(b, out, false)
		cold += timeCP(b, out, true)
	}
	b.StopTimer()
	b.ReportMetric(float64(export.Milliseconds())/float64(b.N), "export-ms")
	b.ReportMetric(float64(export)/float64(warm), "x-warm-cp")
	b.ReportMetric(float64(export)/float64(cold), "x-cold-cp")
}

// timeCP times cp of path, its cache first dropped when cold.
func timeCP(b *testing.B, path string, cold bool) time.Duration {
	if cold {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f.Sync()
		unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
	}
	start := time.Now()
	if out, err := exec.Command("cp", path, path+".copy").CombinedOutput(); err != nil {
		b.Fatal(fmt.Errorf("cp: %v %s", err, out))
	}
	d := time.Since(start)
	os.Remove(path + ".copy")
	return d
}
