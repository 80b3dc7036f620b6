package faults

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardpay/switchboard/protocol"
)

// Parse reads a rule from its command-line form: comma-separated key=value
// pairs named as the rule's JSON fields (kind, status, retryAfter, delayMs,
// operation, url, page, every, probability, seed, times, id), where the
// first item may be a bare kind ("reset") or a bare status ("429", a status
// fault). Examples:
//
//	429,page=2,retryAfter=3
//	503,every=3,operation=fetch/payments
//	reset,probability=0.1,seed=7
//	truncate,url=/transactions,times=1
//	rewrite,field=status,value="on_hold"
func Parse(spec string) (protocol.FaultRule, error) {
	var r protocol.FaultRule
	parts := strings.Split(spec, ",")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		if !hasValue {
			if i != 0 {
				return r, fmt.Errorf("fault %q: %q is not key=value", spec, part)
			}
			if n, err := strconv.Atoi(k); err == nil {
				r.Kind, r.Status = protocol.FaultStatus, n
			} else {
				r.Kind = k
			}
			continue
		}
		var err error
		switch k {
		case "kind":
			r.Kind = v
		case "id":
			r.ID = v
		case "operation", "op":
			r.Operation = v
		case "url":
			r.URL = v
		case "field":
			r.Field = v
		case "value":
			r.Value = json.RawMessage(v)
		case "status":
			r.Status, err = strconv.Atoi(v)
		case "retryAfter":
			r.RetryAfter, err = strconv.Atoi(v)
		case "delayMs":
			r.DelayMs, err = strconv.Atoi(v)
		case "page":
			r.Page, err = strconv.Atoi(v)
		case "every":
			r.Every, err = strconv.Atoi(v)
		case "times":
			r.Times, err = strconv.Atoi(v)
		case "probability", "p":
			r.Probability, err = strconv.ParseFloat(v, 64)
		case "seed":
			r.Seed, err = strconv.ParseInt(v, 10, 64)
		default:
			return r, fmt.Errorf("fault %q: unknown key %q (known: kind, status, retryAfter, delayMs, field, value, operation, url, page, every, probability, seed, times, id)", spec, k)
		}
		if err != nil {
			return r, fmt.Errorf("fault %q: %s: %v", spec, k, err)
		}
	}
	if r.Kind == "" && r.Status != 0 {
		r.Kind = protocol.FaultStatus
	}
	if errs := Validate(r); len(errs) > 0 {
		return r, fmt.Errorf("fault %q: %s %s", spec, errs[0].Field, errs[0].Message)
	}
	if !slices.Contains(protocol.FaultKinds, r.Kind) {
		return r, fmt.Errorf("fault %q: no kind", spec)
	}
	return r, nil
}
