package cassette

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	vcr "gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/switchboardpay/switchboard/connector/redact"
	"github.com/switchboardpay/switchboard/protocol"
)

// Player answers a connector's requests from a tape, with no network. A
// request is redacted as the recording was, then matched: strictly on the
// method, the URL's path and query and the body (the host is not compared,
// so a bank that listened on another port replays), or leniently on the
// method and path alone. Among matching interactions the first not yet
// replayed answers; when all have been, the last one answers again (a
// conformance check asks the same page more than once).
//
// An unmatched request fails with a CodeReplayMiss error naming it and the
// nearest recorded request; Misses lists them all.
type Player struct {
	tape    *Tape
	red     *redact.Redactor
	lenient bool

	mu     sync.Mutex
	index  map[string][]int // match key -> positions in tape.HTTP; immutable after NewPlayer
	next   map[string]int   // match key -> next position to answer; guarded by mu
	misses []protocol.ReplayMissData
}

var _ http.RoundTripper = (*Player)(nil)

// NewPlayer returns a player of t for a session with the secret config
// values secrets.
func NewPlayer(t *Tape, secrets []string, lenient bool) *Player {
	p := &Player{tape: t, red: redact.NewRedactor(secrets), lenient: lenient, index: map[string][]int{}, next: map[string]int{}}
	for pos, i := range t.HTTP {
		k := p.key(i.Request.Method, i.Request.URL, i.Request.Body)
		p.index[k] = append(p.index[k], pos)
	}
	return p
}

// key is what a request is matched on.
func (p *Player) key(method, rawURL, body string) string {
	path, query := splitURL(rawURL)
	if p.lenient {
		return method + " " + path
	}
	return method + " " + path + "?" + query + "\n" + body
}

// splitURL returns a URL's path and its query in canonical order (the
// recording's redactor re-encodes queries, sorted).
func splitURL(raw string) (path, query string) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, ""
	}
	return u.EscapedPath(), u.Query().Encode()
}

// RoundTrip implements http.RoundTripper.
func (p *Player) RoundTrip(req *http.Request) (*http.Response, error) {
	var body string
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = string(b)
	}
	rawURL := p.red.URL(req.URL.String())
	body = p.red.Body(req.Header.Get("Content-Type"), body)
	k := p.key(req.Method, rawURL, body)
	p.mu.Lock()
	positions := p.index[k]
	if len(positions) == 0 {
		miss := p.nearest(req.Method, rawURL, body)
		p.misses = append(p.misses, miss)
		p.mu.Unlock()
		return nil, &protocol.Error{Code: protocol.CodeReplayMiss, Data: miss,
			Message: fmt.Sprintf("replay: %s is not in cassette %s%s", miss.Request, p.tape.Path, nearestText(miss))}
	}
	n := p.next[k]
	if n < len(positions)-1 {
		p.next[k] = n + 1
	}
	i := p.tape.HTTP[positions[n]]
	p.mu.Unlock()
	return response(i, req)
}

func nearestText(m protocol.ReplayMissData) string {
	if m.Nearest == "" {
		return " (it holds no request of that method)"
	}
	return fmt.Sprintf("; nearest recorded: %s (%s)", m.Nearest, strings.Join(m.Differences, "; "))
}

func response(i *vcr.Interaction, req *http.Request) (*http.Response, error) {
	if i.Response.Code == 0 {
		return nil, fmt.Errorf("replayed transport error: %s", i.Response.Headers.Get(ErrorHeader))
	}
	h := i.Response.Headers.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{
		Status: i.Response.Status, StatusCode: i.Response.Code,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, ContentLength: int64(len(i.Response.Body)),
		Body: io.NopCloser(strings.NewReader(i.Response.Body)), Request: req,
	}, nil
}

// Misses returns every request that found no match, in order.
func (p *Player) Misses() []protocol.ReplayMissData {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]protocol.ReplayMissData(nil), p.misses...)
}

// nearest finds the recorded request of the same method that differs
// least: same path first, then fewest differing query parameters, then
// the same body.
func (p *Player) nearest(method, rawURL, body string) protocol.ReplayMissData {
	miss := protocol.ReplayMissData{Cassette: p.tape.Path, Request: method + " " + rawURL}
	path, _ := splitURL(rawURL)
	q := query(rawURL)
	best, bestScore := -1, 0
	var bestDiffs []string
	for pos, i := range p.tape.HTTP {
		if i.Request.Method != method {
			continue
		}
		rpath, _ := splitURL(i.Request.URL)
		var diffs []string
		score := 0
		if rpath != path {
			diffs = append(diffs, fmt.Sprintf("path %s, recorded %s", path, rpath))
			score += 1000
		}
		qd := queryDiffs(q, query(i.Request.URL))
		diffs = append(diffs, qd...)
		score += 10 * len(qd)
		if i.Request.Body != body {
			diffs = append(diffs, "body differs: "+bodyDiff(body, i.Request.Body))
			score++
		}
		if best < 0 || score < bestScore {
			best, bestScore, bestDiffs = pos, score, diffs
		}
	}
	if best >= 0 {
		miss.Nearest = method + " " + p.tape.HTTP[best].Request.URL
		miss.Differences = bestDiffs
	}
	return miss
}

func query(raw string) url.Values {
	u, err := url.Parse(raw)
	if err != nil {
		return url.Values{}
	}
	return u.Query()
}

// queryDiffs names each parameter whose values differ, in name order.
func queryDiffs(got, rec url.Values) []string {
	names := map[string]bool{}
	for k := range got {
		names[k] = true
	}
	for k := range rec {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		g, r := strings.Join(got[k], ","), strings.Join(rec[k], ",")
		switch {
		case g == r:
		case !rec.Has(k):
			out = append(out, fmt.Sprintf("query %s=%s, not recorded", k, g))
		case !got.Has(k):
			out = append(out, fmt.Sprintf("query %s missing, recorded %s", k, r))
		default:
			out = append(out, fmt.Sprintf("query %s=%s, recorded %s", k, g, r))
		}
	}
	return out
}

// bodyDiff shows where two bodies part, briefly.
func bodyDiff(got, rec string) string {
	n := 0
	for n < len(got) && n < len(rec) && got[n] == rec[n] {
		n++
	}
	cut := func(s string) string {
		s = s[n:]
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return strconv.Quote(s)
	}
	return fmt.Sprintf("at byte %d: %s, recorded %s", n, cut(got), cut(rec))
}
