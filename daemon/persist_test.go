package daemon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/protocol"
)

// served is a "switchboard serve" child process.
type served struct {
	cmd  *exec.Cmd
	info daemon.Info
	done chan error
}

// serve starts the real binary with a store file, and waits for its
// daemon.json.
func serve(t *testing.T, stateDir, storePath string, extra ...string) *served {
	t.Helper()
	return serveWrapped(t, nil, stateDir, storePath, extra...)
}

// serveWrapped is serve with the binary run by a wrapper command that
// execs it (prlimit ...), so the wrapper's pid is the daemon's, and with
// extra flags.
func serveWrapped(t *testing.T, wrapper []string, stateDir, storePath string, extra ...string) *served {
	t.Helper()
	os.Remove(filepath.Join(stateDir, daemon.InfoFile))
	argv := append(append([]string(nil), wrapper...), binary(t), "serve", "--listen", "127.0.0.1:0", "--state-dir", stateDir, "--store", storePath, "--log-level", "warn")
	argv = append(argv, extra...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_TEST_PROVIDERS=1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(stateDir, daemon.InfoFile))
		if err == nil && json.Unmarshal(b, &s.info) == nil && s.info.PID == cmd.Process.Pid {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("daemon did not write daemon.json")
		}
		select {
		case err := <-s.done:
			t.Fatalf("daemon exited at start: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *served) dial(t *testing.T) *peer {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(s.info.URL, http.Header{"Authorization": {"Bearer " + s.info.Token}})
	if err != nil {
		t.Fatal(err)
	}
	p := newPeer(t, &wsWire{c: c})
	p.initialize()
	return p
}

func (s *served) kill() {
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("daemon exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop on SIGTERM")
	}
}

func TestRestartContinuesWhereItStopped(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "switchboard.db")
	d := serve(t, dir, store)
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","name":"kept","config":{"seed":3,"accounts":2,"paymentsPerAccount":300,"apiKey":"sekret-key"}}`, &s)
	var pg protocol.Page
	for i := 0; i < 2; i++ {
		p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":100}`, &pg)
	}
	p.w.close()
	d.stop(t)
	if fi, err := os.Stat(store); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("store directory mode: %v %v", fi.Mode(), err)
	}
	// Session configs hold secrets: every file of the store is the owner's.
	files, _ := os.ReadDir(store)
	for _, e := range files {
		if fi, err := e.Info(); err == nil && !e.IsDir() && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("store file %s has mode %v", e.Name(), fi.Mode().Perm())
		}
	}

	d = serve(t, dir, store)
	p = d.dial(t)
	var list protocol.SessionListResult
	p.ok("session/list", nil, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != s.ID || list.Sessions[0].Name != "kept" {
		t.Fatalf("sessions after restart: %+v", list.Sessions)
	}
	if !strings.Contains(string(list.Sessions[0].Config), `"apiKey":"***"`) {
		t.Errorf("restored config not redacted: %s", list.Sessions[0].Config)
	}
	var next protocol.Page
	p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":100}`, &next)
	if next.Page != 3 {
		t.Errorf("page %d after restart, want 3", next.Page)
	}
	// Page 3 follows page 2: replaying page 2's state gives the same page.
	var again protocol.Page
	p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":100,"state":`+string(pg.NewState)+`}`, &again)
	if string(again.Items) != string(next.Items) {
		t.Errorf("page after restart is not the page after page 2")
	}
	var data protocol.DataListResult
	p.ok("data/list", `{"sessionId":"`+s.ID+`","resource":"payments","limit":10}`, &data)
	if data.Total != 300 {
		t.Errorf("stored payments %d, want 300", data.Total)
	}
	p.ok("session/close", `{"sessionId":"`+s.ID+`"}`, nil)
	p.ok("session/list", nil, &list)
	if len(list.Sessions) != 0 {
		t.Errorf("closed session still listed")
	}
}

func TestKillDuringSyncLosesNothing(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "switchboard.db")
	const accounts, perAccount = 4, 3000
	d := serve(t, dir, store)
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","config":{"seed":9,"accounts":4,"paymentsPerAccount":3000},"pageSize":50}`, &s)
	p.w.send([]byte(`{"jsonrpc":"2.0","id":"sync","method":"sync/run","params":{"sessionId":"` + s.ID + `"}}`))
	waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= 40 })
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
	t.Logf("killed after %d pages", len(p.notifications("fetch/page")))

	d = serve(t, dir, store)
	p = d.dial(t)
	var res protocol.SyncRunResult
	p.ok("sync/run", `{"sessionId":"`+s.ID+`"}`, &res)
	for _, tr := range res.Tasks {
		if tr.Error != "" {
			t.Errorf("task %s failed: %s", tr.Path, tr.Error)
		}
	}
	var data protocol.DataListResult
	p.ok("data/list", `{"sessionId":"`+s.ID+`","resource":"payments","limit":1000}`, &data)
	if data.Total != accounts*perAccount {
		t.Fatalf("stored payments %d, want %d", data.Total, accounts*perAccount)
	}
	// Every payment once: walk them all and check references are unique.
	seen := map[string]bool{}
	cursor := ""
	for {
		var page protocol.DataListResult
		p.ok("data/list", `{"sessionId":"`+s.ID+`","resource":"payments","limit":1000,"cursor":"`+cursor+`"}`, &page)
		for _, it := range page.Items {
			var pay protocol.Payment
			json.Unmarshal(it, &pay)
			if seen[pay.Reference] {
				t.Fatalf("payment %s stored twice", pay.Reference)
			}
			seen[pay.Reference] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != accounts*perAccount {
		t.Errorf("walked %d payments, want %d", len(seen), accounts*perAccount)
	}
}

func TestSIGTERMFinishesPagesAndExits(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "switchboard.db")
	d := serve(t, dir, store)
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"test","config":{"payments":100000,"behave":"slow","sleepMs":100}}`, &s)
	ch := p.expect(`"all"`)
	p.w.send([]byte(`{"jsonrpc":"2.0","id":"all","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":10}}`))
	waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= 3 })
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	m := <-ch
	if m.Error == nil || m.Error.Code != protocol.CodeServerCancelled || !strings.Contains(m.Error.Message, "between pages") {
		t.Fatalf("fetch/all during SIGTERM: %+v", m.Error)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not exit after SIGTERM")
	}
	t.Logf("stopped in %v", time.Since(start))
	pages := len(p.notifications("fetch/page"))
	if _, err := os.Stat(filepath.Join(dir, daemon.InfoFile)); !os.IsNotExist(err) {
		t.Errorf("daemon.json left behind: %v", err)
	}

	d = serve(t, dir, store)
	p = d.dial(t)
	var st protocol.StateGetResult
	p.ok("state/get", `{"sessionId":"`+s.ID+`"}`, &st)
	var data protocol.DataListResult
	p.ok("data/list", `{"sessionId":"`+s.ID+`","resource":"payments","limit":1}`, &data)
	if st.States[0].Pages != pages || data.Total != 10*pages {
		t.Errorf("after SIGTERM: %d pages notified, state says %d pages, %d payments stored", pages, st.States[0].Pages, data.Total)
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	d := serve(t, dir, filepath.Join(dir, "s.db"))
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"test","config":{"behave":"deaf","sleepMs":60000}}`, &s)
	p.w.send([]byte(`{"jsonrpc":"2.0","id":"deaf","method":"fetch/next","params":{"sessionId":"` + s.ID + `","resource":"payments"}}`))
	time.Sleep(200 * time.Millisecond)
	d.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	select {
	case <-d.done:
		t.Fatal("daemon exited before its request was answered")
	default:
	}
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err == nil {
			t.Error("exit code 0 after a second signal, want 1")
		}
		t.Logf("exited %v after the second signal", time.Since(start))
	case <-time.After(3 * time.Second):
		t.Fatal("second signal did not exit at once")
	}
}

func TestConcurrentSyncsAndPurge(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	demo, _ := connector.Default().Lookup("demo")
	d := daemon.New(daemon.Options{Registry: registryWith(demo), Logger: quietLogger(), Store: st})
	defer d.Close()
	srv := startWS(t, d)
	a, b := newPeer(t, dialWS(t, srv)), newPeer(t, dialWS(t, srv))
	a.initialize()
	b.initialize()
	var sa, sb protocol.Session
	a.ok("session/create", `{"provider":"demo","config":{"seed":1,"accounts":3,"paymentsPerAccount":400}}`, &sa)
	b.ok("session/create", `{"provider":"demo","config":{"seed":2,"accounts":2,"paymentsPerAccount":700}}`, &sb)
	ca, cb := a.expect(`"s"`), b.expect(`"s"`)
	a.w.send([]byte(`{"jsonrpc":"2.0","id":"s","method":"sync/run","params":{"sessionId":"` + sa.ID + `"}}`))
	b.w.send([]byte(`{"jsonrpc":"2.0","id":"s","method":"sync/run","params":{"sessionId":"` + sb.ID + `"}}`))
	for _, ch := range []chan message{ca, cb} {
		select {
		case m := <-ch:
			if m.Error != nil {
				t.Fatalf("sync: %+v", m.Error)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("sync did not finish")
		}
	}
	count := func(p *peer, id string) int {
		var r protocol.DataListResult
		p.ok("data/list", `{"sessionId":"`+id+`","resource":"payments","limit":1}`, &r)
		return r.Total
	}
	if ga, gb := count(a, sa.ID), count(b, sb.ID); ga != 1200 || gb != 1400 {
		t.Fatalf("stored %d and %d payments, want 1200 and 1400", ga, gb)
	}
	// reset keeps the items; purge removes them; close removes the rest.
	a.ok("session/reset", `{"sessionId":"`+sa.ID+`","resource":"payments"}`, nil)
	if n := count(a, sa.ID); n != 1200 {
		t.Errorf("reset without purge left %d payments", n)
	}
	a.ok("session/reset", `{"sessionId":"`+sa.ID+`","resource":"payments","purge":true}`, nil)
	if n := count(a, sa.ID); n != 0 {
		t.Errorf("purge left %d payments", n)
	}
	var accounts protocol.DataListResult
	a.ok("data/list", `{"sessionId":"`+sa.ID+`","resource":"accounts"}`, &accounts)
	if accounts.Total != 3 {
		t.Errorf("purge of payments took accounts: %d left", accounts.Total)
	}
	b.ok("session/close", `{"sessionId":"`+sb.ID+`"}`, nil)
	if n, _ := st.Count(context.Background(), sb.ID, "payments"); n != 0 {
		t.Errorf("close left %d payments", n)
	}
	for _, n := range b.notifications("log") {
		if strings.Contains(string(n.Params), "goroutine") {
			t.Errorf("the demo connector was reported leaking: %s", n.Params)
		}
	}
}
