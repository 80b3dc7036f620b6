package protocol

// Review rule names of a CheckFinding: the payments review rules that
// connector/check runs by injecting faults (faults/set) into the session's
// HTTP transport. A connector that makes no HTTP request through the
// client the daemon hands it is not reviewed (nothing to inject into).
const (
	// CheckFailedPage: a page whose request failed (5xx, reset, cut body)
	// is an error, never a page: a state returned for it would advance
	// past data the connector never read.
	CheckFailedPage = "failed-page"
	// CheckAuthNotRetryable: a 401 is reported as not retryable, with its
	// status.
	CheckAuthNotRetryable = "auth-not-retryable"
	// CheckRateLimit: a 429 is either retried by the connector no sooner
	// than its Retry-After, or reported as retryable with its status.
	CheckRateLimit = "rate-limit"
	// CheckUnknownStatus: a payment status the connector has never seen
	// (the page's status fields rewritten) becomes OTHER, or an error,
	// never a known status.
	CheckUnknownStatus = "unknown-status"
	// CheckAmountExact: an amount beyond int64 (the page's amount fields
	// rewritten) is kept digit for digit, or refused with an error.
	CheckAmountExact = "amount-exact"
	// CheckIncremental: a key walked to its end and walked again from its
	// final state returns nothing, then, after new payments are added,
	// exactly those. It runs on connectors whose source can be grown on
	// demand (the demo connector's bank, the test providers).
	CheckIncremental = "incremental"
)

// ReviewRules lists the review rules in the order they run.
var ReviewRules = []string{CheckFailedPage, CheckAuthNotRetryable, CheckRateLimit, CheckUnknownStatus, CheckAmountExact, CheckIncremental}

// CheckReview is what the review rules of connector/check ran on.
type CheckReview struct {
	Resource string `json:"resource"`
	// Parent is the reference of the parent item the resource was
	// fetched for, for a child resource.
	Parent string `json:"parent,omitempty"`
	// Rules are the rules that ran.
	Rules []string `json:"rules"`
	// Skipped says why the fault rules did not run, if so (a connector
	// that makes no HTTP request through the session's client cannot be
	// broken by faults).
	Skipped string `json:"skipped,omitempty"`
}
