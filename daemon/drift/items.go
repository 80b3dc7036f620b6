package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/switchboardpay/switchboard/protocol"
)

// Item is one fetched item: its resource, reference and wire JSON.
type Item struct {
	Resource, Reference string
	JSON                json.RawMessage
}

// MaxDataDrift bounds the data drift one comparison reports; the result
// says when more were found.
const MaxDataDrift = 1000

// CompareItems reports, per item by resource and reference, the items
// added and removed, and each field changed, added or removed (JSON leaf
// paths). It returns at most MaxDataDrift drifts and how many there were.
func CompareItems(old, new []Item) ([]protocol.Drift, int) {
	key := func(it Item) string { return it.Resource + "\x00" + it.Reference }
	om, nm := map[string]Item{}, map[string]Item{}
	for _, it := range old {
		om[key(it)] = it
	}
	for _, it := range new {
		nm[key(it)] = it
	}
	var out []protocol.Drift
	total := 0
	add := func(d protocol.Drift) {
		total++
		if len(out) < MaxDataDrift {
			out = append(out, d)
		}
	}
	keys := make([]string, 0, len(om)+len(nm))
	for k := range om {
		keys = append(keys, k)
	}
	for k := range nm {
		if _, ok := om[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		o, inOld := om[k]
		n, inNew := nm[k]
		switch {
		case !inNew:
			add(protocol.Drift{Kind: protocol.DriftItemRemoved, Resource: o.Resource, Reference: o.Reference, Before: o.JSON,
				Message: fmt.Sprintf("%s %s is gone", o.Resource, o.Reference)})
		case !inOld:
			add(protocol.Drift{Kind: protocol.DriftItemAdded, Resource: n.Resource, Reference: n.Reference, After: n.JSON,
				Message: fmt.Sprintf("%s %s is new", n.Resource, n.Reference)})
		case !bytes.Equal(o.JSON, n.JSON):
			ol, nl := leaves(o.JSON), leaves(n.JSON)
			for _, path := range sortedPaths(ol, nl) {
				ov, oh := ol[path]
				nv, nh := nl[path]
				if oh && nh && bytes.Equal(ov, nv) {
					continue
				}
				d := protocol.Drift{Kind: protocol.DriftItemChanged, Resource: n.Resource, Reference: n.Reference, Field: path, Before: ov, After: nv}
				switch {
				case !nh:
					d.Message = fmt.Sprintf("%s %s: %s removed (was %s)", n.Resource, n.Reference, path, ov)
				case !oh:
					d.Message = fmt.Sprintf("%s %s: %s added (%s)", n.Resource, n.Reference, path, nv)
				default:
					d.Message = fmt.Sprintf("%s %s: %s was %s, is %s", n.Resource, n.Reference, path, ov, nv)
				}
				add(d)
			}
		}
	}
	return out, total
}

// leaves flattens a JSON value into its leaf paths and compact values.
func leaves(raw json.RawMessage) map[string]json.RawMessage {
	var v any
	out := map[string]json.RawMessage{}
	if json.Unmarshal(raw, &v) != nil {
		out[""] = raw
		return out
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				out[path] = json.RawMessage("{}")
			}
			for k, e := range x {
				walk(join(path, k), e)
			}
		case []any:
			if len(x) == 0 {
				out[path] = json.RawMessage("[]")
			}
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		default:
			b, _ := json.Marshal(x)
			out[path] = b
		}
	}
	walk("", v)
	return out
}
