package protocol

import "encoding/json"

// Conformance check methods: the pagination check of connector/conformance,
// run on a session's connector.
const (
	MethodConnectorCheck = "connector/check"
)

// Conformance check notifications.
const (
	NotifyCheckPage = "check/page"
)

// Check names of a CheckFinding.
const (
	// CheckSameReferences: every page size returns the same set of
	// references.
	CheckSameReferences = "same-references"
	// CheckNoDuplicates: no reference is returned twice within one run.
	CheckNoDuplicates = "no-duplicates"
	// CheckPageSize: no page holds more than pageSize items.
	CheckPageSize = "page-size"
	// CheckTermination: a run ends (hasMore: false) without repeating a
	// state and within maxPages pages.
	CheckTermination = "termination"
	// CheckResume: resuming from an intermediate state returns what the
	// first run returned after that state.
	CheckResume = "resume"
	// CheckRerun: a second run from the final state returns nothing
	// already seen; items seen again with other content are "updated"
	// (a warning).
	CheckRerun = "rerun"
	// CheckTimestampGroups: a group of items sharing one timestamp, larger
	// than the page, is fetched whole; reported instead of same-references
	// when the state pages by the timestamp the skipped items share.
	CheckTimestampGroups = "timestamp-groups"
	// CheckAssetDecimals: an asset's decimals are its currency's ISO 4217
	// minor units (JPY/0, KWD/3).
	CheckAssetDecimals = "asset-decimals"
	// CheckFetch: a fetch failed (connector error or panic).
	CheckFetch = "fetch"
	// CheckNotImplemented: the fetch answered "not implemented"
	// (connector.ErrNotImplemented); the capability is reported as absent.
	// A warning.
	CheckNotImplemented = "not-implemented"
)

// ConnectorCheckParams are the params of connector/check. The check calls
// the session's connector directly: the session's cached states are left
// as they are.
type ConnectorCheckParams struct {
	SessionID string `json:"sessionId"`
	// Resources to check (default: every fetch capability of the session).
	Resources []string `json:"resources,omitempty"`
	// PageSizes to run each resource with (default 1, 2, 3, 7 and the
	// session's page size).
	PageSizes []int `json:"pageSizes,omitempty"`
	// MaxPages bounds each run (default 1000).
	MaxPages int `json:"maxPages,omitempty"`
	// MaxParents bounds the parents a child resource (balances per
	// account) is checked for (default 3).
	MaxParents    int             `json:"maxParents,omitempty"`
	WorkDoneToken json.RawMessage `json:"workDoneToken,omitempty"`
	// SkipReview leaves out the review rules (review.go), which inject
	// faults into the session's HTTP transport for a few pages.
	SkipReview bool `json:"skipReview,omitempty"`
}

// ConnectorCheckResult is the result of connector/check.
type ConnectorCheckResult struct {
	Resources  []CheckResource `json:"resources"`
	Passed     bool            `json:"passed"`
	DurationMs float64         `json:"durationMs"`
	// Review says what the review rules ran on; their findings are in
	// the resource's findings.
	Review *CheckReview `json:"review,omitempty"`
}

// CheckResource is the outcome of the check of one resource.
type CheckResource struct {
	// Resource is the resource, with "#name" for a named task.
	Resource  string `json:"resource"`
	PageSizes []int  `json:"pageSizes"`
	// Parents are the references of the parent items a child resource was
	// checked for.
	Parents []string `json:"parents,omitempty"`
	Runs    int      `json:"runs"`
	Pages   int      `json:"pages"`
	// Items is the number of distinct references seen.
	Items    int            `json:"items"`
	Passed   bool           `json:"passed"`
	Findings []CheckFinding `json:"findings"`
}

// CheckFinding is one failed check, phrased as a minimal reproduction.
type CheckFinding struct {
	Resource string `json:"resource"`
	// Check is one of the Check* names.
	Check    string `json:"check"`
	PageSize int    `json:"pageSize"`
	// Parent is the reference of the parent item, for a child resource.
	Parent string `json:"parent,omitempty"`
	// State is the state to fetch from to reproduce the finding.
	State      json.RawMessage `json:"state"`
	References []string        `json:"references"`
	Message    string          `json:"message"`
	// Warning marks a finding that does not fail the check (updated items).
	Warning bool `json:"warning,omitempty"`
}

// CheckPageParams are the params of the check/page notification, sent to
// the connection running connector/check for every page it fetches.
type CheckPageParams struct {
	SessionID string `json:"sessionId"`
	Resource  string `json:"resource"`
	Parent    string `json:"parent,omitempty"`
	PageSize  int    `json:"pageSize"`
	// Run numbers the runs of one resource from 1; Kind is "first",
	// "resume", "rerun" or "parents".
	Run       int    `json:"run"`
	Kind      string `json:"kind"`
	Page      int    `json:"page"`
	ItemCount int    `json:"itemCount"`
	// State is the state the page returned.
	State   json.RawMessage `json:"state"`
	HasMore bool            `json:"hasMore"`
}
