package wire

import "encoding/json"

// FetchResult is the result of connector/fetch: items are wire items of
// the resource (protocol.Account, Balance, Payment, Other, Order or
// Conversion). A payments page may name stored payments to delete or to
// mark CANCELLED.
type FetchResult struct {
	Items            json.RawMessage `json:"items"`
	NewState         json.RawMessage `json:"newState"`
	HasMore          bool            `json:"hasMore"`
	PaymentsToDelete []string        `json:"paymentsToDelete,omitempty"`
	PaymentsToCancel []string        `json:"paymentsToCancel,omitempty"`
}
