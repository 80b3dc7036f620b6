package remote_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/switchboardpay/switchboard/protocol"
)

// Formance's model through the child-process protocol, from a connector in
// Node.js: bootstrap accounts, conversions, payments with parents and the
// last page's deletions and cancellations applied to the store, orders
// answering -32022 (reported as absent), Uninstall at session/close.
func TestNodeConnectorCarriesFormanceModel(t *testing.T) {
	c := nodeDaemon(t)
	marker := filepath.Join(t.TempDir(), "uninstalled")
	cfg, _ := json.Marshal(map[string]any{"count": 9, "uninstallFile": marker})
	var s protocol.Session
	c.must(t, protocol.MethodSessionCreate, protocol.SessionCreateParams{Provider: "nodebank", Config: cfg}, &s)

	var sync protocol.SyncRunResult
	c.must(t, protocol.MethodSyncRun, protocol.SyncRunParams{SessionID: s.ID}, &sync)
	byPath := map[string]protocol.TaskRun{}
	for _, r := range sync.Tasks {
		byPath[r.Path] = r
	}
	if sync.Tasks[0].Path != "bootstrap:accounts" || sync.Tasks[0].Items != 3 || sync.Tasks[0].Error != "" {
		t.Errorf("first task %+v, want the bootstrap of 3 accounts", sync.Tasks[0])
	}
	if r := byPath["conversions"]; r.Items != 2 || r.Error != "" {
		t.Errorf("conversions task %+v", r)
	}
	if r := byPath["orders"]; r.Error == "" {
		t.Errorf("orders task %+v: the stub's not implemented is not reported", r)
	}
	var list protocol.DataListResult
	c.must(t, protocol.MethodDataList, protocol.DataListParams{SessionID: s.ID, Resource: protocol.ResourcePayments, Limit: 100}, &list)
	pays := map[string]protocol.Payment{}
	for _, raw := range list.Items {
		var p protocol.Payment
		json.Unmarshal(raw, &p)
		pays[p.Reference] = p
	}
	if _, ok := pays["pay-2"]; ok || list.Total != 8 {
		t.Errorf("%d payments stored (pay-2 deleted: %v), want 8", list.Total, !ok)
	}
	if pays["pay-4"].Status != protocol.PaymentStatusCancelled || pays["pay-3"].ParentReference != "pay-2" {
		t.Errorf("pay-4 %q, pay-3's parent %q", pays["pay-4"].Status, pays["pay-3"].ParentReference)
	}
	c.must(t, protocol.MethodDataList, protocol.DataListParams{SessionID: s.ID, Resource: protocol.ResourceConversions}, &list)
	if list.Total != 2 {
		t.Errorf("%d conversions stored", list.Total)
	}
	var got protocol.SessionDetail
	c.must(t, protocol.MethodSessionGet, protocol.SessionParams{SessionID: s.ID}, &got)
	if slices.Contains(got.Session.Capabilities, protocol.CapFetchOrders) {
		t.Errorf("orders still advertised after answering not implemented: %v", got.Session.Capabilities)
	}
	var res protocol.InitiationResult
	c.must(t, protocol.MethodPayoutCreate, protocol.InitiationParams{SessionID: s.ID, Initiation: protocol.Initiation{
		Reference: "po-1", Amount: "100", Asset: "EUR/2", DestinationAccountReference: "acc-1"}}, &res)
	if res.Payment == nil || res.Payment.Reference != "po-1" {
		t.Errorf("payout %+v", res)
	}
	c.must(t, protocol.MethodSessionClose, protocol.SessionParams{SessionID: s.ID}, nil)
	if b, err := os.ReadFile(marker); err != nil || string(b) != "uninstalled by node\n" {
		t.Errorf("connector/uninstall not called at session/close: %q %v", b, err)
	}
}
