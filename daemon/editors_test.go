package daemon_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// These tests send what editors' own JSON-RPC clients send (Neovim's
// built-in LSP client, Emacs's jsonrpc.el, VS Code's vscode-jsonrpc,
// golang.org/x/exp/jsonrpc2), over every transport, where the daemon once
// deviated from JSON-RPC 2.0 or LSP.

// inProcess opens a wire to a daemon with opts, over in-process stdio and
// over a websocket.
func inProcess(opts daemon.Options) []struct {
	name string
	open func(t *testing.T) wire
} {
	newD := func(t *testing.T) *daemon.Daemon {
		o := opts
		o.Registry, o.Logger = testconnector.Registry(), quietLogger()
		d := daemon.New(o)
		t.Cleanup(func() { d.Close() })
		return d
	}
	return []struct {
		name string
		open func(t *testing.T) wire
	}{
		{"stdio", func(t *testing.T) wire { w, _ := inProcessStdio(t, newD(t)); return w }},
		{"websocket", func(t *testing.T) wire { return dialWS(t, startWS(t, newD(t))) }},
	}
}

func TestIDsEchoedExactly(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			// Negative ids are JSON-RPC integers like any other.
			m := p.sendRaw(`{"jsonrpc":"2.0","id":-1,"method":"initialize","params":{}}`, "-1")
			if m.Error != nil || string(m.ID) != "-1" {
				t.Fatalf("initialize with id -1: %+v", m)
			}
			p.notify("initialized", "{}")
			for _, id := range []string{"-9007199254740991", "0", "1.5", `""`, `"-1"`, "99999999999999999999"} {
				m := p.sendRaw(`{"jsonrpc":"2.0","id":`+id+`,"method":"providers/list"}`, id)
				if m.Error != nil || string(m.ID) != id {
					t.Errorf("id %s answered %+v", id, m)
				}
			}
			// A request with id null is a request, answered with id null.
			m = p.sendRaw(`{"jsonrpc":"2.0","id":null,"method":"providers/list"}`, "null")
			if m.Error != nil || !strings.Contains(string(m.Result), `"providers"`) {
				t.Errorf("id null answered %+v", m)
			}
			// $/cancelRequest reaches a request with a negative id.
			s := createTest(t, p, `{"payments":100000,"behave":"slow","sleepMs":30}`)
			ch := p.expect("-7")
			p.w.send([]byte(`{"jsonrpc":"2.0","id":-7,"method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":10}}`))
			waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= 2 })
			p.notify("$/cancelRequest", `{"id":-7}`)
			select {
			case m = <-ch:
				if errCode(t, m) != protocol.CodeRequestCancelled {
					t.Errorf("cancelled fetch/all: %+v", m.Error)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no answer to a cancelled request with id -7")
			}
		})
	}
}

func TestJSONRPCVersionRequired(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.initialize()
			for _, body := range []string{
				`{"id":5,"method":"providers/list"}`,
				`{"jsonrpc":"1.0","id":5,"method":"providers/list"}`,
				`{"jsonrpc":2,"id":5,"method":"providers/list"}`,
			} {
				m := p.sendRaw(body, "5")
				if errCode(t, m) != protocol.CodeInvalidRequest {
					t.Errorf("%s: code %d", body, m.Error.Code)
				}
			}
			// And the connection still serves.
			p.ok("providers/list", nil, nil)
		})
	}
}

func TestStandardProgressCapability(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			// What Neovim 0.7 declares by default (abridged).
			p.ok("initialize", `{"processId":1,"rootUri":null,"capabilities":{"window":{"workDoneProgress":true,"showMessage":{}},"textDocument":{}},"trace":"off"}`, nil)
			p.notify("initialized", "{}")
			s := createTest(t, p, `{"payments":300}`)
			p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments"}`, nil)
			token := createdToken(t, p)
			// The create answer may come after the walk has begun: begin,
			// maybe reports, end.
			waitFor(t, func() bool { k := progressKinds(p, token); return len(k) > 0 && k[len(k)-1] == "end" })
			if k := progressKinds(p, token); k[0] != "begin" {
				t.Errorf("progress %v", k)
			}
		})
	}
}

// createdToken returns the token of the one window/workDoneProgress/create
// the daemon sent.
func createdToken(t *testing.T, p *peer) string {
	t.Helper()
	var creates []message
	waitFor(t, func() bool { creates = p.notifications("window/workDoneProgress/create"); return len(creates) > 0 })
	if len(creates) != 1 {
		t.Fatalf("%d window/workDoneProgress/create requests, want 1", len(creates))
	}
	var cp protocol.WorkDoneProgressCreateParams
	json.Unmarshal(creates[0].Params, &cp)
	return string(cp.Token)
}

func TestProgressCancelButton(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.ok("initialize", `{"capabilities":{"window":{"workDoneProgress":true}}}`, nil)
			s := createTest(t, p, `{"payments":100000,"behave":"slow","sleepMs":30}`)
			ch := p.expect(`"all"`)
			p.w.send([]byte(`{"jsonrpc":"2.0","id":"all","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":10}}`))
			token := createdToken(t, p)
			waitFor(t, func() bool { return len(progressKinds(p, token)) >= 2 })
			var begin protocol.ProgressParams
			for _, n := range p.notifications("$/progress") {
				json.Unmarshal(n.Params, &begin)
				break
			}
			if !begin.Value.Cancellable {
				t.Errorf("begin not cancellable: %+v", begin.Value)
			}
			p.notify("window/workDoneProgress/cancel", `{"token":`+token+`}`)
			select {
			case m := <-ch:
				if errCode(t, m) != protocol.CodeRequestCancelled {
					t.Errorf("code %d", m.Error.Code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("window/workDoneProgress/cancel did not end the walk")
			}
			if k := progressKinds(p, token); k[len(k)-1] != "end" {
				t.Errorf("progress %v does not end", k)
			}
			// The key is free again.
			p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":10}`, nil)
		})
	}
}

func TestShutdownEndsWalksServerCancelled(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.initialize()
			s := createTest(t, p, `{"payments":100000,"behave":"slow","sleepMs":20}`)
			ch := p.expect(`"all"`)
			p.w.send([]byte(`{"jsonrpc":"2.0","id":"all","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":10}}`))
			waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= 2 })
			p.ok("shutdown", nil, nil)
			select {
			case m := <-ch:
				// LSP 3.17's ServerCancelled: editors mute -32800.
				if errCode(t, m) != protocol.CodeServerCancelled {
					t.Errorf("walk ended by shutdown: code %d", m.Error.Code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("walk not answered after shutdown")
			}
		})
	}
}

// slowWire reads a message only every delay, like an editor busy drawing.
type slowWire struct {
	wire
	delay time.Duration
}

func (s slowWire) recv() (json.RawMessage, error) {
	time.Sleep(s.delay)
	return s.wire.recv()
}

func TestProgressEndNeverDropped(t *testing.T) {
	for _, tr := range inProcess(daemon.Options{QueueSize: 1}) {
		t.Run(tr.name, func(t *testing.T) {
			p := newPeer(t, slowWire{tr.open(t), 2 * time.Millisecond})
			p.initialize()
			s := createTest(t, p, `{"payments":400}`)
			p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":10,"workDoneToken":"tok"}`, nil)
			// Reports may be dropped when the queue is full; begin and end
			// never are.
			waitFor(t, func() bool { k := progressKinds(p, `"tok"`); return len(k) > 0 && k[len(k)-1] == "end" })
			k := progressKinds(p, `"tok"`)
			if k[0] != "begin" || strings.Count(strings.Join(k, ","), "end") != 1 {
				t.Errorf("progress %v", k)
			}
			t.Logf("%d progress notifications of 42 possible", len(k))
		})
	}
}

func TestProgressCreateAnswers(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			t.Run("answered late", func(t *testing.T) {
				p := tr.open(t)
				var mu sync.Mutex
				var held []string
				p.setAnswer(func(m message) string { mu.Lock(); held = append(held, string(m.ID)); mu.Unlock(); return "" })
				p.ok("initialize", `{"capabilities":{"window":{"workDoneProgress":true}}}`, nil)
				s := createTest(t, p, `{"payments":300}`)
				// The walk does not wait for the client: its result comes
				// while the create is still unanswered, and no progress is
				// reported on a token the client has not taken yet.
				var res protocol.FetchAllResult
				p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments"}`, &res)
				token := createdToken(t, p)
				if res.Items != 300 {
					t.Errorf("result %+v", res)
				}
				if k := progressKinds(p, token); len(k) != 0 {
					t.Errorf("progress on an untaken token: %v", k)
				}
				mu.Lock()
				if len(held) != 1 {
					t.Errorf("held creates %v", held)
				}
				// A late answer begins the progress and ends it at once,
				// with the walk's last report.
				p.w.send([]byte(`{"jsonrpc":"2.0","id":` + held[0] + `,"result":null}`))
				mu.Unlock()
				waitFor(t, func() bool { return len(progressKinds(p, token)) == 3 })
				if diff := cmp.Diff([]string{"begin", "report", "end"}, progressKinds(p, token)); diff != "" {
					t.Errorf("progress after a late answer (-want +got):\n%s", diff)
				}
				p.ok("providers/list", nil, nil)
			})
			t.Run("answered with neither result nor error", func(t *testing.T) {
				p := tr.open(t)
				// What golang.org/x/exp/jsonrpc2 sends for a nil result.
				p.setAnswer(func(m message) string { return `{"jsonrpc":"2.0","id":` + string(m.ID) + `}` })
				p.ok("initialize", `{"capabilities":{"window":{"workDoneProgress":true}}}`, nil)
				s := createTest(t, p, `{"payments":300}`)
				p.ok("fetch/all", `{"sessionId":"`+s.ID+`","resource":"payments","pageSize":10}`, nil)
				token := createdToken(t, p)
				waitFor(t, func() bool { k := progressKinds(p, token); return len(k) > 0 && k[len(k)-1] == "end" })
				if k := progressKinds(p, token); k[0] != "begin" {
					t.Errorf("progress %v", k)
				}
				// The answer was taken as success, not answered with -32600.
				select {
				case m := <-p.expect("null"):
					t.Errorf("the create answer was refused: %+v", m.Error)
				default:
				}
			})
		})
	}
}

func TestFrameWithoutContentLength(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) *lspWire
	}{
		{"stdio", func(t *testing.T) *lspWire {
			d := newTestDaemon()
			t.Cleanup(func() { d.Close() })
			w, _ := inProcessStdio(t, d)
			return w
		}},
		{"binary", func(t *testing.T) *lspWire { w, _ := spawnStdio(t); return w }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.open(t)
			t.Cleanup(func() { w.close() })
			body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`
			w.sendFrame("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + body)
			got := make(chan json.RawMessage, 1)
			go func() { m, _ := w.recv(); got <- m }()
			select {
			case raw := <-got:
				var m message
				json.Unmarshal(raw, &m)
				if m.Error == nil || m.Error.Code != protocol.CodeInvalidRequest || !strings.Contains(m.Error.Message, "Content-Length") {
					t.Fatalf("answer %s", raw)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no answer to a frame without Content-Length")
			}
			// The stream cannot find the next frame: the connection ends.
			if _, err := w.recv(); err == nil {
				t.Error("connection still open")
			}
		})
	}
}
