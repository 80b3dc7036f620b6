package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/daemon"
)

// spawnServe runs the real binary's serve on a free port over stateDir and
// returns its process once daemon.json names it.
func spawnServe(t *testing.T, stateDir string, args ...string) (*exec.Cmd, daemon.Info, *syncBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd := exec.Command(exe, append([]string{"serve", "--listen", "127.0.0.1:0", "--state-dir", stateDir}, args...)...)
	cmd.Stderr = &stderr
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	var info daemon.Info
	waitFor(t, "daemon.json of the spawned serve", func() bool {
		b, err := os.ReadFile(filepath.Join(stateDir, daemon.InfoFile))
		return err == nil && json.Unmarshal(b, &info) == nil && info.PID == cmd.Process.Pid
	})
	return cmd, info, &stderr
}

// The CLI makes sessions that stay, names them by any unique prefix, and
// says plainly when there is no daemon: none at all, or one killed -9
// (findings 4, 5, 8 and 10).
func TestSessionCommandsAgainstServe(t *testing.T) {
	dir := t.TempDir()
	sd := "--state-dir=" + dir

	// No daemon yet.
	for _, args := range [][]string{{"session", "list", sd}, {"session", "create", "demo", sd}, {"sessions", sd}, {"export", "abc", "--out", "x.jsonl", sd}} {
		_, _, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), `no daemon running: start one with "switchboard serve"`) || !strings.Contains(err.Error(), "--store") {
			t.Errorf("%v with no daemon: %v", args, err)
		}
	}

	serve, info, _ := spawnServe(t, dir)
	if !strings.HasPrefix(info.BrowserURL, "http://127.0.0.1:") || !strings.Contains(info.BrowserURL, "/?token="+info.Token) {
		t.Errorf("daemon.json browserUrl %q", info.BrowserURL)
	}
	if info.Store != filepath.Join(dir, "switchboard.db") {
		t.Errorf("daemon.json store %q, want the state directory's switchboard.db", info.Store)
	}

	// session create prints the id alone on stdout and leaves it open.
	out, errOut := mustRun(t, "session", "create", "demo", "--name", "first", "--page-size", "7", "--config", `{"accounts":2,"paymentsPerAccount":30}`, sd)
	id := strings.TrimSpace(out)
	if len(id) != 36 || strings.Contains(id, "\n") || !strings.Contains(errOut, "is open on the daemon") {
		t.Fatalf("session create printed %q (stderr %q)", out, errOut)
	}
	second, _ := mustRun(t, "session", "create", "demo", "--name", "second", sd)
	second = strings.TrimSpace(second)

	out, _ = mustRun(t, "session", "list", sd)
	if !strings.Contains(out, id) || !strings.Contains(out, second) || !strings.Contains(out, "first") {
		t.Errorf("session list:\n%s", out)
	}
	if again, _ := mustRun(t, "sessions", sd); again != out {
		t.Errorf("sessions and session list differ:\n%s\n%s", again, out)
	}

	// The console's short id (8 characters) is enough; so is any
	// unique prefix.
	short := id[:8]
	mustRun(t, "fetch", "demo", "accounts", "--connect", sd) // another session, closed at the end
	// The default demo bank's accounts (seed 0), as in the help and README.
	out, _ = mustRun(t, "transfer", "--session", second[:8], "--from", "acc_e220a8397b1dcdaf", "--to", "acc_f14c4df09bb9a32e", "--amount", "1250", "--asset", "EUR/2", sd)
	if !strings.Contains(out, "12.50 EUR/2 (1250 in minor units)") {
		t.Errorf("transfer --session by prefix:\n%s", out)
	}
	out, _ = mustRun(t, "session", "get", short, sd)
	for _, want := range []string{"id            " + id, "provider      demo", "name          first", "page size     7"} {
		if !strings.Contains(out, want) {
			t.Errorf("session get lacks %q:\n%s", want, out)
		}
	}
	var detail struct {
		ID string `json:"id"`
	}
	out, _ = mustRun(t, "session", "get", short, "--json", sd)
	if err := json.Unmarshal([]byte(out), &detail); err != nil || detail.ID != id {
		t.Errorf("session get --json: %v\n%s", err, out)
	}
	// fetch and sync in the session: it keeps its state between commands.
	out, _ = mustRun(t, "fetch", "--session", short, "payments", "--pages", "2", sd)
	if !strings.Contains(out, "page 1 of payments") || !strings.Contains(out, "page 2 of payments") {
		t.Errorf("fetch --session:\n%s", out)
	}
	out, _ = mustRun(t, "fetch", "--session", short, "payments", sd)
	if !strings.Contains(out, "page 3 of payments (payments): 7 items") {
		t.Errorf("a second fetch --session does not continue at page 3 (page size 7):\n%s", out)
	}
	out, _ = mustRun(t, "sync", "--session", short, sd)
	if !strings.Contains(out, "task runs (0 failed)") {
		t.Errorf("sync --session:\n%s", out)
	}
	if _, _, err := run(t, "fetch", "--session", short, "payments", "--config", "{}", sd); err == nil || !strings.Contains(err.Error(), "leave out --config") {
		t.Errorf("fetch --session --config: %v", err)
	}
	file := filepath.Join(t.TempDir(), "out.jsonl")
	out, _ = mustRun(t, "export", short, "--out", file, sd)
	if !strings.Contains(out, "exported ") {
		t.Errorf("export by prefix: %s", out)
	}
	out, _ = mustRun(t, "import", short, file, sd)
	if !strings.Contains(out, "imported ") || !strings.Contains(out, id) {
		t.Errorf("import by prefix: %s", out)
	}

	// Unknown and ambiguous prefixes.
	if _, _, err := run(t, "session", "get", "zzzz", sd); err == nil || !strings.Contains(err.Error(), `session "zzzz" not found`) {
		t.Errorf("unknown prefix: %v", err)
	}
	// Ids are random: make sessions until two share a first character
	// (16 hex digits, so at most 17 more).
	byFirst := map[byte]string{id[0]: id, second[0]: second}
	var a, b string
	if id[0] == second[0] {
		a, b = id, second
	}
	for i := 0; a == "" && i < 17; i++ {
		s, _ := mustRun(t, "session", "create", "demo", sd)
		s = strings.TrimSpace(s)
		if other, ok := byFirst[s[0]]; ok {
			a, b = other, s
		}
		byFirst[s[0]] = s
	}
	if _, _, err := run(t, "session", "get", a[:1], sd); err == nil || !strings.Contains(err.Error(), "ambiguous") || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Errorf("ambiguous prefix %q: %v", a[:1], err)
	}

	// A second serve on this state directory, and a command opening the
	// daemon's store itself, are refused at once, naming the daemon.
	for _, args := range [][]string{
		{"serve", "--listen", "127.0.0.1:0", sd},
		{"sessions", "--store", info.Store, sd},
		{"stdio", "--store", info.Store, sd},
	} {
		began := time.Now()
		_, _, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), info.URL) {
			t.Errorf("%v while serve runs: %v", args, err)
		}
		if time.Since(began) > 5*time.Second {
			t.Errorf("%v took %v to refuse", args, time.Since(began))
		}
	}

	// close by prefix; the session is gone.
	out, _ = mustRun(t, "session", "close", short, sd)
	if strings.TrimSpace(out) != "closed "+id {
		t.Errorf("session close: %q", out)
	}
	if _, _, err := run(t, "session", "get", id, sd); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("closed session still there: %v", err)
	}

	// kill -9 leaves daemon.json behind: the commands say the daemon is
	// not running, by pid.
	pid := serve.Process.Pid
	if err := serve.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = serve.Wait()
	if _, err := os.Stat(filepath.Join(dir, daemon.InfoFile)); err != nil {
		t.Fatalf("daemon.json gone after kill -9 (%v): the stale case is not tested", err)
	}
	for _, args := range [][]string{{"session", "list", sd}, {"fetch", "demo", "accounts", "--connect", sd}} {
		_, _, err := run(t, args...)
		want := "the daemon (pid " + itoa(pid) + ") is not running"
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, errNoDaemon) {
			t.Errorf("%v after kill -9: %v, want %q", args, err, want)
		}
	}

	// A new serve takes over the state directory and restores the session
	// that is still open.
	_, _, _ = spawnServe(t, dir)
	out, _ = mustRun(t, "session", "list", sd)
	if !strings.Contains(out, second) || strings.Contains(out, id) {
		t.Errorf("after restart:\n%s", out)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A daemon.json whose pid now belongs to another process (reused after a
// crash) and whose port is closed does not keep serve from starting; the
// clients say the daemon does not answer.
func TestReusedPidInStaleDaemonJSON(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "ws://" + ln.Addr().String() + "/rpc"
	ln.Close()
	stale, _ := json.Marshal(daemon.Info{PID: os.Getppid(), URL: closed, Token: "t", Store: filepath.Join(dir, "switchboard.db")})
	if err := os.WriteFile(filepath.Join(dir, daemon.InfoFile), stale, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "session", "list", "--state-dir", dir); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("session list against a reused pid: %v", err)
	}
	_, _, stop := start(t, "serve", "--listen", "127.0.0.1:0", "--state-dir", dir)
	waitFor(t, "serve to take over daemon.json", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, daemon.InfoFile))
		var info daemon.Info
		return err == nil && json.Unmarshal(b, &info) == nil && info.PID == os.Getpid()
	})
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}
