package review

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/protocol"
)

// grown is how many payments the incremental rule adds.
const grown = 3

// incremental runs the incremental rule on a connector whose source grows
// on demand (connector.Grower): a key walked to its end and walked again
// from its final state returns nothing; after grown new payments, exactly
// those. ran is false when the connector cannot grow or a walk does not
// end (the conformance check reports that).
func (t Target) incremental(ctx context.Context, from json.RawMessage, finding func(check string, state json.RawMessage, msg string)) (ran bool, err error) {
	g, ok := t.Conn.Connector.(connector.Grower)
	if !ok {
		return false, nil
	}
	first, final, ended, err := t.walk(ctx, from, nil)
	if err != nil || !ended {
		return false, err
	}
	again, _, ended, err := t.walk(ctx, from, final)
	if err != nil || !ended || len(again) > 0 {
		// A rerun that returns items is the rerun check's finding.
		return false, err
	}
	if err := g.Grow(ctx, from, grown); err != nil {
		return false, fmt.Errorf("review: growing the source: %w", err)
	}
	news, _, ended, err := t.walk(ctx, from, final)
	if err != nil {
		return true, err
	}
	old := 0
	for _, r := range news {
		if slices.Contains(first, r) {
			old++
		}
	}
	if !ended || len(news) != grown || old > 0 {
		finding(protocol.CheckIncremental, final, fmt.Sprintf("after %d new payments were added, a second run from the final state %s returned %d items (%d of them already fetched): %v; it should return exactly the %d new ones, so that the next sync cycle stores what came",
			grown, clip(final), len(news), old, clipRefs(news), grown))
	}
	return true, nil
}

// walkPageSize is the page of the incremental walks: larger than what
// grows, so that the rule sees incremental syncs, not page boundaries
// (the conformance check's business).
const walkPageSize = 50

// walk pages payments from state to their end with pages of walkPageSize
// (at most 1000 pages) and returns the references and the final state.
func (t Target) walk(ctx context.Context, from, state json.RawMessage) (refs []string, final json.RawMessage, ended bool, err error) {
	final = state
	for range 1000 {
		page, err := driver.Fetch(ctx, t.Conn, protocol.ResourcePayments, connector.FetchRequest{FromPayload: from, State: final, PageSize: walkPageSize})
		if err != nil {
			return refs, final, false, err
		}
		for _, r := range page.Records {
			refs = append(refs, r.Ref)
		}
		final = page.NewState
		if !page.HasMore {
			return refs, final, true, nil
		}
	}
	return refs, final, false, nil
}

func clipRefs(refs []string) []string {
	if len(refs) > 10 {
		return append(refs[:10:10], "…")
	}
	return refs
}
