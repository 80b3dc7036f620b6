package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/protocol"
)

// DefaultStepTimeout is how long a paused walk waits for a step/* call.
const DefaultStepTimeout = 5 * time.Minute

// Gate is asked before each page of a walk (step mode): it returns at once
// to go on, blocks while the walk is paused, or returns an error that ends
// the walk.
type Gate interface {
	BeforePage(ctx context.Context, at PagePoint) error
}

// PagePoint is where a walk stands before a page.
type PagePoint struct {
	Task, Resource, Key string
	// Page is the page of this walk about to be fetched (1-based).
	Page int
	// From is the state the page starts from ("null" when unknown).
	From json.RawMessage
	// Last is the page fetched before, nil before the first; LastFrom the
	// state it was fetched from.
	Last     *protocol.Page
	LastFrom json.RawMessage
}

// Stepper is the Gate of one walk in step mode. Commands arrive from
// step/next, step/continue and step/abort while it is paused.
//
// Invariant: paused is true exactly while BeforePage waits on cmds.
type Stepper struct {
	ID        string
	SessionID string
	// Stop, when closed, ends a pause with ErrStopping (set before the
	// walk starts).
	Stop <-chan struct{}

	timeout  time.Duration
	announce func(protocol.StepPausedParams)
	bps      []protocol.Breakpoint
	cmds     chan string // buffered 1; sent only while paused

	mu     sync.Mutex
	step   bool // pause before every page; guarded by mu
	paused bool // guarded by mu
}

var _ Gate = (*Stepper)(nil)

// step commands.
const (
	cmdNext     = "next"
	cmdContinue = "continue"
	cmdAbort    = "abort"
)

// NewStepper returns the gate of a walk with opts, announcing each pause.
// It refuses breakpoints that name no page and no known condition.
func NewStepper(id, sessionID string, opts protocol.StepOptions, announce func(protocol.StepPausedParams)) (*Stepper, error) {
	for i, b := range opts.Breakpoints {
		if (b.Page > 0) == (b.When != "") || b.Page < 0 {
			return nil, protocol.InvalidParams(protocol.FieldError{Field: fmt.Sprintf("breakpoints[%d]", i), Message: "set one of page (at least 1) and when"})
		}
		if b.When != "" && !slices.Contains(protocol.StepConditions, b.When) {
			return nil, protocol.InvalidParams(protocol.FieldError{Field: fmt.Sprintf("breakpoints[%d].when", i), Message: fmt.Sprintf("unknown condition %q (known: %v)", b.When, protocol.StepConditions)})
		}
	}
	if opts.StepTimeoutMs < 0 {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "stepTimeoutMs", Message: "must not be negative"})
	}
	timeout := DefaultStepTimeout
	if opts.StepTimeoutMs > 0 {
		timeout = time.Duration(opts.StepTimeoutMs) * time.Millisecond
	}
	return &Stepper{ID: id, SessionID: sessionID, timeout: timeout, announce: announce, bps: opts.Breakpoints, step: opts.Step, cmds: make(chan string, 1)}, nil
}

// ErrStepAborted ends a walk stopped by step/abort; errStepTimeout one that
// waited at a pause past its step timeout. Both end a whole sync cycle.
var ErrStepAborted = &protocol.Error{Code: protocol.CodeRequestCancelled, Message: "aborted by step/abort: the pages fetched before the pause are stored and the state is after the last of them"}

// stepEnded reports whether err ends a walk for step mode's sake.
func stepEnded(err error) bool {
	var st *stepTimeout
	return err == ErrStepAborted || errors.As(err, &st)
}

// stepTimeout is the coded error of a walk that waited too long at a pause.
type stepTimeout struct{ pe *protocol.Error }

func (e *stepTimeout) Error() string { return e.pe.Error() }
func (e *stepTimeout) Unwrap() error { return e.pe }

// BeforePage implements Gate.
func (s *Stepper) BeforePage(ctx context.Context, at PagePoint) error {
	s.mu.Lock()
	step := s.step
	s.mu.Unlock()
	reason, bp, detail := "", (*protocol.Breakpoint)(nil), ""
	if step {
		reason = protocol.StepReasonStep
	}
	for i := range s.bps {
		if d, ok := hits(s.bps[i], at); ok {
			reason, bp, detail = protocol.StepReasonBreakpoint, &s.bps[i], d
			break
		}
	}
	if reason == "" {
		return nil
	}
	p := protocol.StepPausedParams{
		SessionID: s.SessionID, StepID: s.ID, Task: at.Task, Resource: at.Resource, Key: at.Key,
		Page: at.Page, Reason: reason, Breakpoint: bp, Detail: detail, State: at.From,
	}
	if len(p.State) == 0 {
		p.State = json.RawMessage("null")
	}
	if at.Last != nil {
		p.Last = &protocol.StepPage{Page: at.Last.Page, ItemCount: at.Last.ItemCount, HasMore: at.Last.HasMore, NewState: at.Last.NewState}
	}
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.paused = false
		s.mu.Unlock()
		// A command sent as the wait ended for another reason is dropped.
		select {
		case <-s.cmds:
		default:
		}
	}()
	if s.announce != nil {
		s.announce(p)
	}
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case cmd := <-s.cmds:
		switch cmd {
		case cmdAbort:
			return ErrStepAborted
		case cmdContinue:
			s.mu.Lock()
			s.step = false
			s.mu.Unlock()
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.Stop:
		return ErrStopping
	case <-timer.C:
		return &stepTimeout{&protocol.Error{Code: protocol.CodeRequestCancelled,
			Message: fmt.Sprintf("step timeout: the walk waited %s at page %d of %s with no step/next, step/continue or step/abort; the pages before it are stored", s.timeout, at.Page, at.Key)}}
	}
}

// Next, Continue and Abort command a paused walk; they fail with
// CodeInvalidParams when it is not paused.
func (s *Stepper) Next() error     { return s.send(cmdNext) }
func (s *Stepper) Continue() error { return s.send(cmdContinue) }
func (s *Stepper) Abort() error    { return s.send(cmdAbort) }

func (s *Stepper) send(cmd string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.paused {
		return protocol.InvalidParams(protocol.FieldError{Field: "stepId", Message: fmt.Sprintf("walk %s is not paused (it is fetching a page, or a step/* call came first)", s.ID)})
	}
	select {
	case s.cmds <- cmd:
		return nil
	default:
		return protocol.InvalidParams(protocol.FieldError{Field: "stepId", Message: fmt.Sprintf("walk %s has a step/* call pending already", s.ID)})
	}
}

// hits reports whether b pauses the walk at at, and what it saw.
func hits(b protocol.Breakpoint, at PagePoint) (string, bool) {
	if b.Page > 0 {
		return fmt.Sprintf("before page %d", b.Page), b.Page == at.Page
	}
	last := at.Last
	if last == nil {
		return "", false
	}
	switch b.When {
	case protocol.BreakEmptyWithMore:
		return fmt.Sprintf("page %d had no items and hasMore true", last.Page), last.ItemCount == 0 && last.HasMore
	case protocol.BreakStateUnchanged:
		from := at.LastFrom
		if len(from) == 0 {
			from = json.RawMessage("null")
		}
		return fmt.Sprintf("page %d returned the state it started from, %s, with hasMore true", last.Page, clip(last.NewState)), last.HasMore && string(driver.NormalizeState(last.NewState)) == string(driver.NormalizeState(from))
	case protocol.BreakUnknownStatus:
		if at.Resource != protocol.ResourcePayments {
			return "", false
		}
		var items []struct {
			Reference string `json:"reference"`
			Status    string `json:"status"`
		}
		if json.Unmarshal(last.Items, &items) != nil {
			return "", false
		}
		for _, it := range items {
			if !slices.Contains(KnownStatuses, it.Status) {
				return fmt.Sprintf("payment %s of page %d has status %q", it.Reference, last.Page, it.Status), true
			}
		}
	}
	return "", false
}

// KnownStatuses are the payment statuses a connector maps a PSP's to;
// OTHER is not among them: it is what an unmapped status becomes.
var KnownStatuses = []string{
	protocol.PaymentStatusPending, protocol.PaymentStatusSucceeded, protocol.PaymentStatusFailed,
	protocol.PaymentStatusCancelled, protocol.PaymentStatusExpired, protocol.PaymentStatusRefunded,
	protocol.PaymentStatusRefundedFailure, protocol.PaymentStatusDispute, protocol.PaymentStatusDisputeWon,
	protocol.PaymentStatusDisputeLost, protocol.PaymentStatusAuthorisation, protocol.PaymentStatusCapture,
}

// StateReader is what a Pager may offer step mode: the cached state of a
// target, which its next page starts from.
type StateReader interface {
	StateOf(t Target) json.RawMessage
}
