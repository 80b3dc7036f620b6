package dispatch

import (
	"context"
	"fmt"

	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/daemon/drift"
	"github.com/switchboardpay/switchboard/protocol"
)

// sessionRecord answers session/record.
func (s *Server) sessionRecord(ctx context.Context, c *conn, p protocol.SessionRecordParams) (any, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return nil, err
	}
	if !p.Stop {
		if err := checkCassetteTarget(p.Path, p.Overwrite); err != nil {
			return nil, err
		}
	}
	res, err := ss.Record(p)
	if err != nil {
		return nil, err
	}
	s.bus.SessionChanged(ss.Info(), protocol.SessionChangedRecording)
	return res, nil
}

// recordingDiff answers recording/diff; each drift goes out as a
// recording/drift notification as it is found.
func (s *Server) recordingDiff(ctx context.Context, c *conn, p protocol.RecordingDiffParams) (any, error) {
	if err := checkDiffPaths(p); err != nil {
		return nil, err
	}
	prog := c.startProgress(ctx, p.WorkDoneToken, "Diffing "+p.From)
	n := 0
	res, err := drift.Diff(ctx, s.sessions, p, func(d protocol.Drift) {
		n++
		// A full queue drops a notification, never the diff: the result
		// holds every drift.
		c.sub.Send(bus.EncodeNotification(protocol.NotifyRecordingDrift, protocol.RecordingDriftParams{From: p.From, Drift: d}))
		prog.report(fmt.Sprintf("%d drifts", n))
	})
	if err != nil {
		prog.end("diff failed")
		c.flush()
		return nil, err
	}
	prog.end(fmt.Sprintf("%d endpoints, %d schema drifts, %d data drifts", len(res.Endpoints), len(res.Schema), len(res.Data)+res.DataTruncated))
	c.flush()
	return res, nil
}
