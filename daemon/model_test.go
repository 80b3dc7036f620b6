package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// formancePeer opens a daemon with the Formance-model test connector over
// real pipes or a real websocket.
func formancePeers() []struct {
	name string
	open func(t *testing.T) *peer
} {
	mk := func() *daemon.Daemon {
		return daemon.New(daemon.Options{Registry: testconnector.Registry(testconnector.FormanceProvider()), Logger: quietLogger()})
	}
	return []struct {
		name string
		open func(t *testing.T) *peer
	}{
		{"stdio", func(t *testing.T) *peer {
			d := mk()
			t.Cleanup(func() { d.Close() })
			w, _ := inProcessStdio(t, d)
			return newPeer(t, w)
		}},
		{"websocket", func(t *testing.T) *peer {
			d := mk()
			t.Cleanup(func() { d.Close() })
			return newPeer(t, dialWS(t, startWS(t, d)))
		}},
	}
}

func listItems[T any](t *testing.T, p *peer, session, resource string) ([]T, int) {
	t.Helper()
	var res protocol.DataListResult
	p.ok(protocol.MethodDataList, map[string]any{"sessionId": session, "resource": resource, "limit": 1000}, &res)
	out := make([]T, len(res.Items))
	for i, raw := range res.Items {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out, res.Total
}

// The whole Formance model through the daemon: a sync bootstraps accounts
// first, stores conversions and payments with their parents, applies the
// payments page's deletions and cancellations to the stored payments,
// reports a capability that answered "not implemented" as absent, and
// session/close calls Uninstall.
func TestFormanceModelThroughTheDaemon(t *testing.T) {
	for _, tr := range formancePeers() {
		t.Run(tr.name, func(t *testing.T) {
			p := tr.open(t)
			p.initialize()
			marker := filepath.Join(t.TempDir(), "uninstalled")
			var s protocol.Session
			p.ok(protocol.MethodSessionCreate, map[string]any{"provider": testconnector.FormanceName, "config": map[string]any{
				"payments": 10, "delete": []string{"pay_2"}, "cancel": []string{"pay_4", "pay_9"}, "uninstallFile": marker, "bootstrap": []string{"accounts"},
			}}, &s)
			for _, c := range []string{protocol.CapFetchOrders, protocol.CapFetchConversions, protocol.CapFetchPayments} {
				if !slices.Contains(s.Capabilities, c) {
					t.Errorf("capabilities %v lack %s", s.Capabilities, c)
				}
			}
			var sync protocol.SyncRunResult
			p.ok(protocol.MethodSyncRun, map[string]any{"sessionId": s.ID}, &sync)
			var paths []string
			for _, r := range sync.Tasks {
				paths = append(paths, r.Path)
				if r.Error != "" {
					t.Errorf("task %s: %s", r.Path, r.Error)
				}
			}
			if want := []string{"bootstrap:accounts", "payments", "conversions"}; !slices.Equal(paths, want) {
				t.Errorf("sync ran %v, want %v", paths, want)
			}
			if _, n := listItems[protocol.Account](t, p, s.ID, protocol.ResourceAccounts); n != 2 {
				t.Errorf("%d accounts stored by the bootstrap, want 2", n)
			}
			convs, n := listItems[protocol.Conversion](t, p, s.ID, protocol.ResourceConversions)
			if n != 3 || convs[0].SourceAmount != "100" || convs[0].DestinationAsset != "USDC/6" {
				t.Errorf("conversions %+v (total %d)", convs, n)
			}
			pays, n := listItems[protocol.Payment](t, p, s.ID, protocol.ResourcePayments)
			byRef := map[string]protocol.Payment{}
			for _, pay := range pays {
				byRef[pay.Reference] = pay
			}
			if n != 9 || len(byRef) != 9 {
				t.Errorf("%d payments stored, want 10 less the deleted pay_2", n)
			}
			if _, ok := byRef["pay_2"]; ok {
				t.Error("pay_2 was deleted by the page and is still stored")
			}
			if byRef["pay_4"].Status != protocol.PaymentStatusCancelled || byRef["pay_9"].Status != protocol.PaymentStatusCancelled {
				t.Errorf("cancelled payments stored as %q and %q", byRef["pay_4"].Status, byRef["pay_9"].Status)
			}
			if byRef["pay_3"].ParentReference != "pay_2" || byRef["pay_0"].ParentReference != "" {
				t.Errorf("parent references %q, %q", byRef["pay_3"].ParentReference, byRef["pay_0"].ParentReference)
			}
			// The page that deleted and cancelled says so.
			var last protocol.FetchPageParams
			for _, m := range p.notifications(protocol.NotifyFetchPage) {
				var fp protocol.FetchPageParams
				json.Unmarshal(m.Params, &fp)
				if fp.Page.Resource == protocol.ResourcePayments && !fp.Page.HasMore {
					last = fp
				}
			}
			if !slices.Equal(last.Page.Deleted, []string{"pay_2"}) || !slices.Equal(last.Page.Cancelled, []string{"pay_4", "pay_9"}) {
				t.Errorf("last payments page: deleted %v cancelled %v", last.Page.Deleted, last.Page.Cancelled)
			}

			// Orders are a stub answering "not implemented": a coded
			// capability error, and the capability is gone after it.
			m := p.call(protocol.MethodFetchNext, map[string]any{"sessionId": s.ID, "resource": protocol.ResourceOrders})
			if errCode(t, m) != protocol.CodeCapabilityUnsupported {
				t.Fatalf("orders stub answered %+v", m.Error)
			}
			var data protocol.CapabilityData
			json.Unmarshal(m.Error.Data, &data)
			if !data.NotImplemented || data.Capability != protocol.CapFetchOrders {
				t.Errorf("error data %s", m.Error.Data)
			}
			var got protocol.SessionDetail
			p.ok(protocol.MethodSessionGet, map[string]any{"sessionId": s.ID}, &got)
			if slices.Contains(got.Session.Capabilities, protocol.CapFetchOrders) || !slices.Contains(got.Session.Capabilities, protocol.CapFetchConversions) {
				t.Errorf("capabilities after the stub answered: %v", got.Session.Capabilities)
			}

			// The check says so, as a warning, and passes.
			var check protocol.ConnectorCheckResult
			p.ok(protocol.MethodConnectorCheck, map[string]any{"sessionId": s.ID, "resources": []string{"orders", "conversions"}}, &check)
			if !check.Passed || len(check.Resources) != 2 {
				t.Fatalf("check %+v", check)
			}
			if f := check.Resources[0].Findings; len(f) != 1 || f[0].Check != protocol.CheckNotImplemented || !f[0].Warning || !strings.Contains(f[0].Message, "reported as absent") {
				t.Errorf("orders findings %+v", f)
			}
			if f := check.Resources[1].Findings; len(f) != 0 {
				t.Errorf("conversions findings %+v", f)
			}

			if _, err := os.Stat(marker); err == nil {
				t.Fatal("Uninstall ran before session/close")
			}
			p.ok(protocol.MethodSessionClose, map[string]any{"sessionId": s.ID}, nil)
			if b, err := os.ReadFile(marker); err != nil || string(b) != "uninstalled\n" {
				t.Errorf("Uninstall not called at session/close: %q %v", b, err)
			}
		})
	}
}

// payout/create waits for the connector's throttle: five payouts at 20
// per second take at least four intervals (200 ms), whatever the machine.
func TestPayoutThrottleSpacesPayouts(t *testing.T) {
	p := formancePeers()[0].open(t)
	p.initialize()
	var s protocol.Session
	p.ok(protocol.MethodSessionCreate, map[string]any{"provider": testconnector.FormanceName, "config": map[string]any{"payoutsPerSecond": 20}}, &s)
	start := time.Now()
	for i := range 5 {
		var res protocol.InitiationResult
		p.ok(protocol.MethodPayoutCreate, map[string]any{"sessionId": s.ID, "initiation": map[string]any{
			"reference": "po_" + string(rune('a'+i)), "amount": "100", "asset": "EUR/2", "destinationAccountReference": "acc_0"}}, &res)
		if res.Payment == nil || res.Payment.Status != protocol.PaymentStatusSucceeded {
			t.Fatalf("payout %d: %+v", i, res)
		}
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("5 payouts at 20/s took %s: the throttle is not honoured", d)
	}
}
