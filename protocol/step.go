package protocol

import "encoding/json"

// Step mode: fetch/all and sync/run with step (or breakpoints) pause before
// a page and announce it with step/paused; the walk waits for step/next,
// step/continue or step/abort. A paused walk is released by its request's
// cancellation, its connection closing, the daemon shutting down, and its
// step timeout: it never waits forever.
const (
	MethodStepNext     = "step/next"     // StepParams -> Empty
	MethodStepContinue = "step/continue" // StepParams -> Empty
	MethodStepAbort    = "step/abort"    // StepParams -> Empty
)

// Step mode notifications.
const (
	// NotifyStepPaused is sent to the session's subscribers when a walk
	// pauses before a page.
	NotifyStepPaused = "step/paused" // StepPausedParams
)

// Breakpoint conditions: each is checked on the page just fetched, and
// pauses the walk before the next one.
const (
	// BreakEmptyWithMore: a page with no items and hasMore true.
	BreakEmptyWithMore = "emptyPageWithMore"
	// BreakStateUnchanged: a page with hasMore true whose new state is
	// the state it was fetched from.
	BreakStateUnchanged = "stateUnchanged"
	// BreakUnknownStatus: a payment whose status is OTHER or none of the
	// known ones.
	BreakUnknownStatus = "unknownStatus"
)

// StepConditions lists every breakpoint condition.
var StepConditions = []string{BreakEmptyWithMore, BreakStateUnchanged, BreakUnknownStatus}

// Step pause reasons.
const (
	StepReasonStep       = "step"
	StepReasonBreakpoint = "breakpoint"
)

// Breakpoint pauses a walk before page Page (of the walk, 1-based), or
// before the page after one where When holds. Set one of them.
type Breakpoint struct {
	Page int    `json:"page,omitempty"`
	When string `json:"when,omitempty"`
}

// StepOptions are the step-mode fields of fetch/all and sync/run.
type StepOptions struct {
	// Step pauses before every page.
	Step bool `json:"step,omitempty"`
	// Breakpoints pause before the pages they name; with Step false the
	// walk runs freely between them.
	Breakpoints []Breakpoint `json:"breakpoints,omitempty"`
	// StepTimeoutMs ends a walk that waited this long at a pause with no
	// step/* call (default 300000, five minutes).
	StepTimeoutMs int `json:"stepTimeoutMs,omitempty"`
}

// StepParams are the params of step/next, step/continue and step/abort.
// step/next fetches one page and pauses again; step/continue runs on to the
// next breakpoint (or the end); step/abort ends the walk, which answers
// CodeRequestCancelled with the pages fetched so far stored.
type StepParams struct {
	SessionID string `json:"sessionId"`
	StepID    string `json:"stepId"`
}

// StepPausedParams are the params of step/paused.
type StepPausedParams struct {
	SessionID string `json:"sessionId"`
	// StepID names the paused walk in step/next, step/continue and
	// step/abort.
	StepID string `json:"stepId"`
	// Task is the sync task path ("accounts/payments"), "" for fetch/all.
	Task     string `json:"task,omitempty"`
	Resource string `json:"resource"`
	Key      string `json:"key"`
	// Page is the page of the walk about to be fetched (1-based).
	Page   int    `json:"page"`
	Reason string `json:"reason"`
	// Breakpoint is the breakpoint that paused the walk, with reason
	// "breakpoint"; Detail says what it saw.
	Breakpoint *Breakpoint `json:"breakpoint,omitempty"`
	Detail     string      `json:"detail,omitempty"`
	// State is the state the next page starts from ("null" at the start
	// of a key).
	State json.RawMessage `json:"state"`
	// Last describes the page fetched before the pause, if any.
	Last *StepPage `json:"last,omitempty"`
}

// StepPage summarizes a page in step/paused.
type StepPage struct {
	Page      int             `json:"page"`
	ItemCount int             `json:"itemCount"`
	HasMore   bool            `json:"hasMore"`
	NewState  json.RawMessage `json:"newState"`
}
