package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// storeResult is what the bench measures of the store once the sync is
// done: data/list pages at the synced size and at 10,000 items, and
// data/export against cp copying its output.
type storeResult struct {
	// Milliseconds per data/list page of 50 payments, medians of
	// listSamples calls, unfiltered and filtered by status, on the bench
	// session and on one of listSmall payments.
	ListMs              float64 `json:"listMs"`
	ListFilteredMs      float64 `json:"listFilteredMs"`
	ListSmallMs         float64 `json:"listSmallMs"`
	ListSmallFilteredMs float64 `json:"listSmallFilteredMs"`
	ExportMs            float64 `json:"exportMs"`
	ExportBytes         int64   `json:"exportBytes"`
	// cp of the export file: warm (it was just written, so it is in the
	// page cache) and cold (synced and dropped from the cache first; 0
	// where that cannot be done).
	CopyMs     float64 `json:"copyMs"`
	CopyColdMs float64 `json:"copyColdMs"`
	// ExportRatio is export time / warm cp time, ExportColdRatio / cold
	// cp time; SizeRatio is the store's bytes on disk / the export's.
	ExportRatio     float64 `json:"exportRatio"`
	ExportColdRatio float64 `json:"exportColdRatio"`
	SizeRatio       float64 `json:"sizeRatio"`
}

const (
	listSamples = 21
	listSmall   = 10_000
)

// benchStore measures the store of a daemon that synced sessionID.
func benchStore(ctx context.Context, c *client.Client, d *childDaemon, sessionID string) (storeResult, error) {
	var r storeResult
	var err error
	if r.ListMs, r.ListFilteredMs, err = listLatency(ctx, c, sessionID); err != nil {
		return r, err
	}
	exportPath := filepath.Join(d.dir, "export.jsonl")
	start := time.Now()
	var ex protocol.DataExportResult
	if err := c.Call(ctx, protocol.MethodDataExport, protocol.DataExportParams{SessionID: sessionID, Path: exportPath}, &ex); err != nil {
		return r, fmt.Errorf("data/export: %w", err)
	}
	r.ExportMs, r.ExportBytes = ms(time.Since(start)), ex.Bytes
	// The I/O floor: cp of the same file, its output left to the page
	// cache as export's is. Warm first (the file is in the cache as
	// export left it), then cold.
	if r.CopyMs, err = timeCopy(ctx, exportPath); err != nil {
		return r, err
	}
	if r.CopyMs > 0 {
		r.ExportRatio = r.ExportMs / r.CopyMs
	}
	if dropCache(exportPath) == nil {
		if r.CopyColdMs, err = timeCopy(ctx, exportPath); err != nil {
			return r, err
		}
		if r.CopyColdMs > 0 {
			r.ExportColdRatio = r.ExportMs / r.CopyColdMs
		}
	}
	if size := d.storeBytes(); r.ExportBytes > 0 {
		r.SizeRatio = float64(size) / float64(r.ExportBytes)
	}

	// A session of listSmall payments: the first lines of the export.
	small := filepath.Join(d.dir, "small.jsonl")
	if err := headPayments(exportPath, small, listSmall); err != nil {
		return r, err
	}
	os.Remove(exportPath)
	sess, err := c.CreateSession(ctx, protocol.SessionCreateParams{Provider: "demo", Name: "bench-small", Config: []byte(`{}`)})
	if err != nil {
		return r, fmt.Errorf("session/create: %w", err)
	}
	if err := c.Call(ctx, protocol.MethodDataImport, protocol.DataImportParams{SessionID: sess.ID, Path: small}, nil); err != nil {
		return r, fmt.Errorf("data/import: %w", err)
	}
	if r.ListSmallMs, r.ListSmallFilteredMs, err = listLatency(ctx, c, sess.ID); err != nil {
		return r, err
	}
	return r, c.CloseSession(ctx, sess.ID)
}

// listLatency times data/list pages of 50 payments, unfiltered and by
// status, walking a few pages in: medians in milliseconds.
func listLatency(ctx context.Context, c *client.Client, sessionID string) (plain, filtered float64, err error) {
	for i, filter := range []*protocol.DataFilter{nil, {Status: "FAILED"}} {
		var times []float64
		cursor := ""
		for range listSamples {
			start := time.Now()
			var page protocol.DataListResult
			if err := c.Call(ctx, protocol.MethodDataList, protocol.DataListParams{SessionID: sessionID, Resource: protocol.ResourcePayments, Limit: 50, Filter: filter, Cursor: cursor}, &page); err != nil {
				return 0, 0, fmt.Errorf("data/list: %w", err)
			}
			times = append(times, ms(time.Since(start)))
			cursor = page.NextCursor
		}
		slices.Sort(times)
		if i == 0 {
			plain = times[len(times)/2]
		} else {
			filtered = times[len(times)/2]
		}
	}
	return plain, filtered, nil
}

// headPayments copies the first n payment lines of an export.
func headPayments(from, to string, n int) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() && n > 0 {
		line := sc.Bytes()
		if containsPayment(line) {
			w.Write(line)
			w.WriteByte('\n')
			n--
		}
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func containsPayment(line []byte) bool {
	const p = `{"resource":"payments"`
	return len(line) >= len(p) && string(line[:len(p)]) == p
}

// timeCopy times cp of path to a file beside it, removed after.
func timeCopy(ctx context.Context, path string) (float64, error) {
	start := time.Now()
	if out, err := exec.CommandContext(ctx, "cp", path, path+".copy").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("cp: %v %s", err, out)
	}
	d := ms(time.Since(start))
	os.Remove(path + ".copy")
	return d, nil
}

func writeStore(w io.Writer, s *storeResult) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "data/list, 50 payments: %.1f ms (filtered %.1f ms) at the synced size; %.1f ms (filtered %.1f ms) at %s\n",
		s.ListMs, s.ListFilteredMs, s.ListSmallMs, s.ListSmallFilteredMs, count(listSmall))
	mb := float64(s.ExportBytes) / 1e6
	fmt.Fprintf(w, "data/export: %.0f MB in %s (%.0f MB/s); cp of it warm %s (%.0f MB/s): %.2fx",
		mb, seconds(msDuration(s.ExportMs)), mb/(s.ExportMs/1000), seconds(msDuration(s.CopyMs)), mb/(s.CopyMs/1000), s.ExportRatio)
	if s.CopyColdMs > 0 {
		fmt.Fprintf(w, "; cold %s (%.0f MB/s): %.2fx", seconds(msDuration(s.CopyColdMs)), mb/(s.CopyColdMs/1000), s.ExportColdRatio)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "store on disk / its export: %.2fx\n", s.SizeRatio)
}
