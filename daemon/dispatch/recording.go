package dispatch

import (
	"context"
	"fmt"

	"github.com/switchboardpay/switchboard/daemon/bus"
	"github.com/switchboardpay/switchboard/daemon/drift"
	"github.com/switchboardpay/switchboard/protocol"
)

// sessionRecord answers session/record.
func (h handlers) SessionRecord(ctx context.Context, c *conn, p protocol.SessionRecordParams) (protocol.SessionRecordResult, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.SessionRecordResult{}, err
	}
	if !p.Stop {
		if err := checkCassetteTarget(p.Path, p.Overwrite); err != nil {
			return protocol.SessionRecordResult{}, err
		}
	}
	res, err := ss.Record(p)
	if err != nil {
		return res, err
	}
	h.s.bus.SessionChanged(ss.Info(), protocol.SessionChangedRecording)
	return res, nil
}

// recordingDiff answers recording/diff; each drift goes out as a
// recording/drift notification as it is found.
func (h handlers) RecordingDiff(ctx context.Context, c *conn, p protocol.RecordingDiffParams) (protocol.RecordingDiffResult, error) {
	if err := checkDiffPaths(p); err != nil {
		return protocol.RecordingDiffResult{}, err
	}
	prog, ctx := c.startProgress(ctx, p.WorkDoneToken, "Diffing "+p.From)
	n := 0
	res, err := drift.Diff(ctx, h.s.sessions, p, func(d protocol.Drift) {
		n++
		// A full queue drops a notification, never the diff: the result
		// holds every drift.
		c.sub.Send(bus.EncodeNotification(protocol.NotifyRecordingDrift, protocol.RecordingDriftParams{From: p.From, Drift: d}))
		prog.report(fmt.Sprintf("%d drifts", n))
	})
	if err != nil {
		err = prog.end("diff failed", err)
		c.flush()
		return protocol.RecordingDiffResult{}, err
	}
	prog.end(fmt.Sprintf("%d endpoints, %d schema drifts, %d data drifts", len(res.Endpoints), len(res.Schema), len(res.Data)+res.DataTruncated), nil)
	c.flush()
	return res, nil
}
