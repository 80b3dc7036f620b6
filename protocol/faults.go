package protocol

import "encoding/json"

// Fault injection methods: rules a session's HTTP transport applies to the
// connector's requests, whatever the connector (built-in, child process,
// Stripe), so that a connector can be broken on purpose.
const (
	MethodFaultsSet   = "faults/set"   // FaultsSetParams -> FaultsListResult
	MethodFaultsList  = "faults/list"  // SessionParams -> FaultsListResult
	MethodFaultsClear = "faults/clear" // SessionParams -> Empty
)

// Fault kinds.
const (
	// FaultStatus answers Status (500 when unset) without sending the
	// request; a 429 carries Retry-After (RetryAfter seconds, 1 when unset).
	FaultStatus = "status"
	// FaultTimeout sends nothing and fails, after DelayMs, with a network
	// timeout error (as an http.Client timeout does).
	FaultTimeout = "timeout"
	// FaultReset sends nothing and fails with "connection reset by peer".
	FaultReset = "reset"
	// FaultTruncate sends the request and cuts the response body in half:
	// the connector reads the first half, then an unexpected EOF.
	FaultTruncate = "truncate"
	// FaultDuplicate sends the request and answers the response of the
	// previous request of the same operation and URL path instead: the page
	// before, served again.
	FaultDuplicate = "duplicate"
	// FaultReorder sends the request and reverses the order of the items of
	// the first JSON array in the response (the page's items).
	FaultReorder = "reorder"
	// FaultRewrite sends the request and sets Field to Value (raw JSON) in
	// every item of the page that has Field: a status the connector has
	// never seen, an amount beyond int64.
	FaultRewrite = "rewrite"
)

// FaultKinds lists every fault kind.
var FaultKinds = []string{FaultStatus, FaultTimeout, FaultReset, FaultTruncate, FaultDuplicate, FaultReorder, FaultRewrite}

// FaultRule is one fault: what it does, to which requests, and when. A
// request matches when its operation and URL match; of the matching
// requests, the rule fires at page Page, or every Every-th, or with
// probability Probability (drawn from a generator seeded with Seed), and at
// most Times times when Times is set. With no trigger it fires on every
// matching request.
type FaultRule struct {
	// ID names the rule in faults/list and in the exchanges it marks;
	// faults/set numbers rules without one ("f1", "f2"…).
	ID   string `json:"id,omitempty"`
	Kind string `json:"kind"`
	// Status is the status of a status fault (500 when unset).
	Status int `json:"status,omitempty"`
	// RetryAfter is the Retry-After of a 429, in seconds (1 when unset).
	RetryAfter int `json:"retryAfter,omitempty"`
	// DelayMs is how long a timeout fault waits before failing (100 when
	// unset).
	DelayMs int `json:"delayMs,omitempty"`
	// Field and Value are the item field a rewrite fault sets and its new
	// value, as JSON ("\"on_hold\"", "92233720368547758070").
	Field string          `json:"field,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
	// Operation matches the connector call ("fetch/payments"); "" matches
	// every call.
	Operation string `json:"operation,omitempty"`
	// URL matches a request whose URL contains it; "" matches every URL.
	URL string `json:"url,omitempty"`
	// Page fires on the requests made for page Page of a key (1-based).
	Page int `json:"page,omitempty"`
	// Every fires on every Every-th matching request.
	Every int `json:"every,omitempty"`
	// Probability fires on a matching request with this probability (0 to
	// 1), drawn from a generator seeded with Seed: the same seed gives the
	// same faults.
	Probability float64 `json:"probability,omitempty"`
	Seed        int64   `json:"seed,omitempty"`
	// Times caps how many times the rule fires; 0 is no cap.
	Times int `json:"times,omitempty"`
}

// FaultsSetParams are the params of faults/set.
type FaultsSetParams struct {
	SessionID string `json:"sessionId"`
	// Rules are added to the session's rules, or replace them with Replace.
	Rules   []FaultRule `json:"rules"`
	Replace bool        `json:"replace,omitempty"`
}

// FaultRuleStatus is a rule and how it fared.
type FaultRuleStatus struct {
	Rule FaultRule `json:"rule"`
	// Matched counts the requests the rule matched; Fired those it
	// injected its fault into.
	Matched int `json:"matched"`
	Fired   int `json:"fired"`
}

// FaultsListResult is the result of faults/list and faults/set.
type FaultsListResult struct {
	Rules []FaultRuleStatus `json:"rules"`
}

// InjectedFault marks an HTTP exchange that a fault rule replaced or
// altered: what the connector got is the fault's, not the server's.
type InjectedFault struct {
	Rule string `json:"rule"`
	Kind string `json:"kind"`
	// Detail says what was done ("429, Retry-After 1", "body cut at 812 of
	// 1624 bytes").
	Detail string `json:"detail"`
}
