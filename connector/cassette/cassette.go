// Package cassette keeps what a connector session did in a go-vcr v4
// cassette (gopkg.in/dnaeon/go-vcr.v4/pkg/cassette, the YAML Go developers
// already replay in their tests): every HTTP exchange, redacted, and every
// connector call with its operation, page, page size and the state before
// and after it. A Writer records; a Player replays the exchanges to a
// connector with no network.
//
// Calls and the session's provider and config are kept as interactions of
// their own, with the method "SWITCHBOARD" and a "switchboard:" URL, so the
// file stays a plain go-vcr cassette: a go-vcr recorder never matches them.
package cassette

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"
	vcr "gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// Method is the request method of the interactions that hold calls and the
// session, never sent to a server.
const Method = "SWITCHBOARD"

const (
	sessionURL = "switchboard:session"
	callURL    = "switchboard:call/"
)

// Session is what a replay needs to open the connector again.
type Session struct {
	Provider string `json:"provider"`
	// Config is the session's config with its secret fields redacted.
	Config   json.RawMessage `json:"config"`
	PageSize int             `json:"pageSize"`
}

// Call is one connector call of the recorded session.
type Call struct {
	Operation   string          `json:"operation,omitempty"`
	Resource    string          `json:"resource,omitempty"`
	Name        string          `json:"name,omitempty"`
	FromPayload json.RawMessage `json:"fromPayload,omitempty"`
	Page        int             `json:"page,omitempty"`
	PageSize    int             `json:"pageSize,omitempty"`
	Reset       bool            `json:"reset,omitempty"`
	StateBefore json.RawMessage `json:"stateBefore,omitempty"`
	// The outcome: the state after, whether there is more, how many items
	// came back, or the error.
	StateAfter json.RawMessage `json:"stateAfter,omitempty"`
	HasMore    bool            `json:"hasMore,omitempty"`
	Items      int             `json:"items,omitempty"`
	Error      string          `json:"error,omitempty"`
	// Interactions are the ids of the call's HTTP interactions.
	Interactions []int `json:"interactions,omitempty"`
}

// Tape is a loaded cassette.
type Tape struct {
	Path    string
	Session Session
	Calls   []Call
	// HTTP are the HTTP interactions in recorded order.
	HTTP []*vcr.Interaction
}

// CheckPath refuses a path go-vcr cannot name: a cassette's file name ends
// in .yaml.
func CheckPath(path string) error {
	if !strings.HasSuffix(path, ".yaml") || len(path) <= len(".yaml") {
		return fmt.Errorf("cassette %q: the file name must end in .yaml", path)
	}
	return nil
}

func name(path string) string { return strings.TrimSuffix(path, ".yaml") }

// Load reads a cassette.
func Load(path string) (*Tape, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	// A recording cut short by a kill left a journal: folded in first.
	interactions, err := recoverJournal(path)
	if err != nil {
		return nil, err
	}
	if interactions == nil {
		if t := cached(path); t != nil {
			return t, nil
		}
		c, err := vcr.Load(name(path))
		if err != nil {
			return nil, fmt.Errorf("cassette %s: %w", path, err)
		}
		interactions = c.Interactions
	}
	t, err := tapeOf(path, interactions)
	if err != nil {
		return nil, err
	}
	remember(path, t)
	return t, nil
}

// add sorts one interaction into the tape.
func (t *Tape) add(i *vcr.Interaction) error {
	if i.Request.Method != Method {
		t.HTTP = append(t.HTTP, i)
		return nil
	}
	switch {
	case i.Request.URL == sessionURL:
		if err := json.Unmarshal([]byte(i.Request.Body), &t.Session); err != nil {
			return fmt.Errorf("cassette %s: interaction %d (session): %w", t.Path, i.ID, err)
		}
	case strings.HasPrefix(i.Request.URL, callURL):
		var c Call
		if err := json.Unmarshal([]byte(i.Request.Body), &c); err != nil {
			return fmt.Errorf("cassette %s: interaction %d (call): %w", t.Path, i.ID, err)
		}
		if err := json.Unmarshal([]byte(i.Response.Body), &c); err != nil {
			return fmt.Errorf("cassette %s: interaction %d (call result): %w", t.Path, i.ID, err)
		}
		t.Calls = append(t.Calls, c)
	}
	return nil
}

// FetchCalls returns the calls that fetched a page.
func (t *Tape) FetchCalls() []Call {
	var out []Call
	for _, c := range t.Calls {
		if c.Resource != "" {
			out = append(out, c)
		}
	}
	return out
}

// PageSizes returns the page sizes the fetch calls used, in first use
// order.
func (t *Tape) PageSizes() []int {
	var out []int
	seen := map[int]bool{}
	for _, c := range t.FetchCalls() {
		if c.PageSize > 0 && !seen[c.PageSize] {
			seen[c.PageSize] = true
			out = append(out, c.PageSize)
		}
	}
	return out
}

// halves splits a call into the request half of its interaction, what
// the call was asked, and the response half, its outcome; Load reads both
// into one Call.
func (c Call) halves() (asked, outcome Call) {
	asked = Call{Operation: c.Operation, Resource: c.Resource, Name: c.Name, FromPayload: c.FromPayload,
		Page: c.Page, PageSize: c.PageSize, Reset: c.Reset, StateBefore: c.StateBefore}
	outcome = Call{StateAfter: c.StateAfter, HasMore: c.HasMore, Items: c.Items, Error: c.Error, Interactions: c.Interactions}
	return asked, outcome
}

func jsonInteraction(url string, req, resp any) *vcr.Interaction {
	rb, _ := json.Marshal(req)
	i := &vcr.Interaction{
		Request: vcr.Request{Method: Method, URL: url, Body: string(rb), ContentLength: int64(len(rb)),
			Headers: http.Header{"Content-Type": {"application/json"}}},
		Response: vcr.Response{Code: http.StatusOK, Status: "200 OK", Headers: http.Header{"Content-Type": {"application/json"}}},
	}
	if resp != nil {
		b, _ := json.Marshal(resp)
		i.Response.Body, i.Response.ContentLength = string(b), int64(len(b))
	}
	return i
}

// save writes c to path whole, through a temporary file (mode 0600, as
// exports are: a cassette holds the provider's data) renamed over it and
// synced, so a crash leaves the old cassette or the new one.
func save(c *vcr.Cassette, path string) error {
	c.MarshalFunc = yaml.Marshal
	return c.SaveWithFS(atomicFS{})
}

type atomicFS struct{}

var _ vcr.FS = atomicFS{}

func (atomicFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
func (atomicFS) IsFileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func (atomicFS) WriteFile(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".cassette-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
