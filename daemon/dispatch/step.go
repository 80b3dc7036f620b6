package dispatch

import (
	"context"

	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/protocol"
)

// StepNext answers step/next: a command to a walk paused in step mode,
// from any connection.
func (h handlers) StepNext(ctx context.Context, c *conn, p protocol.StepParams) (protocol.Empty, error) {
	return stepCommand(c, p, (*engine.Stepper).Next)
}

// StepContinue answers step/continue.
func (h handlers) StepContinue(ctx context.Context, c *conn, p protocol.StepParams) (protocol.Empty, error) {
	return stepCommand(c, p, (*engine.Stepper).Continue)
}

// StepAbort answers step/abort.
func (h handlers) StepAbort(ctx context.Context, c *conn, p protocol.StepParams) (protocol.Empty, error) {
	return stepCommand(c, p, (*engine.Stepper).Abort)
}

func stepCommand(c *conn, p protocol.StepParams, do func(*engine.Stepper) error) (protocol.Empty, error) {
	ss, err := c.session(p.SessionID)
	if err != nil {
		return protocol.Empty{}, err
	}
	if p.StepID == "" {
		return protocol.Empty{}, protocol.InvalidParams(protocol.FieldError{Field: "stepId", Message: "is required"})
	}
	st, err := ss.Stepper(p.StepID)
	if err != nil {
		return protocol.Empty{}, err
	}
	return protocol.Empty{}, do(st)
}
