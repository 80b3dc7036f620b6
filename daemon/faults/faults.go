// Package faults breaks a session's HTTP on purpose: rules (faults/set)
// that answer a status, time out, reset the connection, cut a body, serve a
// page twice or reverse its items, at page N, every Nth request or with a
// seeded probability, matched by operation and URL. The rules run in the
// session's HTTP transport, under the capture, so they apply to every
// connector that uses the client the daemon hands it, and each exchange a
// fault altered is marked as such in the capture.
package faults

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/switchboardpay/switchboard/protocol"
)

// MaxRules caps the rules of one session.
const MaxRules = 64

// Defaults of the rules' optional fields.
const (
	DefaultStatus     = 500
	DefaultRetryAfter = 1
	DefaultDelayMs    = 100
)

// Injector holds one session's rules. It is safe for concurrent use.
//
// Invariant: active is true exactly while rules is not empty, so that a
// session without faults pays one atomic load per request.
type Injector struct {
	active atomic.Bool

	mu    sync.Mutex
	rules []*rule          // in evaluation order; guarded by mu
	seq   int              // last number given to an unnamed rule; guarded by mu
	last  map[string]saved // last answer per operation and URL path, for duplicate; guarded by mu
}

type rule struct {
	protocol.FaultRule
	rng            *rand.Rand // for Probability
	matched, fired int
}

// New returns an injector with no rules.
func New() *Injector { return &Injector{} }

// Set validates rules and adds them (or, with replace, makes them the
// only rules). Rules without an id are numbered. An invalid rule sets none
// and comes back as CodeInvalidParams naming its field.
func (in *Injector) Set(rules []protocol.FaultRule, replace bool) ([]protocol.FaultRuleStatus, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ids := map[string]bool{}
	if !replace {
		for _, r := range in.rules {
			ids[r.ID] = true
		}
	}
	var errs []protocol.FieldError
	seq := in.seq
	add := make([]*rule, 0, len(rules))
	for i, r := range rules {
		for _, fe := range Validate(r) {
			fe.Field = fmt.Sprintf("rules[%d].%s", i, fe.Field)
			errs = append(errs, fe)
		}
		if r.ID == "" {
			for {
				seq++
				r.ID = fmt.Sprintf("f%d", seq)
				if !ids[r.ID] {
					break
				}
			}
		} else if ids[r.ID] {
			errs = append(errs, protocol.FieldError{Field: fmt.Sprintf("rules[%d].id", i), Message: fmt.Sprintf("rule %q exists already", r.ID)})
		}
		ids[r.ID] = true
		add = append(add, &rule{FaultRule: r, rng: rand.New(rand.NewSource(r.Seed))})
	}
	n := len(add)
	if !replace {
		n += len(in.rules)
	}
	if n > MaxRules {
		errs = append(errs, protocol.FieldError{Field: "rules", Message: fmt.Sprintf("a session holds at most %d rules (this would make %d)", MaxRules, n)})
	}
	if len(errs) > 0 {
		return nil, protocol.InvalidParams(errs...)
	}
	in.seq = seq
	if replace {
		in.rules = nil
		in.last = nil
	}
	in.rules = append(in.rules, add...)
	in.active.Store(len(in.rules) > 0)
	return in.listLocked(), nil
}

// Validate returns the problems of one rule, by field.
func Validate(r protocol.FaultRule) []protocol.FieldError {
	var errs []protocol.FieldError
	bad := func(field, msg string) { errs = append(errs, protocol.FieldError{Field: field, Message: msg}) }
	if !slices.Contains(protocol.FaultKinds, r.Kind) {
		bad("kind", fmt.Sprintf("unknown fault kind %q (known: %s)", r.Kind, strings.Join(protocol.FaultKinds, ", ")))
	}
	if r.Status != 0 && (r.Kind != protocol.FaultStatus || r.Status < 100 || r.Status > 599) {
		bad("status", "is the status of a status fault, 100 to 599")
	}
	if r.RetryAfter < 0 || r.DelayMs < 0 || r.Page < 0 || r.Every < 0 || r.Times < 0 {
		bad("retryAfter", "retryAfter, delayMs, page, every and times must not be negative")
	}
	if r.DelayMs > 600_000 {
		bad("delayMs", "is at most 600000 (ten minutes)")
	}
	if r.Kind == protocol.FaultRewrite && (r.Field == "" || !json.Valid(r.Value)) {
		bad("field", "a rewrite fault names a field and its value as valid JSON")
	}
	if r.Kind != protocol.FaultRewrite && (r.Field != "" || len(r.Value) > 0) {
		bad("field", "field and value are those of a rewrite fault")
	}
	if r.Probability < 0 || r.Probability > 1 {
		bad("probability", "is between 0 and 1")
	}
	triggers := 0
	for _, set := range []bool{r.Page > 0, r.Every > 0, r.Probability > 0} {
		if set {
			triggers++
		}
	}
	if triggers > 1 {
		bad("page", "name one trigger: page, every or probability")
	}
	if len(r.ID) > 64 {
		bad("id", "is at most 64 characters")
	}
	return errs
}

// List returns the rules and their counts, in evaluation order.
func (in *Injector) List() []protocol.FaultRuleStatus {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.listLocked()
}

func (in *Injector) listLocked() []protocol.FaultRuleStatus {
	out := make([]protocol.FaultRuleStatus, len(in.rules))
	for i, r := range in.rules {
		out[i] = protocol.FaultRuleStatus{Rule: r.FaultRule, Matched: r.matched, Fired: r.fired}
	}
	return out
}

// Remove removes the rules named ids.
func (in *Injector) Remove(ids ...string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = slices.DeleteFunc(in.rules, func(r *rule) bool { return slices.Contains(ids, r.ID) })
	in.active.Store(len(in.rules) > 0)
}

// Clear removes every rule.
func (in *Injector) Clear() {
	in.mu.Lock()
	in.rules, in.last = nil, nil
	in.active.Store(false)
	in.mu.Unlock()
}

// decide returns the rule that fires for one request, or false. Rules are
// tried in order; every rule a request matches counts it, up to the first
// that fires.
func (in *Injector) decide(op string, page int, url string) (protocol.FaultRule, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, r := range in.rules {
		if (r.Operation != "" && r.Operation != op) || (r.URL != "" && !strings.Contains(url, r.URL)) {
			continue
		}
		r.matched++
		if r.Times > 0 && r.fired >= r.Times {
			continue
		}
		fire := true
		switch {
		case r.Page > 0:
			fire = page == r.Page
		case r.Every > 0:
			fire = r.matched%r.Every == 0
		case r.Probability > 0:
			fire = r.rng.Float64() < r.Probability
		}
		if fire {
			r.fired++
			return r.FaultRule, true
		}
	}
	return protocol.FaultRule{}, false
}

// unfire takes back a firing that could not be applied (a duplicate with
// no earlier answer to serve).
func (in *Injector) unfire(id string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, r := range in.rules {
		if r.ID == id && r.fired > 0 {
			r.fired--
		}
	}
}

// wantsAnswers reports whether a duplicate rule needs the answers kept.
func (in *Injector) wantsAnswers() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, r := range in.rules {
		if r.Kind == protocol.FaultDuplicate {
			return true
		}
	}
	return false
}
