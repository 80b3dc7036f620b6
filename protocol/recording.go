package protocol

import "encoding/json"

// Recording methods: a session's HTTP exchanges and connector calls kept in
// a go-vcr v4 cassette, replayed offline, and run again to detect drift.
const (
	// MethodSessionRecord starts recording a session into a cassette, or
	// stops (and saves) the recording in progress.
	MethodSessionRecord = "session/record"
	// MethodRecordingDiff runs a recorded session again, live or against a
	// newer cassette, and reports schema and data drift.
	MethodRecordingDiff = "recording/diff"
)

// Recording notifications.
const (
	// NotifyRecordingDrift streams each drift of a recording/diff as it is
	// found; the result holds them all.
	NotifyRecordingDrift = "recording/drift"
)

// The recording methods of the method table.
var (
	SessionRecord  = request[SessionRecordParams, SessionRecordResult](MethodSessionRecord, errs(CodeSessionNotFound, CodeRecordingFailed, CodePathRefused), client("SessionRecord"))
	RecordingDiff  = request[RecordingDiffParams, RecordingDiffResult](MethodRecordingDiff, errs(CodeProviderNotFound, CodeConnectorError, CodeConnectorPanicked, CodeReplayMiss, CodeRecordingFailed, CodePathRefused), client("RecordingDiff"))
	RecordingDrift = notification[RecordingDriftParams](NotifyRecordingDrift, dir(ServerToClient))
)

// Recording error codes.
const (
	// CodeReplayMiss: a replayed connector made a request the cassette
	// does not hold. The data (ReplayMissData) names the request and the
	// nearest recorded one.
	CodeReplayMiss = -32060
	// CodeRecordingFailed: a cassette could not be read or written.
	CodeRecordingFailed = -32061
)

// Replay match modes of SessionCreateParams.ReplayMatch.
const (
	// ReplayStrict matches method, URL with its query, and body.
	ReplayStrict = "strict"
	// ReplayLenient matches method and path only, in recorded order.
	ReplayLenient = "lenient"
)

// ReplayMissData is the data of CodeReplayMiss.
type ReplayMissData struct {
	Cassette string `json:"cassette"`
	// Request is the unmatched request, "METHOD URL", redacted.
	Request string `json:"request"`
	// Nearest is the recorded request closest to it, if any.
	Nearest string `json:"nearest,omitempty"`
	// Differences say how Nearest differs ("query limit: 25, recorded 50").
	Differences []string `json:"differences,omitempty"`
}

// SessionRecordParams are the params of session/record. With a path the
// session starts recording into it (a recording already in progress is
// saved and replaced); with stop the recording is saved and ended.
type SessionRecordParams struct {
	SessionID string `json:"sessionId"`
	// Path of the cassette, ending in .yaml.
	Path string `json:"path,omitempty"`
	Stop bool   `json:"stop,omitempty"`
	// Overwrite lets path replace an existing cassette (never a read-only
	// one); without it an existing file is refused with CodePathRefused.
	Overwrite bool `json:"overwrite,omitempty"`
}

// SessionRecordResult describes the session's recording after the call.
type SessionRecordResult struct {
	Recording bool   `json:"recording"`
	Path      string `json:"path,omitempty"`
	// Interactions is how many HTTP exchanges the cassette holds.
	Interactions int `json:"interactions"`
	// Calls is how many connector calls the cassette holds.
	Calls int `json:"calls"`
}

// RecordingDiffParams are the params of recording/diff. The fetch calls of
// the cassette From are run twice, each from its recorded state: once
// replayed from From, once live (or replayed from Against), and what came
// back is compared.
type RecordingDiffParams struct {
	From string `json:"from"`
	// Against is a newer cassette to compare with; empty runs live.
	Against string `json:"against,omitempty"`
	// Config replaces the recorded (redacted) config for the live run.
	Config json.RawMessage `json:"config,omitempty"`
	// Save keeps the live run as a cassette: the baseline to compare a
	// later run with (as Against, or as From).
	Save string `json:"save,omitempty"`
	// Overwrite lets Save replace an existing cassette.
	Overwrite     bool            `json:"overwrite,omitempty"`
	WorkDoneToken json.RawMessage `json:"workDoneToken,omitempty"`
}

// Drift kinds.
const (
	DriftFieldAdded   = "field-added"
	DriftFieldRemoved = "field-removed"
	DriftFieldRetyped = "field-retyped"
	DriftEnumAdded    = "enum-value-added"
	DriftItemAdded    = "item-added"
	DriftItemRemoved  = "item-removed"
	DriftItemChanged  = "item-changed"
)

// Drift is one difference between the recorded run and the new one.
type Drift struct {
	// Kind is one of the Drift* constants.
	Kind string `json:"kind"`
	// Endpoint is "METHOD /path" with ids replaced by {id}, for schema
	// drift.
	Endpoint string `json:"endpoint,omitempty"`
	// Resource and Reference name the item, for data drift.
	Resource  string `json:"resource,omitempty"`
	Reference string `json:"reference,omitempty"`
	// Field is the JSON path of the field ("data[].status").
	Field string `json:"field,omitempty"`
	// Before and After are the recorded and the new type, enum value or
	// field value.
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	Message string          `json:"message"`
}

// RecordingDriftParams are the params of recording/drift.
type RecordingDriftParams struct {
	From  string `json:"from"`
	Drift Drift  `json:"drift"`
}

// RecordingDiffResult is the result of recording/diff.
type RecordingDiffResult struct {
	From    string `json:"from"`
	Against string `json:"against,omitempty"`
	// Saved is the cassette the live run was saved to.
	Saved string `json:"saved,omitempty"`
	// Calls is how many recorded fetch calls were run again.
	Calls int `json:"calls"`
	// Endpoints lists every endpoint compared.
	Endpoints []string `json:"endpoints"`
	// Schema and Data hold the schema and the data drift.
	Schema []Drift `json:"schema"`
	// Data is at most 1000 drifts; DataTruncated says how many more there
	// were.
	Data          []Drift `json:"data"`
	DataTruncated int     `json:"dataTruncated,omitempty"`
	Drifted       bool    `json:"drifted"`
	DurationMs    float64 `json:"durationMs"`
}
