package driver

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/connector/wire"
	"github.com/switchboardpay/switchboard/protocol"
)

// sdkPayments is an in-process connector serving fixed payments.
type sdkPayments struct {
	page connector.Page[connector.Payment]
}

func (s sdkPayments) FetchPayments(context.Context, connector.FetchRequest) (connector.Page[connector.Payment], error) {
	return s.page, nil
}

// wirePayments serves the same page as a child process would: wire JSON
// as connector/serve encodes it.
type wirePayments struct{ res connrpc.FetchResult }

func (w wirePayments) FetchPayments(context.Context, connector.FetchRequest) (connector.Page[connector.Payment], error) {
	panic("the wire path must not convert through the SDK")
}
func (w wirePayments) Capabilities() []string { return []string{protocol.CapFetchPayments} }
func (w wirePayments) FetchWire(context.Context, string, connector.FetchRequest) (connrpc.FetchResult, error) {
	return w.res, nil
}

// The wire path (a remote connector's page decoded once) stores and sends
// exactly what the SDK path does for the same items.
func TestWirePathMatchesSDKPath(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))
	page := connector.Page[connector.Payment]{NewState: json.RawMessage(`{"c":1}`), HasMore: true, PaymentsToDelete: []string{"old"},
		Items: []connector.Payment{
			{Reference: "p1", CreatedAt: ts, Type: connector.PaymentTypePayIn, Amount: big.NewInt(123), Asset: "EUR/2", Scheme: "sepa",
				Status: connector.PaymentStatusSucceeded, DestinationAccountReference: "a", Metadata: map[string]string{"k": "<v>"}, Raw: json.RawMessage(`{ "id": 1 }`)},
			{ParentReference: "p1", Reference: "p2", CreatedAt: ts, Amount: new(big.Int).Lsh(big.NewInt(1), 100), InitialAmount: big.NewInt(-5), Asset: "JPY/0"},
		}}
	wired := make([]protocol.Payment, len(page.Items))
	for i, p := range page.Items {
		wired[i] = wire.PaymentToWire(p)
	}
	items, _ := json.Marshal(wired)
	res := connrpc.FetchResult{Items: items, NewState: page.NewState, HasMore: true, PaymentsToDelete: []string{"old"}}

	ctx := context.Background()
	want, err := Fetch(ctx, Open(sdkPayments{page}, Opts{Provider: "p"}), protocol.ResourcePayments, connector.FetchRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Fetch(ctx, Open(wirePayments{res}, Opts{Provider: "p"}), protocol.ResourcePayments, connector.FetchRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	opt := cmp.Comparer(func(a, b json.RawMessage) bool { return string(a) == string(b) })
	if diff := cmp.Diff(want, got, opt, cmp.AllowUnexported(Result{}), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Duration" || p.Last().String() == ".started"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("wire path differs from the SDK path (-sdk +wire):\n%s", diff)
	}

	bad := res
	bad.Items = json.RawMessage(`[{"reference":"x","amount":"12.5","asset":"EUR/2"}]`)
	if _, err := Fetch(ctx, Open(wirePayments{bad}, Opts{Provider: "p"}), protocol.ResourcePayments, connector.FetchRequest{PageSize: 2}); err == nil {
		t.Error("a fractional amount from a child process was accepted")
	}
}
