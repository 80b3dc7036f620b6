package connectortest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/connector/httprecord"
	"github.com/switchboardpay/switchboard/protocol"
)

// GoldenCall is one replayed fetch call as a golden file keeps it.
type GoldenCall struct {
	Operation   string          `json:"operation"`
	Name        string          `json:"name,omitempty"`
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	Page        int             `json:"page"`
	PageSize    int             `json:"pageSize"`
	StateBefore json.RawMessage `json:"stateBefore"`
	Items       json.RawMessage `json:"items"`
	StateAfter  json.RawMessage `json:"stateAfter"`
	HasMore     bool            `json:"hasMore"`
}

// Update reports whether the test binary runs with -update: golden files
// are then rewritten instead of compared. A test package that declares no
// -update flag of its own gets one from DeclareUpdateFlag.
func Update() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// DeclareUpdateFlag declares -update unless the test binary has one.
// Call it from an init function of the test package.
func DeclareUpdateFlag() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

// Replay runs p against the cassette at cassettePath, with no network, and
// compares what comes back with the golden file at golden: every fetch
// call the cassette holds is made again from its recorded state before
// (with its page size, name and parent), and
//
//   - its new state, hasMore and item count must be the recorded ones;
//   - its items (wire JSON) and states must equal the golden file's.
//
// With -update the golden file is written instead. config is the
// connector's config as for Open; nil uses the cassette's recorded one
// (its secrets redacted). A request the cassette lacks fails the test with
// the nearest recorded request.
func Replay(t testing.TB, p *connector.Provider, config any, cassettePath, golden string) []GoldenCall {
	t.Helper()
	return ReplayGolden(t, p, config, cassettePath, golden, Update())
}

// ReplayGolden is Replay with the golden file written when update is set.
func ReplayGolden(t testing.TB, p *connector.Provider, config any, cassettePath, golden string, update bool) []GoldenCall {
	t.Helper()
	tape, err := cassette.Load(cassettePath)
	if err != nil {
		t.Fatalf("connectortest: %v", err)
	}
	raw := tape.Session.Config
	if config != nil {
		raw = rawConfig(t, p, config)
	}
	secrets := p.SecretValues(raw)
	player := cassette.NewPlayer(tape, secrets, false)
	hc := &http.Client{Transport: player}
	c, err := p.Open(context.Background(), raw, connector.Env{HTTPClient: hc})
	if err != nil {
		t.Fatalf("connectortest: open %s: %v", p.Name, err)
	}
	defer func() {
		if cl, ok := c.(interface{ Close() error }); ok {
			_ = cl.Close()
		}
	}()
	var got []GoldenCall
	for i, rc := range tape.FetchCalls() {
		if rc.Error != "" {
			continue // a failed call has no outcome to compare
		}
		res, err := driver.Fetch(context.Background(), driver.Open(c, driver.Opts{Provider: p.Name}), rc.Resource, connector.FetchRequest{
			State: rc.StateBefore, FromPayload: rc.FromPayload, Name: rc.Name, PageSize: rc.PageSize,
		})
		if err != nil {
			t.Fatalf("connectortest: replay call %d (%s page %d): %v", i, rc.Operation, rc.Page, err)
		}
		after := driver.NormalizeState(res.NewState)
		if !jsonEqual(after, rc.StateAfter) || res.HasMore != rc.HasMore || res.Count != rc.Items {
			t.Errorf("connectortest: replay call %d (%s page %d): got %d items, hasMore %v, state %s; recorded %d items, hasMore %v, state %s",
				i, rc.Operation, rc.Page, res.Count, res.HasMore, after, rc.Items, rc.HasMore, rc.StateAfter)
		}
		got = append(got, GoldenCall{Operation: rc.Operation, Name: rc.Name, FromPayload: rc.FromPayload, Page: rc.Page, PageSize: rc.PageSize,
			StateBefore: orNull(rc.StateBefore), Items: res.Items, StateAfter: orNull(after), HasMore: res.HasMore})
	}
	if len(got) == 0 {
		t.Fatalf("connectortest: cassette %s holds no fetch call", cassettePath)
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("connectortest: wrote %s (%d calls)", golden, len(got))
		return got
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("connectortest: %v (run go test -update to write it)", err)
	}
	var wantCalls []GoldenCall
	if err := json.Unmarshal(want, &wantCalls); err != nil {
		t.Fatalf("connectortest: golden file %s: %v", golden, err)
	}
	if len(wantCalls) != len(got) {
		t.Errorf("connectortest: %d calls replayed, golden file %s has %d (go test -update rewrites it)", len(got), golden, len(wantCalls))
	}
	for i := range min(len(got), len(wantCalls)) {
		if d := cmp.Diff(decode(wantCalls[i]), decode(got[i])); d != "" {
			t.Errorf("connectortest: %s page %d differs from %s (-golden +got):\n%s", got[i].Operation, got[i].Page, golden, d)
		}
	}
	return got
}

// Record opens p with config and records into a cassette at path every
// page of each resource (default: every fetch capability that needs no
// parent item), paged to its end with pageSize (0: 10). It is how a test
// makes the cassette a generated replay test uses, against a live or
// loopback API.
func Record(t testing.TB, p *connector.Provider, config any, path string, pageSize int, resources ...string) {
	t.Helper()
	raw := rawConfig(t, p, config)
	if pageSize <= 0 {
		pageSize = 10
	}
	w, err := cassette.NewWriter(path, cassette.Session{Provider: p.Name, Config: p.RedactConfig(raw), PageSize: pageSize}, p.SecretValues(raw))
	if err != nil {
		t.Fatalf("connectortest: %v", err)
	}
	hc := &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
		return w.RoundTrip(http.DefaultTransport, req)
	})}
	defer hc.CloseIdleConnections()
	c, err := p.Open(context.Background(), raw, connector.Env{HTTPClient: hc})
	if err != nil {
		t.Fatalf("connectortest: open %s: %v", p.Name, err)
	}
	if cl, ok := c.(interface{ Close() error }); ok {
		defer cl.Close()
	}
	d := driver.Open(c, driver.Opts{Provider: p.Name})
	if len(resources) == 0 {
		caps := d.Capabilities()
		for _, r := range protocol.Resources {
			if r != protocol.ResourceBalances && slices.Contains(caps, protocol.FetchCapability(r)) {
				resources = append(resources, r)
			}
		}
	}
	for _, r := range resources {
		var state json.RawMessage
		for page := 1; ; page++ {
			if page > 10_000 {
				t.Fatalf("connectortest: record %s: more than 10,000 pages", r)
			}
			call := &httprecord.Call{Operation: "fetch/" + r, Page: page}
			res, err := driver.Fetch(httprecord.WithCall(context.Background(), call), d, r, connector.FetchRequest{State: state, PageSize: pageSize})
			rc := cassette.Call{Operation: call.Operation, Resource: r, Page: page, PageSize: pageSize, StateBefore: state}
			if err != nil {
				rc.Error = err.Error()
				w.AddCall(call, rc)
				_ = w.Close()
				t.Fatalf("connectortest: record %s page %d: %v", r, page, err)
			}
			rc.StateAfter, rc.HasMore, rc.Items = driver.NormalizeState(res.NewState), res.HasMore, res.Count
			w.AddCall(call, rc)
			state = res.NewState
			if !res.HasMore {
				break
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("connectortest: %v", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func rawConfig(t testing.TB, p *connector.Provider, config any) json.RawMessage {
	t.Helper()
	switch v := config.(type) {
	case nil:
		return json.RawMessage("{}")
	case json.RawMessage:
		return v
	case []byte:
		return v
	case string:
		return json.RawMessage(v)
	}
	b, err := json.Marshal(config)
	if err != nil {
		t.Fatalf("connectortest: config of %s: %v", p.Name, err)
	}
	return b
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

func jsonEqual(a, b json.RawMessage) bool {
	a, b = orNull(a), orNull(b)
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return cmp.Equal(x, y)
}

// decode turns a call's JSON fields into values, so a diff shows fields,
// not bytes.
func decode(c GoldenCall) map[string]any {
	b, _ := json.Marshal(c)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]any{"undecodable": fmt.Sprint(err)}
	}
	return m
}

// Lookup returns the registered provider name or fails the test.
func Lookup(t testing.TB, name string) *connector.Provider {
	t.Helper()
	p, ok := connector.Default().Lookup(name)
	if !ok {
		t.Fatalf("connectortest: provider %q is not registered (import its package)", name)
	}
	return p
}
