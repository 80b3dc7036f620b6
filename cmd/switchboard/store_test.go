package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/daemon/store"
)

// writeStore makes a store of n payments of one session and closes it
// (its items in tables).
func writeTestStore(t *testing.T, path string, n int) {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PutSession(ctx, store.Session{ID: "s1", Provider: "demo", Name: "n", CreatedAt: time.Now(), PageSize: 100, Config: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	for from := 0; from < n; from += 500 {
		items := make([]store.Item, 500)
		for i := range items {
			ref := fmt.Sprintf("pay_%06d", from+i)
			items[i] = store.Item{Ref: ref, CreatedAt: time.Unix(int64(from+i), 0), Data: json.RawMessage(fmt.Sprintf(`{"reference":%q,"pad":%q}`, ref, strings.Repeat(fmt.Sprint(i%10), 700)))}
		}
		done, err := s.CommitPage(ctx, "payments", items, store.State{SessionID: "s1", Key: "payments", Resource: "payments", UpdatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// store check passes a sound store and fails a damaged one, naming the
// damage; store salvage writes every readable item and says how many were
// lost; and the daemon refuses the damaged store, naming both commands.
func TestStoreCheckAndSalvage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.db")
	writeTestStore(t, path, 4000)
	out, _ := mustRun(t, "store", "check", "--store", path)
	if !strings.Contains(out, "4000 of 4000 items readable") || !strings.Contains(out, "no damage found") || !strings.Contains(out, "ballast "+filepath.Join(path, "BALLAST")+": ") {
		t.Fatalf("check of a sound store:\n%s", out)
	}

	// Flip a byte in the middle of a table of items: the tables are
	// tried largest first (an index table may be larger than the items'
	// ones), keeping the first whose flip the export meets.
	var tables []string
	files, _ := os.ReadDir(path)
	for _, e := range files {
		if strings.HasSuffix(e.Name(), ".sst") {
			tables = append(tables, filepath.Join(path, e.Name()))
		}
	}
	sizeOf := func(p string) int64 { fi, _ := os.Stat(p); return fi.Size() }
	sort.Slice(tables, func(i, j int) bool { return sizeOf(tables[i]) > sizeOf(tables[j]) })
	var err error
	for _, table := range tables {
		orig, _ := os.ReadFile(table)
		b := bytes.Clone(orig)
		b[len(b)/2] ^= 0xff
		os.WriteFile(table, b, 0o600)
		_, _, err = run(t, "export", "s1", "--out", filepath.Join(dir, "x.jsonl"), "--store", path)
		os.Remove(filepath.Join(dir, "x.jsonl"))
		if err != nil {
			break
		}
		os.WriteFile(table, orig, 0o600)
	}
	if err == nil || !strings.Contains(err.Error(), "switchboard store check") {
		t.Fatalf("export from a damaged store: %v", err)
	}
	out, _, err = run(t, "store", "check", "--store", path)
	if err == nil || !strings.Contains(out, "damaged: ") || !strings.Contains(err.Error(), "store salvage") {
		t.Fatalf("check of a damaged store: %v\n%s", err, out)
	}

	rescued := filepath.Join(dir, "rescued.jsonl")
	out, _ = mustRun(t, "store", "salvage", "--store", path, "--out", rescued)
	f, err := os.Open(rescued)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var l struct{ Session, Resource string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Session != "s1" || l.Resource != "payments" {
			t.Fatalf("salvaged line %q: %v", sc.Text(), err)
		}
		lines++
	}
	var wrote, lost int
	fmt.Sscanf(out[strings.Index(out, "wrote "):], "wrote %d items to %s %d lost", &wrote, new(string), &lost)
	if lines == 0 || lines >= 4000 || wrote != lines || !strings.Contains(out, fmt.Sprintf("; %d lost", 4000-lines)) {
		t.Errorf("salvage wrote %d lines:\n%s", lines, out)
	}
}
