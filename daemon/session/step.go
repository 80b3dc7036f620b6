package session

import (
	"encoding/json"
	"strconv"
	"sync/atomic"

	"github.com/switchboardpay/switchboard/daemon/engine"
	"github.com/switchboardpay/switchboard/protocol"
)

var stepSeq atomic.Uint64

// gate returns the step-mode gate of a walk with opts, or nil when opts
// ask for none; done forgets it when the walk ends.
func (s *Session) gate(opts protocol.StepOptions, stop <-chan struct{}) (g engine.Gate, done func(), err error) {
	if !opts.Step && len(opts.Breakpoints) == 0 {
		return nil, func() {}, nil
	}
	id := "step-" + strconv.FormatUint(stepSeq.Add(1), 10)
	st, err := engine.NewStepper(id, s.id, opts, s.notifier.StepPaused)
	if err != nil {
		return nil, nil, err
	}
	st.Stop = stop
	s.mu.Lock()
	if s.steps == nil {
		s.steps = map[string]*engine.Stepper{}
	}
	s.steps[id] = st
	s.mu.Unlock()
	return st, func() {
		s.mu.Lock()
		delete(s.steps, id)
		s.mu.Unlock()
	}, nil
}

// Stepper returns the walk in step mode named id.
func (s *Session) Stepper(id string) (*engine.Stepper, error) {
	s.mu.Lock()
	st := s.steps[id]
	s.mu.Unlock()
	if st == nil {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "stepId", Message: "no walk in step mode named " + strconv.Quote(id) + " in this session (it ended, or never started)"})
	}
	return st, nil
}

// StateOf implements engine.StateReader.
func (s *Session) StateOf(t engine.Target) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.states[Key(t.Resource, t.Name, t.FromPayload)]; e != nil && e.state != nil {
		return append(json.RawMessage(nil), e.state...)
	}
	return json.RawMessage("null")
}

var _ engine.StateReader = (*Session)(nil)
