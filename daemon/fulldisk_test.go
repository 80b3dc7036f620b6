package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/switchboardpay/switchboard/internal/smalldisk"
	"github.com/switchboardpay/switchboard/protocol"
)

// smallDisk mounts a real tmpfs of size bytes and returns its path; the
// test is skipped where mounting is not permitted.
func smallDisk(t *testing.T, size string) string { return smalldisk.Mount(t, size) }

func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// fill writes a file that leaves about leave bytes free on dir's disk.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for freeBytes(t, dir) > leave+int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	return path
}

// storedItems walks data/list and returns each stored payment's JSON by
// reference.
func storedItems(t *testing.T, p *peer, sessionID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	cursor := ""
	for {
		var page protocol.DataListResult
		p.ok("data/list", `{"sessionId":"`+sessionID+`","resource":"payments","limit":1000,"cursor":"`+cursor+`"}`, &page)
		for _, it := range page.Items {
			var pay protocol.Payment
			json.Unmarshal(it, &pay)
			if _, dup := out[pay.Reference]; dup {
				t.Fatalf("payment %s listed twice", pay.Reference)
			}
			out[pay.Reference] = string(it)
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

const fullDiskConfig = `{"seed":5,"accounts":4,"paymentsPerAccount":6000}`

// A real disk fills during a sync: writes are refused with "store full"
// (no crash, no lost page), reads go on, and once space is freed the same
// daemon resumes; after a restart every payment is there, the same as in a
// clean sync.
func TestFullDiskDuringSyncThenResume(t *testing.T) {
	disk := smallDisk(t, "64m")
	dir := t.TempDir()
	storePath := filepath.Join(disk, "switchboard.db")
	d := serve(t, dir, storePath, "--store-reserve", "12MiB")
	p := d.dial(t)
	var s, extra protocol.Session
	p.ok("session/create", `{"provider":"demo","config":`+fullDiskConfig+`,"pageSize":100}`, &s)
	p.ok("session/create", `{"provider":"demo","name":"closed on the full disk","config":{"seed":1,"accounts":1,"paymentsPerAccount":10}}`, &extra)
	sync := p.expect(`"sync"`)
	p.w.send([]byte(`{"jsonrpc":"2.0","id":"sync","method":"sync/run","params":{"sessionId":"` + s.ID + `"}}`))
	// Fill once some payments are stored (not merely notified).
	waitFor(t, func() bool {
		var data protocol.DataListResult
		p.ok("data/list", `{"sessionId":"`+s.ID+`","resource":"payments","limit":1}`, &data)
		return data.Total >= 2000
	})
	filler := fill(t, disk, 6<<20)
	t.Logf("disk filled after %d pages, %d MiB free", len(p.notifications("fetch/page")), freeBytes(t, disk)>>20)

	var m message
	select {
	case m = <-sync:
	case <-time.After(60 * time.Second):
		t.Fatal("sync/run did not end on a full disk")
	}
	full := m.Error != nil && m.Error.Code == protocol.CodeStoreFull
	if !full && m.Error == nil {
		var res protocol.SyncRunResult
		json.Unmarshal(m.Result, &res)
		for _, tr := range res.Tasks {
			full = full || strings.Contains(tr.Error, "store full")
		}
	}
	if !full {
		t.Fatalf("sync/run on a full disk did not say the store is full: %s %+v", m.Result, m.Error)
	}
	// Writes are refused with the coded error, reads go on.
	if m := p.call("state/set", `{"sessionId":"`+s.ID+`","resource":"accounts","state":{"x":1}}`); m.Error == nil || m.Error.Code != protocol.CodeStoreFull {
		t.Errorf("state/set on a full disk: %+v", m.Error)
	}
	// Deleting is how space comes back: closing a session is not refused.
	p.ok("session/close", `{"sessionId":"`+extra.ID+`"}`, nil)
	before := storedItems(t, p, s.ID)
	t.Logf("%d payments stored when the disk filled", len(before))
	if len(before) == 0 {
		t.Error("no payment stored before the disk filled: the test filled it too early")
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the store's next statfs
	var res protocol.SyncRunResult
	p.ok("sync/run", `{"sessionId":"`+s.ID+`"}`, &res)
	for _, tr := range res.Tasks {
		if tr.Error != "" {
			t.Errorf("task %s after space was freed: %s", tr.Path, tr.Error)
		}
	}
	select {
	case err := <-d.done:
		t.Fatalf("the daemon died: %v", err)
	default:
	}
	d.stop(t)

	d = serve(t, dir, storePath, "--store-reserve", "12MiB")
	p = d.dial(t)
	var list protocol.SessionListResult
	p.ok("session/list", nil, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != s.ID {
		t.Errorf("sessions after the restart: %+v (the one closed on the full disk is back?)", list.Sessions)
	}
	got := storedItems(t, p, s.ID)
	for ref, item := range before {
		if got[ref] != item {
			t.Errorf("payment %s stored before the disk filled is gone or changed", ref)
			break
		}
	}

	clean := serve(t, t.TempDir(), "memory")
	cp := clean.dial(t)
	var cs protocol.Session
	cp.ok("session/create", `{"provider":"demo","config":`+fullDiskConfig+`,"pageSize":100}`, &cs)
	cp.ok("sync/run", `{"sessionId":"`+cs.ID+`"}`, &res)
	want := storedItems(t, cp, cs.ID)
	if len(got) != len(want) {
		t.Errorf("%d payments after the full disk and a restart, %d in a clean sync", len(got), len(want))
	}
	for ref, item := range want {
		if got[ref] != item {
			t.Fatalf("payment %s differs from a clean sync:\n got %s\nwant %s", ref, got[ref], item)
		}
	}
}

// Started on a full disk, the daemon serves reads from the store it
// opened read-only and refuses writes with "store full".
func TestStartOnFullDisk(t *testing.T) {
	disk := smallDisk(t, "32m")
	dir := t.TempDir()
	storePath := filepath.Join(disk, "switchboard.db")
	d := serve(t, dir, storePath)
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","config":{"seed":2,"accounts":1,"paymentsPerAccount":300}}`, &s)
	p.ok("sync/run", `{"sessionId":"`+s.ID+`"}`, nil)
	d.stop(t)
	fill(t, disk, 1<<20)

	d = serve(t, dir, storePath)
	p = d.dial(t)
	var data protocol.DataListResult
	p.ok("data/list", `{"sessionId":"`+s.ID+`","resource":"payments","limit":10}`, &data)
	if data.Total != 300 || len(data.Items) != 10 {
		t.Errorf("read-only store: total %d, %d items", data.Total, len(data.Items))
	}
	m := p.call("state/set", `{"sessionId":"`+s.ID+`","resource":"payments","state":{"x":1}}`)
	if m.Error == nil || m.Error.Code != protocol.CodeStoreFull || !strings.Contains(m.Error.Message, "full") {
		t.Errorf("a write on a store opened on a full disk: %+v", m.Error)
	}
}
