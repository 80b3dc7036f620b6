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
	return r.AppendJSON(make([]byte, 0, len(r.p.Items)+len(r.p.NewState)+256)), nil
}

// AppendJSON implements rawResult.
func (r pageResult) AppendJSON(buf []byte) []byte { return bus.AppendPage(buf, r.p, true) }

// rawResult is a result that encodes itself; reply writes its response
// frame by hand instead of letting jsonrpc2 validate and compact it again.
type rawResult interface {
	AppendJSON(buf []byte) []byte
}
