package dispatch

import (
	"context"

	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/protocol"
)

// stepMethods serves step/next, step/continue and step/abort: commands to a
// walk paused in step mode, from any connection.
func (s *Server) stepMethods() map[string]handlerFunc {
	command := func(do func(*engine.Stepper) error) handlerFunc {
		return handle(func(ctx context.Context, c *conn, p protocol.StepParams) (any, error) {
			ss, err := c.session(p.SessionID)
			if err != nil {
				return nil, err
			}
			if p.StepID == "" {
				return nil, protocol.InvalidParams(protocol.FieldError{Field: "stepId", Message: "is required"})
			}
			st, err := ss.Stepper(p.StepID)
			if err != nil {
				return nil, err
			}
			if err := do(st); err != nil {
				return nil, err
			}
			return protocol.Empty{}, nil
		})
	}
	return map[string]handlerFunc{
		protocol.MethodStepNext:     command((*engine.Stepper).Next),
		protocol.MethodStepContinue: command((*engine.Stepper).Continue),
		protocol.MethodStepAbort:    command((*engine.Stepper).Abort),
	}
}
