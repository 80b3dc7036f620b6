package protocol

// Source location methods: where the connector methods of workspace
// connectors are in their Go source, so an editor can put actions (fetch
// the next page, reset the state) and check findings on those lines. The
// daemon parses the files (go/parser); no language server is needed.
const (
	MethodConnectorsMethods = "connectors/methods" // ConnectorsMethodsParams -> ConnectorsMethodsResult
)

// ConnectorsMethodsParams are the params of connectors/methods.
type ConnectorsMethodsParams struct {
	// Dir limits the answer to the workspace connector of that directory
	// (as connectors/add was given it, or absolute); empty means every
	// workspace connector.
	Dir string `json:"dir,omitempty"`
}

// ConnectorsMethodsResult is the result of connectors/methods.
type ConnectorsMethodsResult struct {
	Connectors []ConnectorMethods `json:"connectors"`
}

// ConnectorMethods are the capability methods found in one workspace
// connector's Go files (its directory, not its subdirectories or tests).
type ConnectorMethods struct {
	// Dir is the connector's absolute directory.
	Dir string `json:"dir"`
	// Provider is the provider it registered; empty until a build
	// succeeded once.
	Provider string         `json:"provider,omitempty"`
	Methods  []SourceMethod `json:"methods"`
	// Errors are the files that did not parse; the methods of the files
	// that did are still listed.
	Errors []Diagnostic `json:"errors"`
}

// SourceMethod is one method of a connector type whose name is a
// capability method (FetchPayments, CreateTransfer, ...).
type SourceMethod struct {
	// Name is the method name, e.g. "FetchPayments".
	Name string `json:"name"`
	// Receiver is the receiver's type name, e.g. "Connector".
	Receiver string `json:"receiver"`
	// Capability is the Cap* string the method serves, e.g. "fetch:payments".
	Capability string `json:"capability"`
	// Resource is the resource a fetch method serves ("payments"); empty
	// for the other methods.
	Resource string `json:"resource,omitempty"`
	// File is the absolute path of the source file.
	File string `json:"file"`
	// Line and Column (1-based) are where the func keyword is; EndLine is
	// the line of the closing brace.
	Line    int `json:"line"`
	Column  int `json:"column"`
	EndLine int `json:"endLine"`
}
