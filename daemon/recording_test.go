package daemon_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// syncedSession is what a sync of a session produced: the items of every
// fetch/page notification by resource, sorted, and the states.
type syncedSession struct {
	Items  map[string][]string
	States []protocol.StateEntry
}

func syncAndCollect(t *testing.T, p *peer, sessionID string) syncedSession {
	t.Helper()
	before := len(p.notifications("fetch/page"))
	var res protocol.SyncRunResult
	p.ok("sync/run", `{"sessionId":"`+sessionID+`"}`, &res)
	for _, tr := range res.Tasks {
		if tr.Error != "" {
			t.Fatalf("task %s failed: %s", tr.Resource, tr.Error)
		}
	}
	out := syncedSession{Items: map[string][]string{}}
	for _, m := range p.notifications("fetch/page")[before:] {
		var fp protocol.FetchPageParams
		if err := json.Unmarshal(m.Params, &fp); err != nil {
			t.Fatal(err)
		}
		if fp.SessionID != sessionID {
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(fp.Page.Items, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			out.Items[fp.Page.Resource] = append(out.Items[fp.Page.Resource], string(it))
		}
	}
	for _, v := range out.Items {
		sort.Strings(v)
	}
	var st protocol.StateGetResult
	p.ok("state/get", `{"sessionId":"`+sessionID+`"}`, &st)
	out.States = st.States
	return out
}

// A demo-bank session recorded into a cassette replays, with the bank
// stopped, into the same items and states; a request the cassette lacks
// fails with the nearest recorded one; the cassette holds no secret.
func TestRecordThenReplayDemoBankOffline(t *testing.T) {
	const secret = "sk_live_Rec0rdSECRET99x"
	bank, url := startBank(t, demobank.Config{Seed: 7, Accounts: 3, PaymentsPerAccount: 45, ExternalAccounts: 2, APIKey: secret})
	p := demoPeer(t)
	path := filepath.Join(t.TempDir(), "demo.yaml")

	var s protocol.Session
	p.ok("session/create", map[string]any{"provider": "demo", "pageSize": 20, "record": path,
		"config": map[string]any{"endpoint": url, "apiKey": secret}}, &s)
	if s.Recording != path {
		t.Fatalf("session says recording %q", s.Recording)
	}
	live := syncAndCollect(t, p, s.ID)
	if len(live.Items["payments"]) != 3*45 {
		t.Fatalf("live sync: %d payments", len(live.Items["payments"]))
	}
	var rec protocol.SessionRecordResult
	p.ok("session/record", `{"sessionId":"`+s.ID+`","stop":true}`, &rec)
	if rec.Recording || rec.Interactions == 0 || rec.Calls == 0 {
		t.Fatalf("stop: %+v", rec)
	}
	p.ok("session/close", `{"sessionId":"`+s.ID+`"}`, nil)
	bank.Close() // from here on nothing answers at url
	if os.Getenv("KEEP_CASSETTE") != "" {
		b, _ := os.ReadFile(path)
		os.WriteFile(os.Getenv("KEEP_CASSETTE"), b, 0o644)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret) {
		t.Fatal("the secret is in the cassette")
	}
	if !strings.Contains(string(raw), "Bearer ***") {
		t.Error("the cassette does not show the redacted Authorization header")
	}
	tape, err := cassette.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if tape.Session.Provider != "demo" || len(tape.FetchCalls()) == 0 || len(tape.HTTP) != rec.Interactions {
		t.Fatalf("tape: provider %q, %d fetch calls, %d interactions (recorded %d)", tape.Session.Provider, len(tape.FetchCalls()), len(tape.HTTP), rec.Interactions)
	}
	first := tape.FetchCalls()[0]
	if first.Operation != "fetch/accounts" || first.Page != 1 || first.PageSize != 20 || len(first.StateAfter) == 0 || len(first.Interactions) != 1 {
		t.Errorf("first call %+v", first)
	}

	// Replay: provider, config and page size come from the cassette; the
	// connector is given the real key (as a user would) and redaction
	// makes its requests match.
	var r protocol.Session
	p.ok("session/create", map[string]any{"replay": path, "config": map[string]any{"endpoint": url, "apiKey": secret}}, &r)
	if r.Replay != path || r.Provider != "demo" || r.PageSize != 20 {
		t.Fatalf("replay session %+v", r)
	}
	replayed := syncAndCollect(t, p, r.ID)
	if diff := cmp.Diff(live, replayed, cmpopts.IgnoreFields(protocol.StateEntry{}, "UpdatedAt")); diff != "" {
		t.Errorf("replay differs from the live sync (-live +replay):\n%s", diff)
	}

	// Another page size: the cassette lacks the request, and says so.
	m := p.call("fetch/next", `{"sessionId":"`+r.ID+`","resource":"accounts","pageSize":7,"reset":true}`)
	if got := errCode(t, m); got != protocol.CodeReplayMiss {
		t.Fatalf("code %d %s, want CodeReplayMiss", got, m.Error.Message)
	}
	var miss protocol.ReplayMissData
	if err := json.Unmarshal(m.Error.Data, &miss); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(miss.Request, "limit=7") || !strings.Contains(miss.Nearest, "limit=20") ||
		!slicesContain(miss.Differences, "query limit=7, recorded 20") || miss.Cassette != path {
		t.Errorf("miss %+v", miss)
	}
	if strings.Contains(m.Error.Message+string(m.Error.Data), secret) {
		t.Error("the miss error shows the secret")
	}
	// Lenient matching answers it from the recorded page of that path.
	var l protocol.Session
	p.ok("session/create", map[string]any{"replay": path, "replayMatch": "lenient"}, &l)
	var pg protocol.Page
	p.ok("fetch/next", `{"sessionId":"`+l.ID+`","resource":"accounts","pageSize":7}`, &pg)
	if pg.ItemCount != 3 {
		t.Errorf("lenient replay: %d accounts", pg.ItemCount)
	}
	// The daemon keeps serving after the miss.
	p.ok("session/list", nil, nil)
}

func slicesContain(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Bad recording params get coded errors.
func TestRecordingBadParams(t *testing.T) {
	p := demoPeer(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		method, params string
		code           int
	}{
		{"session/create", `{"replay":"` + dir + `/missing.yaml"}`, protocol.CodeRecordingFailed},
		{"session/create", `{"replay":"` + dir + `/notyaml.json"}`, protocol.CodeInvalidParams},
		{"session/create", `{"provider":"demo","record":"` + dir + `/x.txt"}`, protocol.CodeInvalidParams},
		{"session/create", `{"provider":"demo","replayMatch":"fuzzy"}`, protocol.CodeInvalidParams},
		{"session/record", `{"sessionId":"nope","path":"` + dir + `/a.yaml"}`, protocol.CodeSessionNotFound},
	} {
		if got := errCode(t, p.call(tc.method, tc.params)); got != tc.code {
			t.Errorf("%s %s: code %d, want %d", tc.method, tc.params, got, tc.code)
		}
	}
	p.ok("session/list", nil, nil)
}

// A recording that no longer fits on its disk (a real 256 KiB tmpfs)
// fails session/close with a coded error and keeps the session open and
// recording; once there is room again the close saves everything.
func TestRecordingOnAFullDiskIsReportedNotDropped(t *testing.T) {
	dir := mountTmpfs(t, "256k")
	bank, url := startBank(t, demobank.Config{Seed: 2, Accounts: 2, PaymentsPerAccount: 400})
	p := demoPeer(t)
	path := filepath.Join(dir, "full.yaml")
	var s protocol.Session
	p.ok("session/create", map[string]any{"provider": "demo", "record": path, "config": map[string]any{"endpoint": url, "apiKey": bank.APIKey()}}, &s)
	live := syncAndCollect(t, p, s.ID)
	m := p.call("session/close", `{"sessionId":"`+s.ID+`"}`)
	if got := errCode(t, m); got != protocol.CodeRecordingFailed || !strings.Contains(m.Error.Message, "no space") {
		t.Fatalf("close on a full disk: %d %s", got, m.Error.Message)
	}
	var detail protocol.SessionDetail
	p.ok("session/get", `{"sessionId":"`+s.ID+`"}`, &detail)
	if detail.Session.Recording != path {
		t.Fatalf("after the failed close the session records into %q", detail.Session.Recording)
	}
	// Room again: a bigger disk under the same path.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	p.ok("session/close", `{"sessionId":"`+s.ID+`"}`, nil)
	bank.Close()
	var r protocol.Session
	p.ok("session/create", map[string]any{"replay": path}, &r)
	if diff := cmp.Diff(live, syncAndCollect(t, p, r.ID), cmpopts.IgnoreFields(protocol.StateEntry{}, "UpdatedAt")); diff != "" {
		t.Errorf("the saved recording replays otherwise (-live +replay):\n%s", diff)
	}
}

// Cassette paths follow data/export's rules: an existing file is replaced
// only with overwrite, never a read-only one; a FIFO is never read.
func TestCassettePathsAreRefusedLikeExports(t *testing.T) {
	p := demoPeer(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.yaml")
	os.WriteFile(existing, []byte("precious"), 0o644)
	readOnly := filepath.Join(dir, "ro.yaml")
	os.WriteFile(readOnly, []byte("precious"), 0o444)
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := exec.Command("mkfifo", fifo).Run(); err != nil {
		t.Fatal(err)
	}
	cfg := `"config":{"accounts":1,"paymentsPerAccount":1}`
	wantPathRefused(t, p.call("session/create", `{"provider":"demo",`+cfg+`,"record":"`+existing+`"}`), protocol.PathExists)
	wantPathRefused(t, p.call("session/create", `{"provider":"demo",`+cfg+`,"record":"`+readOnly+`","overwrite":true}`), protocol.PathNotWritable)
	wantPathRefused(t, p.call("session/create", `{"replay":"`+fifo+`"}`), protocol.PathNotRegular)
	wantPathRefused(t, p.call("recording/diff", `{"from":"`+fifo+`"}`), protocol.PathNotRegular)
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo",`+cfg+`}`, &s)
	wantPathRefused(t, p.call("session/record", `{"sessionId":"`+s.ID+`","path":"`+existing+`"}`), protocol.PathExists)
	if b, _ := os.ReadFile(existing); string(b) != "precious" {
		t.Fatal("a refused recording changed the file")
	}
	p.ok("session/record", `{"sessionId":"`+s.ID+`","path":"`+existing+`","overwrite":true}`, nil)
	p.ok("session/close", `{"sessionId":"`+s.ID+`"}`, nil)
	if b, _ := os.ReadFile(existing); !strings.Contains(string(b), "SWITCHBOARD") {
		t.Fatal("overwrite did not record into the file")
	}
}

// demoPeer is an initialized websocket peer of a daemon serving the demo
// provider, both closed at the end of the test.
func demoPeer(t *testing.T) *peer {
	t.Helper()
	demo, _ := connector.Default().Lookup("demo")
	d := daemon.New(daemon.Options{Registry: registryWith(demo), Logger: quietLogger()})
	t.Cleanup(func() { d.Close() })
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	return p
}

// startBank starts a demo bank on loopback, closed at the end of the test
// (closing it earlier is fine).
func startBank(t *testing.T, cfg demobank.Config) (*demobank.Bank, string) {
	t.Helper()
	bank := demobank.New(cfg)
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bank.Close() })
	return bank, url
}

// mountTmpfs mounts a tmpfs of size on a new directory until the end of
// the test: a real small disk that fills up. Skipped unless root.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// A replay session does not come back after a restart (it would run
// live): the restored daemon serves the live session and drops the
// replay one, and its data, from the store.
func TestReplaySessionIsNotRestored(t *testing.T) {
	dir := t.TempDir()
	demo, _ := connector.Default().Lookup("demo")
	open := func() *daemon.Daemon {
		d, err := daemon.Open(context.Background(), daemon.Options{Registry: registryWith(demo), Logger: quietLogger(), StorePath: filepath.Join(dir, "s.db")})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	bank, url := startBank(t, demobank.Config{Seed: 3, Accounts: 1, PaymentsPerAccount: 5})
	path := filepath.Join(dir, "c.yaml")
	d := open()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	cfg := map[string]any{"endpoint": url, "apiKey": bank.APIKey()}
	var live, replay protocol.Session
	p.ok("session/create", map[string]any{"provider": "demo", "record": path, "config": cfg}, &live)
	p.ok("fetch/next", `{"sessionId":"`+live.ID+`","resource":"accounts"}`, nil)
	p.ok("session/record", `{"sessionId":"`+live.ID+`","stop":true}`, nil)
	p.ok("session/create", map[string]any{"replay": path, "config": cfg}, &replay)
	p.ok("fetch/next", `{"sessionId":"`+replay.ID+`","resource":"accounts"}`, nil)
	d.Close()

	d = open()
	defer d.Close()
	q := newPeer(t, dialWS(t, startWS(t, d)))
	q.initialize()
	var list protocol.SessionListResult
	q.ok("session/list", nil, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != live.ID || list.Sessions[0].Replay != "" {
		t.Fatalf("restored sessions %+v, want the live one only", list.Sessions)
	}
	if got := errCode(t, q.call("session/get", `{"sessionId":"`+replay.ID+`"}`)); got != protocol.CodeSessionNotFound {
		t.Errorf("the replay session after a restart: code %d", got)
	}
}
