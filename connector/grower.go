package connector

import (
	"context"
	"encoding/json"
)

// Grower is implemented by connectors whose data source can be grown on
// demand: the demo connector (its bank) and the test providers. The
// incremental review rule of the conformance check uses it to see that a
// second sync of a completed key fetches exactly what was added.
type Grower interface {
	// Grow adds n new payments for the parent item (nil for a root
	// resource), dated after every existing one.
	Grow(ctx context.Context, parent json.RawMessage, n int) error
}
