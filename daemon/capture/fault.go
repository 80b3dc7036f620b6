package capture

import (
	"context"
	"sync"

	"github.com/switchboardpay/switchboard/protocol"
)

// faultSlot is where a layer under the Transport (daemon/faults) marks the
// exchange in progress as altered by a fault, so that the recorded exchange
// says so.
type faultSlot struct {
	mu sync.Mutex
	f  *protocol.InjectedFault
}

// faultKey stays a context value: the fault transport (an
// http.RoundTripper) marks the fault on the request it got, and the
// capture transport reads it from the same request.
type faultKey struct{}

func withFaultSlot(ctx context.Context) (context.Context, *faultSlot) {
	s := &faultSlot{}
	return context.WithValue(ctx, faultKey{}, s), s
}

// MarkFault marks the exchange of the request whose context is ctx as
// altered by f. It reports false when no Transport records that request.
func MarkFault(ctx context.Context, f protocol.InjectedFault) bool {
	s, _ := ctx.Value(faultKey{}).(*faultSlot)
	if s == nil {
		return false
	}
	s.mu.Lock()
	s.f = &f
	s.mu.Unlock()
	return true
}

func (s *faultSlot) get() *protocol.InjectedFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}
