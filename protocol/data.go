package protocol

import (
	"encoding/json"
	"time"
)

// DataListParams are the params of data/list: stored items of one resource
// of a session, newest first, filtered.
type DataListParams struct {
	SessionID string `json:"sessionId"`
	Resource  string `json:"resource"`
	// Limit is the page size (default 100, at most 1000).
	Limit int `json:"limit,omitempty"`
	// Cursor is the nextCursor of the previous call.
	Cursor string      `json:"cursor,omitempty"`
	Filter *DataFilter `json:"filter,omitempty"`
}

// DataFilter narrows data/list. Empty fields do not filter.
type DataFilter struct {
	Status string `json:"status,omitempty"`
	Type   string `json:"type,omitempty"`
	Asset  string `json:"asset,omitempty"`
	// Account matches an item's own reference, its source, destination or
	// account reference.
	Account       string     `json:"account,omitempty"`
	CreatedAfter  *time.Time `json:"createdAfter,omitempty"`
	CreatedBefore *time.Time `json:"createdBefore,omitempty"`
}

// DataListResult is the result of data/list. Items are wire items of the
// resource (Account, Balance, Payment or Other).
type DataListResult struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"nextCursor,omitempty"`
	// Total is the number of items matching the filter. Without a filter
	// it is exact (a counter). With one, it counts at most 10,000 items,
	// so that a page costs the same however many are stored: past them,
	// Total is a lower bound and TotalAtLeast is true.
	Total int `json:"total"`
	// TotalAtLeast says Total is a lower bound (a filtered list of more
	// than 10,000 items); absent when Total is exact.
	TotalAtLeast bool `json:"totalAtLeast,omitempty"`
}

// DataExportParams are the params of data/export: the session's stored
// items written as JSON Lines to Path on the daemon's machine. Without a
// resource, every resource is exported. An existing file at Path is
// replaced only with Overwrite, and never one whose mode says the user may
// not write it, nor anything but a regular file (CodePathRefused).
type DataExportParams struct {
	SessionID string `json:"sessionId"`
	Resource  string `json:"resource,omitempty"`
	Path      string `json:"path"`
	Overwrite bool   `json:"overwrite,omitempty"`
}

// DataExportResult is the result of data/export.
type DataExportResult struct {
	Path  string `json:"path"`
	Items int    `json:"items"`
	Bytes int64  `json:"bytes"`
}

// ExportLine is one line of an export file.
type ExportLine struct {
	Resource string          `json:"resource"`
	Item     json.RawMessage `json:"item"`
}

// DataImportParams are the params of data/import: JSON Lines of
// ExportLine read from Path on the daemon's machine into a session.
// Path must be a regular file (a FIFO or device is refused with
// CodePathRefused, never waited on).
type DataImportParams struct {
	SessionID string `json:"sessionId"`
	Path      string `json:"path"`
}

// DataImportResult is the result of data/import.
type DataImportResult struct {
	Items int `json:"items"`
}

// HTTPListParams are the params of http/list: the session's recent HTTP
// exchanges, newest last.
type HTTPListParams struct {
	SessionID string `json:"sessionId"`
	Limit     int    `json:"limit,omitempty"`
	Operation string `json:"operation,omitempty"`
}

// HTTPListResult is the result of http/list.
type HTTPListResult struct {
	Exchanges []HTTPExchangeParams `json:"exchanges"`
}

// LogListParams are the params of log/list.
type LogListParams struct {
	SessionID string `json:"sessionId"`
	Limit     int    `json:"limit,omitempty"`
	// Level is the lowest level listed: debug, info, warn, error.
	Level string `json:"level,omitempty"`
}

// LogListResult is the result of log/list.
type LogListResult struct {
	Logs []LogParams `json:"logs"`
}

// CallsListParams are the params of calls/list.
type CallsListParams struct {
	SessionID string `json:"sessionId"`
	Limit     int    `json:"limit,omitempty"`
	Operation string `json:"operation,omitempty"`
}

// CallsListResult is the result of calls/list.
type CallsListResult struct {
	Calls []Call `json:"calls"`
}

// Call is one connector call: what was asked, what came back, and the
// state around it.
type Call struct {
	ID          string          `json:"id"`
	Operation   string          `json:"operation"`
	StartedAt   time.Time       `json:"startedAt"`
	DurationMs  float64         `json:"durationMs"`
	Params      json.RawMessage `json:"params,omitempty"`
	Result      string          `json:"result,omitempty"`
	Error       string          `json:"error,omitempty"`
	StateBefore json.RawMessage `json:"stateBefore,omitempty"`
	StateAfter  json.RawMessage `json:"stateAfter,omitempty"`
	// HTTPExchanges are the ids of the exchanges the call caused.
	HTTPExchanges []string `json:"httpExchanges,omitempty"`
}
