package protocol

import "time"

// Workspace connector methods: connectors built from a directory and run as
// child processes, rebuilt and reloaded when their files change.
const (
	MethodConnectorsAdd  = "connectors/add"
	MethodConnectorsList = "connectors/list"

	// NotifyProviderReloaded is sent to every connection when a workspace
	// connector was rebuilt and its process swapped: open sessions keep
	// their config and state and use the new process from their next call.
	NotifyProviderReloaded = "provider/reloaded"
	// NotifyProviderBuildFailed is sent to every connection when a
	// rebuild failed; the last good process keeps serving.
	NotifyProviderBuildFailed = "provider/buildFailed"
)

// Workspace connector states.
const (
	ConnectorStateBuilding = "building"
	ConnectorStateReady    = "ready"
	ConnectorStateFailed   = "failed"
)

// ConnectorsAddParams are the params of connectors/add.
type ConnectorsAddParams struct {
	// Dir is the connector's directory: a Go module (built with go build)
	// or a directory with a switchboard.json manifest naming a command.
	Dir string `json:"dir"`
}

// ConnectorsListParams are the params of connectors/list.
type ConnectorsListParams struct{}

// ConnectorsListResult is the result of connectors/list.
type ConnectorsListResult struct {
	Connectors []WorkspaceConnector `json:"connectors"`
}

// WorkspaceConnector is a connector of the workspace.
type WorkspaceConnector struct {
	Dir string `json:"dir"`
	// Provider is the provider it registered; absent until a build
	// succeeded once.
	Provider *Provider `json:"provider,omitempty"`
	// State is one of the ConnectorState* constants.
	State string `json:"state"`
	// LastBuild is the last build, absent before the first ends.
	LastBuild *BuildInfo `json:"lastBuild,omitempty"`
	// Diagnostics are the compiler's messages of the last failed build.
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// BuildInfo describes one build of a workspace connector.
type BuildInfo struct {
	StartedAt  time.Time `json:"startedAt"`
	DurationMs float64   `json:"durationMs"`
	OK         bool      `json:"ok"`
	// Output is the build's output (the compiler's, or the reason the new
	// process could not start), capped.
	Output string `json:"output,omitempty"`
}

// Diagnostic is one compiler message, with a path relative to the
// connector's directory when it lies inside it.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// ProviderReloadedParams are the params of provider/reloaded.
type ProviderReloadedParams struct {
	Provider string `json:"provider"`
	Dir      string `json:"dir"`
}

// ProviderBuildFailedParams are the params of provider/buildFailed.
type ProviderBuildFailedParams struct {
	// Provider is empty when no build ever succeeded.
	Provider    string       `json:"provider"`
	Dir         string       `json:"dir"`
	Diagnostics []Diagnostic `json:"diagnostics"`
	// Output is the build's output, capped.
	Output string `json:"output,omitempty"`
}
