package daemon_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestRecordingSurvivesKill records a sync into a cassette in the real
// binary, kills it with SIGKILL at a random moment mid-sync, and replays
// the cassette offline (the bank stopped): every page the client was sent
// before the kill was journaled with its exchanges, Load folds the
// journal into a plain go-vcr cassette, and the replay gives those pages'
// items again.
func TestRecordingSurvivesKill(t *testing.T) {
	bank := standaloneBank(t, "--accounts", "3", "--payments-per-account", "3000", "--seed", "5", "--latency", "1ms")
	dir := t.TempDir()
	path := filepath.Join(dir, "killed.yaml")
	d := serve(t, dir, filepath.Join(dir, "switchboard.db"))
	p := d.dial(t)
	var s protocol.Session
	p.ok("session/create", `{"provider":"demo","config":`+bank+`,"pageSize":25,"record":"`+path+`"}`, &s)
	p.w.send([]byte(`{"jsonrpc":"2.0","id":"sync","method":"sync/run","params":{"sessionId":"` + s.ID + `"}}`))
	waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= 5 })
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 19))
	time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
	d.killNow(t)
	pages := notifiedPages(t, p)
	if _, err := os.Stat(cassette.JournalPath(path)); err != nil {
		t.Fatalf("no journal after the kill: %v", err)
	}

	tape, err := cassette.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cassette.JournalPath(path)); !os.IsNotExist(err) {
		t.Errorf("the journal was not folded into the cassette: %v", err)
	}
	if len(tape.FetchCalls()) < len(pages) {
		t.Errorf("the client was sent %d pages, the cassette kept %d fetch calls", len(pages), len(tape.FetchCalls()))
	}
	t.Logf("killed after %d pages; the cassette kept %d calls and %d exchanges", len(pages), len(tape.FetchCalls()), len(tape.HTTP))

	// Offline: the replay stops where the recording did (those tasks end
	// with a replay miss), and gives every page sent before the kill.
	d2 := serve(t, t.TempDir(), filepath.Join(t.TempDir(), "replay.db"))
	r := d2.dial(t)
	var rs protocol.Session
	r.ok("session/create", `{"replay":"`+path+`"}`, &rs)
	var res protocol.SyncRunResult
	r.ok("sync/run", `{"sessionId":"`+rs.ID+`"}`, &res)
	replayed := map[string]bool{}
	for _, pg := range notifiedPages(t, r) {
		for _, ref := range pg.refs {
			replayed[ref] = true
		}
	}
	lost := 0
	for _, pg := range pages {
		for _, ref := range pg.refs {
			if !replayed[ref] {
				lost++
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d items sent before the kill are not in the replay", lost)
	}
}
