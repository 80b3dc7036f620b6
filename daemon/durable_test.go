package daemon_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/protocol"
)

// The tests of this file hold the promise that an acknowledged write is
// durable, against the real binary killed with SIGKILL.

// standaloneBank runs "switchboard demobank" as its own process, so that a
// daemon killed and restarted talks to the same bank, and returns the demo
// session config that points at it.
func standaloneBank(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"demobank", "--listen", "127.0.0.1:0", "--api-key", "bank-key"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-line:
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("demobank printed %q", u)
		}
		return `{"endpoint":"` + u + `","apiKey":"bank-key"}`
	case <-time.After(20 * time.Second):
		t.Fatal("demobank printed no URL")
	}
	return ""
}

// killNow sends SIGKILL and waits for the process to be gone.
func (s *served) killNow(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup's kill
	case <-time.After(10 * time.Second):
		t.Fatal("daemon still running 10s after SIGKILL")
	}
}

func states(t *testing.T, p *peer, sessionID string) map[string]protocol.StateEntry {
	t.Helper()
	var res protocol.StateGetResult
	p.ok("state/get", `{"sessionId":"`+sessionID+`"}`, &res)
	out := map[string]protocol.StateEntry{}
	for _, e := range res.States {
		out[e.Key] = e
	}
	return out
}

// storedRefs walks data/list and returns how often each reference of a
// resource is stored.
func storedRefs(t *testing.T, p *peer, sessionID, resource string) map[string]int {
	t.Helper()
	refs := map[string]int{}
	cursor := ""
	for {
		var page protocol.DataListResult
		p.ok("data/list", `{"sessionId":"`+sessionID+`","resource":"`+resource+`","limit":1000,"cursor":"`+cursor+`"}`, &page)
		for _, it := range page.Items {
			var v struct {
				Reference string `json:"reference"`
			}
			if err := json.Unmarshal(it, &v); err != nil || v.Reference == "" {
				t.Fatalf("stored item without reference: %s", it)
			}
			refs[v.Reference]++
		}
		if page.NextCursor == "" {
			return refs
		}
		cursor = page.NextCursor
	}
}

// notifiedPage is one fetch/page as the client got it.
type notifiedPage struct {
	session, key string
	page         int
	refs         []string
	at           time.Time
}

func notifiedPages(t *testing.T, p *peer) []notifiedPage {
	t.Helper()
	var out []notifiedPage
	for _, m := range p.notifications("fetch/page") {
		var fp protocol.FetchPageParams
		if err := json.Unmarshal(m.Params, &fp); err != nil {
			t.Fatalf("fetch/page: %v", err)
		}
		var items []struct {
			Reference string `json:"reference"`
		}
		if err := json.Unmarshal(fp.Page.Items, &items); err != nil {
			t.Fatalf("fetch/page items: %v", err)
		}
		np := notifiedPage{session: fp.SessionID, key: fp.Page.Key, page: fp.Page.Page, at: m.At}
		for _, it := range items {
			if it.Reference != "" {
				np.refs = append(np.refs, it.Reference)
			}
		}
		out = append(out, np)
	}
	return out
}

// restored is what a restarted daemon holds of some sessions.
type restored struct {
	states map[string]map[string]protocol.StateEntry // session -> key -> state
	refs   map[string]map[string]int                 // session -> reference -> times stored
}

func restore(t *testing.T, p *peer, sessions ...string) restored {
	t.Helper()
	r := restored{states: map[string]map[string]protocol.StateEntry{}, refs: map[string]map[string]int{}}
	for _, id := range sessions {
		r.states[id] = states(t, p, id)
		r.refs[id] = map[string]int{}
		// Balances have no reference: their pages are checked by state only.
		for _, res := range []string{"accounts", "payments", "externalAccounts"} {
			for ref, n := range storedRefs(t, p, id, res) {
				r.refs[id][res+" "+ref] += n
			}
		}
	}
	return r
}

// resourceOf is the resource of a state key ("payments@acc_1" -> payments).
func resourceOf(key string) string {
	if i := strings.IndexAny(key, "#@"); i >= 0 {
		return key[:i]
	}
	return key
}

// checkNotAhead checks that the restored state of every notified page's
// key covers only pages whose items are all stored, once. It returns the
// pages sent that the states do not cover.
func (r restored) checkNotAhead(t *testing.T, pages []notifiedPage) (missing []notifiedPage) {
	t.Helper()
	for _, pg := range pages {
		st := r.states[pg.session][pg.key]
		if pg.page > st.Pages {
			missing = append(missing, pg)
			continue
		}
		for _, ref := range pg.refs {
			if n := r.refs[pg.session][resourceOf(pg.key)+" "+ref]; n != 1 {
				t.Errorf("state of %s says %d pages, but %s of its page %d is stored %d times", pg.key, st.Pages, ref, pg.page, n)
			}
		}
	}
	return missing
}

// TestEditorExitKeepsStates is an editor's exit over stdio with the real
// binary: shutdown, exit, SIGKILL 2 ms later (Emacs eglot), after two
// fetch/next or with a fetch/all in flight that shutdown stops between
// pages. A third kind of round is harsher than any editor: SIGKILL as soon
// as shutdown is answered, exit never sent. Every page sent is in the
// states after a restart, with its items.
func TestEditorExitKeepsStates(t *testing.T) {
	bank := standaloneBank(t, "--accounts", "2", "--payments-per-account", "5000", "--latency", "1ms")
	for round := range 6 {
		walk, noExit := round%3 == 1, round%3 == 2
		t.Run(fmt.Sprintf("round %d walk %v no exit %v", round, walk, noExit), func(t *testing.T) {
			dir := t.TempDir()
			storeFile := filepath.Join(dir, "switchboard.db")
			w, cmd := spawnStdioIn(t, dir, "--store", storeFile)
			p := newPeer(t, w)
			p.initialize()
			var s protocol.Session
			p.ok("session/create", `{"provider":"demo","config":`+bank+`}`, &s)
			var answered chan message
			if walk {
				answered = p.expect(`"walk"`)
				p.w.send([]byte(`{"jsonrpc":"2.0","id":"walk","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":10}}`))
				waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= 5+round*10 })
			} else {
				for range 2 {
					p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"accounts","pageSize":1}`, nil)
				}
			}
			p.ok("shutdown", nil, nil)
			if walk {
				select {
				case <-answered:
				default:
					t.Fatal("shutdown answered before the fetch/all in flight")
				}
			}
			if !noExit {
				p.notify("exit", "")
				time.Sleep(2 * time.Millisecond)
			}
			cmd.Process.Kill()
			pages := notifiedPages(t, p)

			d := serve(t, dir, storeFile)
			r := restore(t, d.dial(t), s.ID)
			if missing := r.checkNotAhead(t, pages); len(missing) > 0 {
				t.Errorf("%d of %d pages sent before shutdown answered are not in the states after the restart, the first %s page %d",
					len(missing), len(pages), missing[0].key, missing[0].page)
			}
			if got := r.states[s.ID]["accounts"].Pages; !walk && got != 2 {
				t.Errorf("the accounts state says %d pages after the restart, want the 2 fetch/next answered", got)
			}
			if !t.Failed() {
				t.Logf("%d pages sent before shutdown, every one in the states after the restart", len(pages))
			}
		})
	}
}

// TestFetchNextReplyIsDurable kills the daemon right after each fetch/next
// answer: the page's state and items survive every time.
func TestFetchNextReplyIsDurable(t *testing.T) {
	bank := standaloneBank(t, "--accounts", "1", "--payments-per-account", "1000")
	dir := t.TempDir()
	storeFile := filepath.Join(dir, "switchboard.db")
	d := serve(t, dir, storeFile)
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","config":`+bank+`}`, &s)
	acc := storedAccount(t, p, s.ID)
	req := `{"sessionId":"` + s.ID + `","resource":"payments","pageSize":7,"fromPayload":{"reference":"` + acc + `"}}`
	for round := 1; round <= 5; round++ {
		var pg protocol.Page
		p.ok("fetch/next", req, &pg)
		d.killNow(t)
		d = serve(t, dir, storeFile)
		p = d.dial(t)
		st := states(t, p, s.ID)[pg.Key]
		if st.Pages != pg.Page || string(st.State) != string(pg.NewState) {
			t.Fatalf("round %d: fetch/next answered page %d with state %s; after kill -9 the state says %d pages, %s",
				round, pg.Page, pg.NewState, st.Pages, st.State)
		}
		if n := len(storedRefs(t, p, s.ID, "payments")); n != 7*round {
			t.Fatalf("round %d: %d payments stored after kill -9, want %d", round, n, 7*round)
		}
	}
}

// storedAccount fetches the first page of accounts and returns the first
// one's reference.
func storedAccount(t *testing.T, p *peer, sessionID string) string {
	t.Helper()
	var pg protocol.Page
	p.ok("fetch/next", `{"sessionId":"`+sessionID+`","resource":"accounts"}`, &pg)
	var accs []protocol.Account
	if err := json.Unmarshal(pg.Items, &accs); err != nil || len(accs) == 0 {
		t.Fatalf("accounts page: %s %v", pg.Items, err)
	}
	return accs[0].Reference
}

// TestKillDuringWalksKeepsWindow kills the real daemon with SIGKILL at a
// random moment of a fetch/all or a sync/run against a standalone demo
// bank, five rounds on one store. After each restart the states are never
// ahead of their items, and they lag the last fetch/page sent by at most
// session.CommitWindow of pages (measured on the client's clock, with
// windowSlack for delivery). A final sync then finds every payment exactly
// once.
func TestKillDuringWalksKeepsWindow(t *testing.T) {
	const accounts, perAccount = 4, 3000
	bank := standaloneBank(t, "--accounts", fmt.Sprint(accounts), "--payments-per-account", fmt.Sprint(perAccount), "--seed", "7", "--latency", "1ms")
	dir := t.TempDir()
	storeFile := filepath.Join(dir, "switchboard.db")
	d := serve(t, dir, storeFile)
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","config":`+bank+`,"pageSize":10}`, &s)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	var worst time.Duration
	for round := 1; round <= 5; round++ {
		method, params := "sync/run", `{"sessionId":"`+s.ID+`"}`
		if round%2 == 0 {
			method, params = "fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments"}`
		}
		p.w.send([]byte(`{"jsonrpc":"2.0","id":"walk","method":"` + method + `","params":` + params + `}`))
		waitFor(t, func() bool { return len(p.notifications("fetch/page")) > 0 })
		time.Sleep(time.Duration(rng.IntN(700)) * time.Millisecond)
		d.killNow(t)
		pages := notifiedPages(t, p)

		d = serve(t, dir, storeFile)
		p = d.dial(t)
		p.ok("session/subscribe", `{"sessionId":"`+s.ID+`"}`, nil)
		r := restore(t, p, s.ID)
		missing := r.checkNotAhead(t, pages)
		last := pages[len(pages)-1].at
		lag := time.Duration(0)
		if len(missing) > 0 {
			lag = last.Sub(missing[0].at)
		}
		worst = max(worst, lag)
		t.Logf("round %d, %s killed after %d pages: %d not in the states, sent over the last %v", round, method, len(pages), len(missing), lag)
		if lag > session.CommitWindow+windowSlack {
			t.Errorf("round %d: the states lost %d pages sent over %v before the last one, more than the %v window",
				round, len(missing), lag, session.CommitWindow)
		}
	}
	t.Logf("worst lag behind the last fetch/page: %v (window %v)", worst, session.CommitWindow)

	var res protocol.SyncRunResult
	p.ok("sync/run", `{"sessionId":"`+s.ID+`"}`, &res)
	for _, tr := range res.Tasks {
		if tr.Error != "" {
			t.Errorf("task %s: %s", tr.Path, tr.Error)
		}
	}
	refs := storedRefs(t, p, s.ID, "payments")
	if len(refs) != accounts*perAccount {
		t.Errorf("%d payments stored after resuming, want %d", len(refs), accounts*perAccount)
	}
	for ref, n := range refs {
		if n != 1 {
			t.Errorf("payment %s stored %d times", ref, n)
		}
	}
	st := states(t, p, s.ID)
	total := 0
	for k, e := range st {
		if resourceOf(k) == "payments" {
			total += e.Items
		}
	}
	if total != accounts*perAccount {
		t.Errorf("the payments states count %d items, %d are stored", total, accounts*perAccount)
	}
}

// windowSlack allows for the time between the daemon sending a page and
// the test reading it, on a loaded machine.
const windowSlack = 150 * time.Millisecond

// TestTenThousandSessionsUnderFDLimit creates 10,000 zero-config demo
// sessions in a daemon limited to 1,024 file descriptors: idle sessions
// hold none, so it keeps serving new websockets and their sessions, and a
// restart on that store (every session restored) serves too.
func TestTenThousandSessionsUnderFDLimit(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) not installed")
	}
	const sessions, fdLimit = 10_000, 1024
	limited := []string{prlimit, fmt.Sprintf("--nofile=%d:%d", fdLimit, fdLimit)}
	// The default cap on open sessions (1,000) is a policy, not a cost.
	maxSessions := []string{"--max-sessions", fmt.Sprint(sessions)}
	dir := t.TempDir()
	storeFile := filepath.Join(dir, "switchboard.db")
	started := time.Now()
	d := serveWrapped(t, limited, dir, storeFile, maxSessions...)
	if lim := openFileLimit(t, d.cmd.Process.Pid); lim != fdLimit {
		t.Fatalf("the daemon's open file limit is %d, want %d", lim, fdLimit)
	}
	p := d.dial(t)
	// Pipelined, a window of requests at a time: the store groups them.
	const window = 200
	var first protocol.Session
	for done := 0; done < sessions; done += window {
		var chans []chan message
		for i := done; i < min(done+window, sessions); i++ {
			id := fmt.Sprintf(`"c%d"`, i)
			chans = append(chans, p.expect(id))
			if err := p.w.send([]byte(`{"jsonrpc":"2.0","id":` + id + `,"method":"session/create","params":{"provider":"demo"}}`)); err != nil {
				t.Fatal(err)
			}
		}
		for i, ch := range chans {
			select {
			case m := <-ch:
				if m.Error != nil {
					t.Fatalf("session/create %d: %d %s", done+i, m.Error.Code, m.Error.Message)
				}
				if done+i == 0 {
					_ = json.Unmarshal(m.Result, &first)
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("session/create %d not answered in 60s", done+i)
			}
		}
		if time.Since(started) > 3*time.Minute {
			t.Fatalf("only %d sessions created in 3 minutes", done+window)
		}
	}
	t.Logf("%d sessions created in %v; the daemon holds %d descriptors, %s resident", sessions, time.Since(started).Round(time.Millisecond),
		openFDsOf(t, d.cmd.Process.Pid), residentOf(t, d.cmd.Process.Pid))
	checkServing := func(d *served, when string) {
		t.Helper()
		if n := openFDsOf(t, d.cmd.Process.Pid); n > 100 {
			t.Errorf("%s: the daemon holds %d descriptors for %d idle sessions", when, n, sessions)
		}
		// New connections are served, and a session is used through one.
		for range 3 {
			q := d.dial(t)
			var list protocol.SessionListResult
			q.ok("session/list", nil, &list)
			if len(list.Sessions) != sessions {
				t.Fatalf("%s: session/list has %d sessions, want %d", when, len(list.Sessions), sessions)
			}
			var pg protocol.Page
			q.ok("fetch/next", `{"sessionId":"`+first.ID+`","resource":"accounts","reset":true}`, &pg)
			if pg.ItemCount == 0 {
				t.Errorf("%s: the first session's bank gave no accounts", when)
			}
			q.w.close()
		}
	}
	checkServing(d, "after creating them")
	p.w.close()
	d.killNow(t)

	restarted := time.Now()
	d = serveWrapped(t, limited, dir, storeFile, maxSessions...)
	t.Logf("restarted with %d sessions in %v", sessions, time.Since(restarted).Round(time.Millisecond))
	checkServing(d, "after a restart")
}

// openFileLimit reads the soft open file limit of a process.
func openFileLimit(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "Max open files"); ok {
			var soft int
			fmt.Sscan(rest, &soft)
			return soft
		}
	}
	t.Fatalf("no open file limit in /proc/%d/limits", pid)
	return 0
}

// openFDsOf counts the open file descriptors of a process.
func openFDsOf(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("count descriptors: %v", err)
	}
	return len(ents)
}

// residentOf reads a process's resident memory (VmRSS), for the log.
func residentOf(t *testing.T, pid int) string {
	t.Helper()
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
