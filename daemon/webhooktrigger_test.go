package daemon_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// webhook/trigger has the demo bank make a change; every change sends its
// events: payout.settled is payment.created, balance.updated,
// payment.updated, balance.updated, each translated and stored (the
// payment ends SUCCEEDED, the balance is stored). With the out-of-order
// fault they arrive pairwise swapped; an unknown event is a coded error
// listing the known ones.
func TestWebhookTriggerEventsAndOutOfOrder(t *testing.T) {
	r := newWebhookRigEvents(t, nil)
	var res protocol.WebhookTriggerResult
	r.p.ok("webhook/trigger", map[string]any{"sessionId": r.sess.ID, "event": "payout.settled"}, &res)
	if res.Event != "payout.settled" || !strings.Contains(res.Detail, "po_") {
		t.Fatalf("trigger %+v", res)
	}
	kinds := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			d := r.received(t, i)
			if d.Status != 200 {
				t.Fatalf("delivery %d: %d %s %+v", i, d.Status, verdicts(d), d.Steps)
			}
			out = append(out, kindOf(t, d))
		}
		return out
	}
	if got := strings.Join(kinds(1, 4), " "); got != "payment:PENDING balance payment:SUCCEEDED balance" {
		t.Errorf("events in order: %s", got)
	}
	var pays protocol.DataListResult
	r.p.ok("data/list", map[string]any{"sessionId": r.sess.ID, "resource": "payments"}, &pays)
	if len(pays.Items) != 1 || !strings.Contains(string(pays.Items[0]), `"status":"SUCCEEDED"`) {
		t.Errorf("stored payments %s", pays.Items)
	}
	var bals protocol.DataListResult
	r.p.ok("data/list", map[string]any{"sessionId": r.sess.ID, "resource": "balances"}, &bals)
	if bals.Total == 0 {
		t.Errorf("no balance stored from balance.updated")
	}

	r.fault(func(f *demobank.Faults) { f.WebhookOutOfOrder = true })
	r.p.ok("webhook/trigger", map[string]any{"sessionId": r.sess.ID, "event": "payout.settled"}, &res)
	if got := strings.Join(kinds(5, 8), " "); got != "balance payment:PENDING balance payment:SUCCEEDED" {
		t.Errorf("events out of order: %s", got)
	}

	m := r.p.call("webhook/trigger", map[string]any{"sessionId": r.sess.ID, "event": "charge.refunded"})
	if m.Error == nil || m.Error.Code != protocol.CodeInvalidParams || !strings.Contains(string(m.Error.Data), "payout.settled") {
		t.Errorf("unknown event: %+v", m.Error)
	}
}

// The delay fault holds each delivery back: the trigger is answered
// before its first delivery arrives, which comes later all the same.
func TestWebhookDelayFault(t *testing.T) {
	r := newWebhookRigEvents(t, nil)
	r.fault(func(f *demobank.Faults) { f.WebhookDelay = 1500 * time.Millisecond })
	r.p.ok("webhook/trigger", map[string]any{"sessionId": r.sess.ID, "event": "payment.created"}, nil)
	if n := len(r.p.notifications(protocol.NotifyWebhookReceived)); n != 0 {
		t.Fatalf("%d deliveries arrived before the delay", n)
	}
	if d := r.received(t, 1); d.Status != 200 || kindOf(t, d) != "payment:PENDING" {
		t.Errorf("delayed delivery %d %s", d.Status, verdicts(d))
	}
}

// kindOf names what a delivery translated to: payment:STATUS or balance.
func kindOf(t *testing.T, d protocol.WebhookDelivery) string {
	t.Helper()
	if ps := d.Items[protocol.ResourcePayments]; len(ps) == 1 {
		var p protocol.Payment
		if err := json.Unmarshal(ps[0], &p); err != nil {
			t.Fatal(err)
		}
		return "payment:" + p.Status
	}
	if len(d.Items[protocol.ResourceBalances]) == 1 {
		return "balance"
	}
	return "other:" + d.Request.Body
}
