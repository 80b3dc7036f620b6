package workspace_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// BenchmarkSaveToNextPage measures, for the scaffolded connector, the time
// from a file write in the watched directory to a fetch/next served by the
// rebuilt process, median over 10 edits; and next to it a plain go build
// of the same module after the same kind of edit. Run with -benchtime=1x.
func BenchmarkSaveToNextPage(b *testing.B) {
	const edits = 10
	dir := copyModule(b)
	bank := startBank(b, demobank.Config{Seed: 3, Accounts: 2, PaymentsPerAccount: 10})
	d := newDaemon(b)
	c := serve(b, d)
	var added protocol.WorkspaceConnector
	c.must(b, protocol.MethodConnectorsAdd, protocol.ConnectorsAddParams{Dir: dir}, &added)
	var s protocol.Session
	c.must(b, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "acme",
		Config: json.RawMessage(fmt.Sprintf(`{"apiKey":%q,"baseUrl":%q}`, bank.APIKey(), bank.URL()))}, &s)
	path := filepath.Join(dir, "connector.go")
	prev := metaLine
	var reload, build, inDaemon []time.Duration
	bin := filepath.Join(b.TempDir(), "connector")
	hdir := copyModule(b)
	hpath, hprev := filepath.Join(hdir, "connector.go"), metaLine
	for i := 0; i < b.N; i++ {
		for e := 1; e <= edits; e++ {
			line := fmt.Sprintf(`Metadata: map[string]string{"direction": t.Direction, "edit": "%d-%d"}`, i, e)
			want := fmt.Sprintf(`"edit":"%d-%d"`, i, e)
			start := time.Now()
			edit(b, path, prev, line)
			prev = line
			for {
				var page protocol.Page
				err := c.peer.Call(b.Context(), protocol.MethodFetchNext, protocol.FetchNextParams{SessionID: s.ID, Resource: "payments", PageSize: 1, Reset: true}, &page)
				if err == nil && strings.Contains(string(page.Items), want) {
					break
				}
				if time.Since(start) > 2*time.Minute {
					b.Fatalf("edit %d never served", e)
				}
				time.Sleep(5 * time.Millisecond)
			}
			reload = append(reload, time.Since(start))
			var list protocol.ConnectorsListResult
			c.must(b, protocol.MethodConnectorsList, protocol.ConnectorsListParams{}, &list)
			inDaemon = append(inDaemon, time.Duration(list.Connectors[0].LastBuild.DurationMs*float64(time.Millisecond)))

			// The same edit in an unwatched copy of the module, built by
			// hand, interleaved so that both see the same machine load.
			hline := fmt.Sprintf(`Metadata: map[string]string{"direction": t.Direction, "edit": "hand-%d-%d"}`, i, e)
			edit(b, hpath, hprev, hline)
			hprev = hline
			start = time.Now()
			cmd := exec.Command("go", "build", "-o", bin, ".")
			cmd.Dir = hdir
			cmd.Env = os.Environ()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("go build: %v %s", err, out)
			}
			build = append(build, time.Since(start))
		}
	}
	b.ReportMetric(float64(median(inDaemon).Milliseconds()), "daemon-build+handshake-ms")
	mr, mb := median(reload), median(build)
	b.ReportMetric(float64(mr.Milliseconds()), "save-to-page-ms")
	b.ReportMetric(float64(mb.Milliseconds()), "go-build-ms")
	b.ReportMetric(float64((mr - mb).Milliseconds()), "daemon-share-ms")
	b.Logf("save-to-next-page median %v (all %v); go build median %v (all %v); the daemon's build+handshake median %v", mr, reload, mb, build, median(inDaemon))
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
