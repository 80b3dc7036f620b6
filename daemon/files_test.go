package daemon_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/protocol"
)

// filesPeer is a websocket peer with one test session that has fetched a
// page, for data/export and data/import.
func filesPeer(t *testing.T) (*peer, string) {
	d := newTestDaemon()
	t.Cleanup(func() { d.Close() })
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	var s struct {
		ID string `json:"id"`
	}
	p.ok("session/create", `{"provider":"test","config":{"payments":20}}`, &s)
	p.ok("fetch/next", fmt.Sprintf(`{"sessionId":%q,"resource":"payments"}`, s.ID), nil)
	return p, s.ID
}

func wantPathRefused(t *testing.T, m message, reason string) {
	t.Helper()
	if m.Error == nil || m.Error.Code != protocol.CodePathRefused {
		t.Fatalf("got %+v, want error %d", m, protocol.CodePathRefused)
	}
	var data protocol.PathRefusedData
	if err := json.Unmarshal(m.Error.Data, &data); err != nil || data.Reason != reason {
		t.Errorf("data %s, want reason %q", m.Error.Data, reason)
	}
}

func TestExportRefusesToReplace(t *testing.T) {
	p, sid := filesPeer(t)
	dir := t.TempDir()
	export := func(path string, overwrite bool) message {
		return p.call("data/export", fmt.Sprintf(`{"sessionId":%q,"path":%q,"overwrite":%v}`, sid, path, overwrite))
	}

	existing := filepath.Join(dir, "existing.jsonl")
	_ = os.WriteFile(existing, []byte("keep me\n"), 0o644)
	m := export(existing, false)
	wantPathRefused(t, m, protocol.PathExists)
	if !strings.Contains(m.Error.Message, "overwrite") {
		t.Errorf("message %q does not say how to replace it", m.Error.Message)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Errorf("the existing file was changed: %q", b)
	}
	if m := export(existing, true); m.Error != nil {
		t.Errorf("overwrite of a writable file: %+v", m.Error)
	}

	// Read-only: refused even with overwrite, even for root.
	ro := filepath.Join(dir, "readonly.jsonl")
	_ = os.WriteFile(ro, []byte("precious\n"), 0o444)
	wantPathRefused(t, export(ro, true), protocol.PathNotWritable)
	fi, _ := os.Stat(ro)
	if b, _ := os.ReadFile(ro); string(b) != "precious\n" || fi.Mode().Perm() != 0o444 {
		t.Errorf("the read-only file became %v %q", fi.Mode().Perm(), b)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	wantPathRefused(t, export(fifo, true), protocol.PathNotRegular)
	wantPathRefused(t, export(dir, true), protocol.PathNotRegular)

	if m := export(filepath.Join(dir, "new.jsonl"), false); m.Error != nil {
		t.Errorf("export to a new file: %+v", m.Error)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".export-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// A FIFO nobody writes used to block data/import in open(2) for ever.
func TestImportRefusesFIFO(t *testing.T) {
	p, sid := filesPeer(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan message, 1)
	go func() { done <- p.call("data/import", fmt.Sprintf(`{"sessionId":%q,"path":%q}`, sid, fifo)) }()
	select {
	case m := <-done:
		wantPathRefused(t, m, protocol.PathNotRegular)
		if !strings.Contains(m.Error.Message, "FIFO") {
			t.Errorf("message %q does not say what the file is", m.Error.Message)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("data/import of a FIFO did not answer")
	}
	wantPathRefused(t, p.call("data/import", fmt.Sprintf(`{"sessionId":%q,"path":"/dev/null"}`, sid)), protocol.PathNotRegular)
}

// A long import answers $/cancelRequest.
func TestImportCancellable(t *testing.T) {
	p, sid := filesPeer(t)
	path := filepath.Join(t.TempDir(), "big.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300_000 {
		fmt.Fprintf(f, `{"resource":"payments","item":{"reference":"p%d","createdAt":"2026-01-01T00:00:00Z","type":"PAY-IN","amount":"1","asset":"EUR/2","scheme":"sepa","status":"SUCCEEDED","metadata":{},"raw":null}}`+"\n", i)
	}
	f.Close()
	ch := p.expect("900")
	if err := p.w.send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":900,"method":"data/import","params":{"sessionId":%q,"path":%q}}`, sid, path))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	p.notify("$/cancelRequest", `{"id":900}`)
	select {
	case m := <-ch:
		if m.Error == nil {
			t.Logf("the import finished before the cancel arrived")
		} else if m.Error.Code != protocol.CodeRequestCancelled {
			t.Errorf("cancelled import answered %+v", m.Error)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("$/cancelRequest of data/import got no answer")
	}
}
