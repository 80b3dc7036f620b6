package cassette_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	vcr "gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/protocol"
)

const secret = "sk_live_CASSETTEsecret1"

// A recording of requests carrying the secret in a header, the query and
// a form body replays to a client holding the same secret (or another:
// the placeholder is the same), and go-vcr's own loader reads the file.
func TestRecordedSecretsReplayAndNeverReachTheFile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "body": string(b), "token": "tok_" + secret})
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "c.yaml")
	w, err := cassette.NewWriter(path, cassette.Session{Provider: "x", Config: json.RawMessage(`{"apiKey":"***"}`)}, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	rec := &http.Client{Transport: rt(func(r *http.Request) (*http.Response, error) { return w.RoundTrip(http.DefaultTransport, r) })}
	do := func(c *http.Client, key string) (string, error) {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/charges?api_key="+key+"&limit=3", strings.NewReader("amount=10&secret="+key))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	live, err := do(rec, secret)
	if err != nil {
		t.Fatal(err)
	}
	w.AddCall(nil, cassette.Call{Operation: "fetch/payments", Resource: "payments", Page: 1, PageSize: 3, StateBefore: json.RawMessage(`{"k":"` + secret + `"}`), Items: 1})
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	rec.CloseIdleConnections()
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), secret) {
		t.Fatalf("the secret is in the cassette:\n%s", raw)
	}
	if _, err := vcr.Load(strings.TrimSuffix(path, ".yaml")); err != nil {
		t.Fatalf("go-vcr cannot load the cassette: %v", err)
	}
	srv.Close()

	tape, err := cassette.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tape.HTTP) != 1 || len(tape.Calls) != 1 || string(tape.Calls[0].StateBefore) != `{"k":"***"}` {
		t.Fatalf("tape: %d http, calls %+v", len(tape.HTTP), tape.Calls)
	}
	for _, key := range []string{secret, "sk_live_ANOTHERkey22"} {
		play := &http.Client{Transport: cassette.NewPlayer(tape, []string{key}, false)}
		got, err := do(play, key)
		if err != nil {
			t.Fatalf("replay with key %s: %v", key, err)
		}
		// The response is redacted too: the secret-named field whole, the
		// secret value wherever it is.
		want := `{"body":"amount=10\u0026secret=***","path":"/v1/charges","token":"***"}` + "\n"
		if got != want || !strings.Contains(live, secret) {
			t.Errorf("replayed body %s, want %s", got, want)
		}
	}
	// Another body: a miss naming the nearest request and where the
	// bodies part.
	play := &http.Client{Transport: cassette.NewPlayer(tape, []string{secret}, false)}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/charges?api_key="+secret+"&limit=3", strings.NewReader("amount=99&secret="+secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = play.Do(req)
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeReplayMiss {
		t.Fatalf("want a replay miss, got %v", err)
	}
	miss := pe.Data.(protocol.ReplayMissData)
	if miss.Nearest == "" || len(miss.Differences) != 1 || !strings.Contains(miss.Differences[0], `body differs: at byte 7: "99`) || strings.Contains(pe.Message, secret) {
		t.Errorf("miss %+v", miss)
	}
	// Lenient: method and path are enough.
	lenient := &http.Client{Transport: cassette.NewPlayer(tape, []string{secret}, true)}
	req, _ = http.NewRequest("POST", srv.URL+"/v1/charges?other=1", strings.NewReader("x"))
	if resp, err := lenient.Do(req); err != nil {
		t.Errorf("lenient replay: %v", err)
	} else {
		resp.Body.Close()
	}
}

// A save that does not fit on a real full filesystem (a 64 KiB tmpfs)
// fails and leaves the previous cassette whole.
func TestSaveOnAFullDiskKeepsThePreviousCassette(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", dir).Run()
	path := filepath.Join(dir, "c.yaml")
	w, err := cassette.NewWriter(path, cassette.Session{Provider: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.AddCall(nil, cassette.Call{Operation: "fetch/accounts", Resource: "accounts", Items: 1})
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	big := json.RawMessage(`"` + strings.Repeat("x", 100<<10) + `"`)
	w.AddCall(nil, cassette.Call{Operation: "fetch/payments", Resource: "payments", StateAfter: big})
	if err := w.Save(); err == nil {
		t.Fatal("a save larger than the disk succeeded")
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Fatal("the failed save changed the cassette")
	}
	tape, err := cassette.Load(path)
	if err != nil || len(tape.Calls) != 1 {
		t.Fatalf("the previous cassette: %v, %d calls", err, len(tape.Calls))
	}
	// The cassette and, while the recording goes on, its journal.
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the failed save left %d files behind", len(entries)-2)
	}
	// Room again: closing saves everything and removes the journal.
	if out, err := exec.Command("mount", "-o", "remount,size=1m", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if tape, err := cassette.Load(path); err != nil || len(tape.Calls) != 2 {
		t.Fatalf("after close: %v, %d calls", err, len(tape.Calls))
	}
	if _, err := os.Stat(cassette.JournalPath(path)); !os.IsNotExist(err) {
		t.Errorf("the journal outlived the recording: %v", err)
	}
}

func TestPathMustEndInYAML(t *testing.T) {
	if _, err := cassette.NewWriter(filepath.Join(t.TempDir(), "c.json"), cassette.Session{}, nil); err == nil {
		t.Error("a .json path was accepted")
	}
}

type rt func(*http.Request) (*http.Response, error)

func (f rt) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
