package driver

import (
	"errors"
	"strings"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

// opCapabilities name the capability of each initiation operation; fetch
// operations are "fetch/<resource>".
var opCapabilities = map[string]string{
	protocol.MethodBankAccountCreate: protocol.CapCreateBankAccount,
	protocol.MethodTransferCreate:    protocol.CapCreateTransfer,
	protocol.MethodPayoutCreate:      protocol.CapCreatePayout,
	protocol.MethodTransferPoll:      protocol.CapPollTransfer,
	protocol.MethodPayoutPoll:        protocol.CapPollPayout,
	protocol.MethodTransferReverse:   protocol.CapReverseTransfer,
	protocol.MethodPayoutReverse:     protocol.CapReversePayout,
}

// OpCapability returns the capability an operation needs, or "".
func OpCapability(op string) string {
	if r, ok := strings.CutPrefix(op, "fetch/"); ok {
		return protocol.FetchCapability(r)
	}
	return opCapabilities[op]
}

// notImplemented turns a connector's ErrNotImplemented into the coded
// capability error, or returns nil for any other error.
func notImplemented(provider, op string, err error) *protocol.Error {
	if !errors.Is(err, connector.ErrNotImplemented) {
		return nil
	}
	if c := OpCapability(op); c != "" {
		return protocol.CapabilityNotImplemented(provider, c)
	}
	return nil
}

// IsNotImplemented reports whether err is the capability error of a
// method that answered "not implemented", and names the capability.
func IsNotImplemented(err error) (capability string, ok bool) {
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeCapabilityUnsupported {
		return "", false
	}
	d, isData := pe.Data.(protocol.CapabilityData)
	if !isData || !d.NotImplemented {
		return "", false
	}
	return d.Capability, true
}
