package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// changedBank serves a demo bank's API with its transactions' schema
// changed as a provider's new API version would: the field scheme
// renamed payment_scheme, and every fifth transaction in a new status
// on_hold.
func changedBank(t *testing.T, upstream string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var list map[string]any
		if json.Unmarshal(body, &list) == nil {
			if data, ok := list["data"].([]any); ok {
				for i, e := range data {
					if m, ok := e.(map[string]any); ok && m["object"] == "transaction" {
						m["payment_scheme"] = m["scheme"]
						delete(m, "scheme")
						if i%5 == 0 {
							m["status"] = "on_hold"
						}
					}
				}
				body, _ = json.Marshal(list)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDiffReportsExactlyTheSchemaChange(t *testing.T) {
	const secret = "sk_live_DRIFTsecret77"
	bank, url := startBank(t, demobank.Config{Seed: 11, Accounts: 2, PaymentsPerAccount: 40, ExternalAccounts: 2, APIKey: secret})
	p := demoPeer(t)
	dir := t.TempDir()
	old := filepath.Join(dir, "old.yaml")
	var s protocol.Session
	p.ok("session/create", map[string]any{"provider": "demo", "pageSize": 25, "record": old,
		"config": map[string]any{"endpoint": url, "apiKey": secret}}, &s)
	syncAndCollect(t, p, s.ID)
	p.ok("session/close", `{"sessionId":"`+s.ID+`"}`, nil)

	// The same bank again: no drift at all.
	var same protocol.RecordingDiffResult
	p.ok("recording/diff", map[string]any{"from": old, "config": map[string]any{"endpoint": url, "apiKey": secret}}, &same)
	if same.Drifted || len(same.Schema) != 0 || len(same.Data) != 0 || same.Calls == 0 || len(same.Endpoints) < 3 {
		t.Fatalf("diff against the unchanged bank: %+v", same)
	}

	live := filepath.Join(dir, "live.yaml")
	before := len(p.notifications("recording/drift"))
	var res protocol.RecordingDiffResult
	p.ok("recording/diff", map[string]any{"from": old, "save": live, "config": map[string]any{"endpoint": changedBank(t, url), "apiKey": secret}}, &res)
	type change struct{ Kind, Endpoint, Field, After string }
	var got []change
	for _, d := range res.Schema {
		after := ""
		if d.Kind == protocol.DriftEnumAdded {
			after = string(d.After)
		}
		got = append(got, change{d.Kind, d.Endpoint, d.Field, after})
	}
	const ep = "GET /v1/accounts/{id}/transactions"
	want := []change{
		{protocol.DriftFieldAdded, ep, "data[].payment_scheme", ""},
		{protocol.DriftFieldRemoved, ep, "data[].scheme", ""},
		{protocol.DriftEnumAdded, ep, "data[].status", `"on_hold"`},
	}
	sortChanges := func(cs []change) {
		sort.Slice(cs, func(i, j int) bool { return cs[i].Field+cs[i].Kind < cs[j].Field+cs[j].Kind })
	}
	sortChanges(got)
	sortChanges(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema drift (-want +got):\n%s", diff)
	}
	if !res.Drifted || res.Saved != live {
		t.Errorf("drifted %v, saved %q", res.Drifted, res.Saved)
	}
	// Data drift: payments only, every one with its raw scheme renamed,
	// every fifth with a new status.
	fields := map[string]int{}
	for _, d := range res.Data {
		if d.Resource != "payments" || d.Kind != protocol.DriftItemChanged {
			t.Fatalf("unexpected data drift %+v", d)
		}
		fields[d.Field]++
	}
	if fields["raw.scheme"] != 80 || fields["raw.payment_scheme"] != 80 || fields["raw.status"] != 16 {
		t.Errorf("data drift by field: %v", fields)
	}
	if n := len(p.notifications("recording/drift")) - before; n != len(res.Schema)+len(res.Data) {
		t.Errorf("%d recording/drift notifications for %d drifts", n, len(res.Schema)+len(res.Data))
	}
	// The saved live run is a baseline: compared later, offline, it shows
	// the same schema drift.
	bank.Close()
	var later protocol.RecordingDiffResult
	p.ok("recording/diff", map[string]any{"from": old, "against": live}, &later)
	if diff := cmp.Diff(res.Schema, later.Schema); diff != "" {
		t.Errorf("baseline comparison (-live +later):\n%s", diff)
	}
	all, _ := json.Marshal([]any{res, later, p.notifications("recording/drift")})
	if strings.Contains(string(all), secret) {
		t.Error("the secret is in a diff")
	}
}
