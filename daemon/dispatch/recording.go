package dispatch

import (
	"context"

	"github.com/switchboardpay/switchboard/protocol"
)

// sessionRecord answers session/record.
func (s *Server) sessionRecord(ctx context.Context, c *conn, p protocol.SessionRecordParams) (any, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return nil, err
	}
	res, err := ss.Record(p)
	if err != nil {
		return nil, err
	}
	s.bus.SessionChanged(ss.Info(), protocol.SessionChangedRecording)
	return res, nil
}
