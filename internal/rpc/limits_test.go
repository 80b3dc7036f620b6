package rpc_test

import (
	"testing"

	"github.com/switchboardpay/switchboard/internal/rpc"
	"github.com/switchboardpay/switchboard/protocol"
)

// The runtime's limit is the protocol's, which the web console reads from
// the generated protocol.js: one limit at every end.
func TestLimitIsTheProtocols(t *testing.T) {
	if rpc.DefaultMaxMessageSize != protocol.MaxMessageSize {
		t.Fatalf("internal/rpc limit %d, protocol.MaxMessageSize %d", rpc.DefaultMaxMessageSize, protocol.MaxMessageSize)
	}
}
