package stripe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestRecordThenReplayStripeOffline records a Stripe sync against
// stripe-mock into a cassette and replays it with the endpoint pointing
// at a closed port: the same items and states come back, and the key is
// nowhere in the cassette.
func TestRecordThenReplayStripeOffline(t *testing.T) {
	url := stripeMockURL(t)
	items := map[string]map[string][]string{} // session -> resource -> items
	c, ctx := throughDaemon(t, client.WithNotificationHandler(func(method string, params json.RawMessage) {
		if method != protocol.NotifyFetchPage {
			return
		}
		var fp protocol.FetchPageParams
		if json.Unmarshal(params, &fp) != nil {
			return
		}
		var list []json.RawMessage
		_ = json.Unmarshal(fp.Page.Items, &list)
		if items[fp.SessionID] == nil {
			items[fp.SessionID] = map[string][]string{}
		}
		for _, it := range list {
			items[fp.SessionID][fp.Page.Resource] = append(items[fp.SessionID][fp.Page.Resource], string(it))
		}
	}))
	const key = "sk_test_recordSecret456"
	path := filepath.Join(t.TempDir(), "stripe.yaml")
	cfg, _ := json.Marshal(map[string]string{"apiKey": key, "endpoint": url})
	run := func(params protocol.SessionCreateParams) (string, []protocol.StateEntry) {
		t.Helper()
		s, err := c.CreateSession(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.SyncRun(ctx, protocol.SyncRunParams{SessionID: s.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Tasks {
			if tr.Error != "" {
				t.Fatalf("task %s: %s", tr.Path, tr.Error)
			}
		}
		st, err := c.GetState(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseSession(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		for _, v := range items[s.ID] {
			sort.Strings(v)
		}
		return s.ID, st.States
	}
	liveID, liveStates := run(protocol.SessionCreateParams{Provider: ProviderName, Config: cfg, Record: path})
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), key) {
		t.Fatal("the API key is in the cassette")
	}
	if len(items[liveID]["payments"]) == 0 || len(items[liveID]["accounts"]) == 0 {
		t.Fatalf("live sync items %v", items[liveID])
	}
	// Nothing listens at port 1 of loopback: any request that got past
	// the cassette would fail.
	offline, _ := json.Marshal(map[string]string{"apiKey": key, "endpoint": "http://127.0.0.1:1"})
	replayID, replayStates := run(protocol.SessionCreateParams{Replay: path, Config: offline})
	opts := cmpopts.IgnoreFields(protocol.StateEntry{}, "UpdatedAt")
	if diff := cmp.Diff(liveStates, replayStates, opts); diff != "" {
		t.Errorf("states (-live +replay):\n%s", diff)
	}
	if diff := cmp.Diff(items[liveID], items[replayID]); diff != "" {
		t.Errorf("items (-live +replay):\n%s", diff)
	}
}
