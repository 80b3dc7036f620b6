package dispatch

import (
	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/protocol"
)

// pageResult encodes a page by hand, as the bus does for notifications:
// its items are already-encoded JSON that encoding/json would otherwise
// re-scan.
type pageResult struct{ p *protocol.Page }

func (r pageResult) MarshalJSON() ([]byte, error) {
	return bus.AppendPage(make([]byte, 0, len(r.p.Items)+len(r.p.NewState)+256), r.p, true), nil
}
