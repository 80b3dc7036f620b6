package daemon_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestLoad drives 200 websocket clients over 100 sessions with mixed
// calls for a fixed time (SWITCHBOARD_LOAD_SECONDS, default 8) on
// loopback, and reports latency percentiles. Every call must succeed, and
// every subscriber that keeps up must see every page of its session.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	seconds := 8
	if v, err := strconv.Atoi(os.Getenv("SWITCHBOARD_LOAD_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	const clients, sessions = 200, 100
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger()})
	defer d.Close()
	srv := startWS(t, d)

	setup := newPeer(t, dialWS(t, srv))
	setup.initialize()
	ids := make([]string, sessions)
	for i := range ids {
		ids[i] = createTest(t, setup, `{"payments":5000}`).ID
	}
	peers := make([]*peer, clients)
	for i := range peers {
		peers[i] = newPeer(t, dialWS(t, srv))
		peers[i].ok("initialize", `{"capabilities":{"pageItems":false}}`, nil)
		peers[i].ok("session/subscribe", `{"sessionId":"`+ids[i%sessions]+`"}`, nil)
	}

	type sample struct {
		method string
		d      time.Duration
	}
	var (
		mu       sync.Mutex
		samples  []sample
		failures []string
		pages    = map[string]int{} // pages fetched per session
	)
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func(i int, p *peer) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			sid := ids[i%sessions]
			// Each client pages its own key (name), so no call is busy.
			name := "c" + strconv.Itoa(i)
			for n := 0; time.Now().Before(deadline); n++ {
				var method, params string
				switch r := rng.IntN(10); {
				case r < 5:
					method, params = "fetch/next", `{"sessionId":"`+sid+`","resource":"payments","name":"`+name+`","pageSize":50}`
				case r < 7:
					method, params = "fetch/all", `{"sessionId":"`+sid+`","resource":"payments","name":"`+name+`","pageSize":100,"maxPages":5}`
				case r < 8:
					method, params = "session/get", `{"sessionId":"`+sid+`"}`
				case r < 9:
					method, params = "state/get", `{"sessionId":"`+sid+`"}`
				default:
					method, params = "session/list", `{}`
				}
				start := time.Now()
				m := p.call(method, params)
				el := time.Since(start)
				mu.Lock()
				samples = append(samples, sample{method, el})
				if m.Error != nil {
					failures = append(failures, fmt.Sprintf("%s: %d %s", method, m.Error.Code, m.Error.Message))
				} else {
					switch method {
					case "fetch/next":
						pages[sid]++
					case "fetch/all":
						var res protocol.FetchAllResult
						json.Unmarshal(m.Result, &res)
						pages[sid] += res.Pages
					}
				}
				mu.Unlock()
			}
		}(i, p)
	}
	wg.Wait()

	for _, f := range failures[:min(len(failures), 10)] {
		t.Errorf("unexpected error: %s", f)
	}
	// Every subscriber got every page of its session (both clients of a
	// session subscribe to it, and neither falls behind at this rate).
	for i, p := range peers {
		sid := ids[i%sessions]
		waitFor(t, func() bool { return len(p.notifications("fetch/page")) >= pages[sid] })
		if got := len(p.notifications("fetch/page")); got != pages[sid] {
			t.Errorf("client %d got %d of %d pages", i, got, pages[sid])
		}
		if n := len(p.notifications("session/changed")); n != 0 {
			t.Errorf("client %d was dropped", i)
		}
	}
	byMethod := map[string][]time.Duration{}
	for _, s := range samples {
		byMethod[s.method] = append(byMethod[s.method], s.d)
		byMethod["all"] = append(byMethod["all"], s.d)
	}
	methods := make([]string, 0, len(byMethod))
	for m := range byMethod {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	t.Logf("%d clients, %d sessions, %ds: %d calls (%.0f/s), %d errors", clients, sessions, seconds, len(samples), float64(len(samples))/float64(seconds), len(failures))
	for _, m := range methods {
		ds := byMethod[m]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		t.Logf("  %-13s n=%-6d p50=%-10v p99=%-10v max=%v", m, len(ds), ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*99/100].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
	}
}
