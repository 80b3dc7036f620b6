package daemon_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/switchboardpay/switchboard/daemon"
)

var updateTranscripts = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// TestTranscripts replays each testdata/transcripts/*.txtar over in-process
// stdio and over a websocket, and compares the whole conversation with the
// archive's golden "transcript" file (go test -run TestTranscripts -update
// rewrites it). Its "script" file says what the client does, one step a
// line:
//
//	send JSON     send a message; a request waits for its answer
//	start JSON    send a request without waiting for its answer
//	wait ID       wait for the answer to request ID
//	until M N     wait until N notifications of method M have come
//	bad TEXT      send TEXT as one message (not JSON, say); wait for the
//	              error answer (id null)
//	closed        wait for the daemon to close the connection
//	ignore M      leave notifications of method M out of the transcript
//	              (log: a prefetched page's log may come before the
//	              previous page's notification)
//
// Volatile values are normalized before the comparison: session ids, times
// of the clock (not the connector's), durations, the daemon's version.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var script, golden []byte
		for _, f := range ar.Files {
			switch f.Name {
			case "script":
				script = f.Data
			case "transcript":
				golden = f.Data
			}
		}
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		for _, tr := range inProcess(daemon.Options{}) {
			t.Run(name+"/"+tr.name, func(t *testing.T) {
				got := replay(t, tr.open(t), string(script))
				if *updateTranscripts && tr.name == "stdio" {
					ar.Files = []txtar.File{{Name: "script", Data: script}, {Name: "transcript", Data: got}}
					if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
						t.Fatal(err)
					}
					golden = got
					return
				}
				if !bytes.Equal(got, golden) {
					t.Errorf("transcript differs from %s (rerun with -update if the change is intended):\n%s", file, lineDiff(string(golden), string(got)))
				}
			})
		}
	}
}

// replay runs a script on w and returns the normalized transcript.
func replay(t *testing.T, w wire, script string) []byte {
	t.Helper()
	in := make(chan json.RawMessage, 1024)
	go func() {
		defer close(in)
		for {
			m, err := w.recv()
			if err != nil {
				return
			}
			in <- m
		}
	}()
	t.Cleanup(func() { w.close() })
	var out bytes.Buffer
	n := newNormalizer()
	counts := map[string]int{}
	ignored := map[string]bool{}
	closed := false
	// next receives one message into the transcript; false when the
	// connection closed.
	next := func(what string) (message, bool) {
		select {
		case raw, ok := <-in:
			if !ok {
				if !closed {
					fmt.Fprintf(&out, "< (closed)\n")
					closed = true
				}
				return message{}, false
			}
			var m message
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("daemon sent invalid JSON %q", raw)
			}
			if m.Method != "" {
				counts[m.Method]++
			}
			if !ignored[m.Method] || len(m.ID) > 0 {
				fmt.Fprintf(&out, "< %s\n", n.normalize(raw))
			}
			return m, true
		case <-time.After(20 * time.Second):
			t.Fatalf("waiting for %s: nothing within 20s; transcript so far:\n%s", what, out.String())
		}
		return message{}, false
	}
	waitID := func(id string) {
		for {
			m, ok := next("the answer to " + id)
			if !ok {
				t.Fatalf("connection closed waiting for the answer to %s", id)
			}
			if m.Method == "" && string(m.ID) == id {
				return
			}
		}
	}
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		verb, arg, _ := strings.Cut(line, " ")
		arg = n.expand(arg)
		switch verb {
		case "send", "start", "bad":
			fmt.Fprintf(&out, "> %s\n", n.normalize([]byte(arg)))
			if err := w.send([]byte(arg)); err != nil {
				t.Fatalf("send %s: %v", arg, err)
			}
			if verb == "bad" {
				waitID("null")
				continue
			}
			var m message
			if verb == "send" && json.Unmarshal([]byte(arg), &m) == nil && len(m.ID) > 0 && m.Method != "" {
				waitID(string(m.ID))
			}
		case "wait":
			waitID(arg)
		case "ignore":
			ignored[arg] = true
		case "until":
			method, count, _ := strings.Cut(arg, " ")
			var want int
			fmt.Sscan(count, &want)
			for counts[method] < want {
				if _, ok := next(fmt.Sprintf("%d %s", want, method)); !ok {
					t.Fatalf("connection closed waiting for %d %s", want, method)
				}
			}
		case "closed":
			for {
				if _, ok := next("the connection to close"); !ok {
					break
				}
			}
		default:
			t.Fatalf("unknown script step %q", line)
		}
	}
	return out.Bytes()
}

// normalizer replaces what changes from run to run.
type normalizer struct {
	sessions map[string]string // session id -> $SESSIONn
	last     string
}

func newNormalizer() *normalizer { return &normalizer{sessions: map[string]string{}} }

var (
	uuidRE     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	clockRE    = regexp.MustCompile(`"(20[2-9][0-9]-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+))"`)
	durationRE = regexp.MustCompile(`"(durationMs|elapsedMs|ms)":[0-9.e+-]+`)
)

// expand puts the last session's id where a script says $SESSION.
func (n *normalizer) expand(s string) string {
	return strings.ReplaceAll(s, "$SESSION", n.last)
}

func (n *normalizer) normalize(raw []byte) string {
	s := string(raw)
	s = uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := n.sessions[id]; !ok {
			n.sessions[id] = fmt.Sprintf("$SESSION%d", len(n.sessions)+1)
			n.last = id
		}
		return n.sessions[id]
	})
	// Session names end with the id's first 8 digits.
	for id, name := range n.sessions {
		s = strings.ReplaceAll(s, "-"+id[:8]+`"`, "-"+name+`"`)
	}
	s = clockRE.ReplaceAllStringFunc(s, func(q string) string {
		ts, err := time.Parse(time.RFC3339Nano, strings.Trim(q, `"`))
		if err == nil && time.Since(ts) < 24*time.Hour && time.Since(ts) > -time.Hour {
			return `"$TIME"`
		}
		return q
	})
	s = durationRE.ReplaceAllString(s, `"$1":0`)
	return s
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, w, g)
		}
	}
	return "(same lines)"
}
