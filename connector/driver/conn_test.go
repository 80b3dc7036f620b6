package driver

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

type inProcess struct{}

func (inProcess) FetchPayments(context.Context, connector.FetchRequest) (connector.Page[connector.Payment], error) {
	return connector.Page[connector.Payment]{}, nil
}
func (inProcess) Install(context.Context) ([]connector.Task, error) { return nil, nil }

// proxy implements every interface it needs to forward, and declares
// which ones the connector behind it has.
type proxy struct {
	inProcess
	connector.TransferCreator
	caps     []string
	installs bool
}

func (p proxy) Capabilities() []string { return p.caps }
func (p proxy) Installs() bool         { return p.installs }

var _ Declarer = proxy{}

func TestOpenResolvesCapabilitiesOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		c         connector.Connector
		want      []string
		installer bool
	}{
		{"in process", inProcess{}, []string{protocol.CapFetchPayments}, true},
		{"declared subset", proxy{caps: []string{protocol.CapCreateTransfer}}, []string{protocol.CapCreateTransfer}, false},
		{"declared but not implemented", proxy{caps: []string{protocol.CapFetchOrders, protocol.CapFetchPayments}, installs: true}, []string{protocol.CapFetchPayments}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Open(tc.c, Opts{})
			if diff := cmp.Diff(tc.want, d.Capabilities()); diff != "" {
				t.Errorf("capabilities (-want +got):\n%s", diff)
			}
			if (d.Installer != nil) != tc.installer {
				t.Errorf("installer %v, want %v", d.Installer != nil, tc.installer)
			}
			if (d.Payments != nil) != d.Has(protocol.CapFetchPayments) || (d.Transfers != nil) != d.Has(protocol.CapCreateTransfer) || d.Orders != nil {
				t.Errorf("fields disagree with capabilities %v", d.Capabilities())
			}
		})
	}
}

// A capability the connector lacks is a coded error from Fetch, not a
// call.
func TestFetchUnsupportedIsCoded(t *testing.T) {
	_, err := Fetch(context.Background(), Open(proxy{caps: []string{}}, Opts{Provider: "p"}), protocol.ResourcePayments, connector.FetchRequest{PageSize: 1})
	pe, ok := err.(*protocol.Error)
	if !ok || pe.Code != protocol.CodeCapabilityUnsupported {
		t.Fatalf("err %v, want capability unsupported", err)
	}
}
