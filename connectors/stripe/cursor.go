package stripe

import (
	"bytes"
	"encoding/json"
	"fmt"

	stripego "github.com/stripe/stripe-go/v80"

	"github.com/switchboardpay/switchboard/connector"
)

// cursor is the state of one newest-first Stripe list (see the package
// docs): the backfill walk's position, the newest id seen, and whether the
// walk is over.
type cursor struct {
	// LastID is the oldest id the first walk has seen: its next page
	// starts after it.
	LastID string `json:"lastId,omitempty"`
	// NewestID is the newest id seen: once caught up, the next page ends
	// before it (that is, holds what is newer).
	NewestID string `json:"newestId,omitempty"`
	// CaughtUp is set when the first walk reached the oldest object.
	CaughtUp bool `json:"caughtUp,omitempty"`
}

// accountsState is the accounts list's state: the platform account first,
// then the connected accounts' cursor.
type accountsState struct {
	PlatformDone bool `json:"platformDone"`
	cursor
}

// parseState decodes raw into st; empty or null leaves st as it is.
func parseState(raw json.RawMessage, st any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return fmt.Errorf("stripe: state %s: %w: %v", raw, connector.ErrInvalidState, err)
	}
	return nil
}

// tailing reports whether the next page asks for objects newer than
// NewestID, rather than continuing the first walk.
func (c cursor) tailing() bool { return c.CaughtUp && c.NewestID != "" }

// apply sets the cursor parameters of the next request.
func (c cursor) apply(lp *stripego.ListParams) {
	switch {
	case c.tailing():
		lp.EndingBefore = stripego.String(c.NewestID)
	case c.LastID != "":
		lp.StartingAfter = stripego.String(c.LastID)
	}
}

// advance moves the cursor past a page whose ids, in Stripe's order
// (newest first), are ids. It reports whether the page came from tailing,
// whose items the caller returns oldest first.
func (c *cursor) advance(ids []string, hasMore bool) (tail bool) {
	if c.tailing() {
		if len(ids) > 0 {
			c.NewestID = ids[0]
		}
		return true
	}
	if len(ids) > 0 {
		if c.NewestID == "" {
			c.NewestID = ids[0]
		}
		c.LastID = ids[len(ids)-1]
	}
	c.CaughtUp = !hasMore
	return false
}

// reverse reverses s in place.
func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func marshalState(st any) (json.RawMessage, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("stripe: encode state: %w", err)
	}
	return raw, nil
}
