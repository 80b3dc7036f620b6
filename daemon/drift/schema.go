// Package drift compares a recorded connector session with a new run of
// it: per endpoint, the JSON schema inferred from the response bodies
// (fields added, removed or retyped, new enum values), and per item by
// reference, the data (items added, removed, fields changed).
package drift

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/switchboardpay/switchboard/protocol"
)

// A string field is taken for an enum when it shows at most enumMax
// distinct values, each seen twice on average: ids and free text (one
// value per item) are not enums.
const enumMax = 12

// Field is what the bodies of one endpoint showed at one JSON path.
type Field struct {
	Types  map[string]bool // JSON types: string, number, boolean, object, array, null
	Values map[string]int  // string values and how often each was seen (bounded)
	Seen   int
}

// Schema is the inferred schema of one endpoint: JSON path -> field.
// Array elements are "[]": "data[].status".
type Schema map[string]*Field

// Add folds one JSON body into the schema; a body that is not JSON is
// skipped.
func (s Schema) Add(body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	s.add("", v)
}

func (s Schema) add(path string, v any) {
	if path != "" {
		f := s[path]
		if f == nil {
			f = &Field{Types: map[string]bool{}, Values: map[string]int{}}
			s[path] = f
		}
		f.Seen++
		f.Types[typeOf(v)] = true
		if str, ok := v.(string); ok && len(f.Values) <= enumMax*4 {
			f.Values[str]++
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			s.add(join(path, k), e)
		}
	case []any:
		for _, e := range x {
			s.add(path+"[]", e)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// enum returns the field's values when it looks like an enum.
func (f *Field) enum() map[string]int {
	if len(f.Values) == 0 || len(f.Values) > enumMax || f.Seen < 2*len(f.Values) {
		return nil
	}
	return f.Values
}

// types returns the field's types but null, sorted; null alone when it
// was only ever null.
func (f *Field) types() []string {
	var out []string
	for t := range f.Types {
		if t != "null" {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return []string{"null"}
	}
	sort.Strings(out)
	return out
}

// CompareSchemas reports the drift of one endpoint from old to new. A
// field only ever null on one side is not retyped (a sample without a
// value says nothing of its type).
func CompareSchemas(endpoint string, old, new Schema) []protocol.Drift {
	var out []protocol.Drift
	for _, path := range sortedPaths(old, new) {
		o, n := old[path], new[path]
		switch {
		case n == nil:
			if parentPresent(new, path) {
				out = append(out, protocol.Drift{Kind: protocol.DriftFieldRemoved, Endpoint: endpoint, Field: path,
					Before: jsonOf(o.types()), Message: fmt.Sprintf("%s: field %s removed", endpoint, path)})
			}
		case o == nil:
			if parentPresent(old, path) {
				out = append(out, protocol.Drift{Kind: protocol.DriftFieldAdded, Endpoint: endpoint, Field: path,
					After: jsonOf(n.types()), Message: fmt.Sprintf("%s: field %s added (%s)", endpoint, path, strings.Join(n.types(), "|"))})
			}
		default:
			ot, nt := o.types(), n.types()
			if ot[0] != "null" && nt[0] != "null" && strings.Join(ot, "|") != strings.Join(nt, "|") {
				out = append(out, protocol.Drift{Kind: protocol.DriftFieldRetyped, Endpoint: endpoint, Field: path,
					Before: jsonOf(ot), After: jsonOf(nt), Message: fmt.Sprintf("%s: field %s was %s, is %s", endpoint, path, strings.Join(ot, "|"), strings.Join(nt, "|"))})
			}
			if enum := o.enum(); enum != nil {
				var added []string
				for v := range n.Values {
					if _, ok := enum[v]; !ok {
						added = append(added, v)
					}
				}
				sort.Strings(added)
				if len(added) > 0 && len(n.Values) <= enumMax {
					for _, v := range added {
						out = append(out, protocol.Drift{Kind: protocol.DriftEnumAdded, Endpoint: endpoint, Field: path,
							Before: jsonOf(sortedKeys(enum)), After: jsonOf(v), Message: fmt.Sprintf("%s: field %s has a new value %q", endpoint, path, v)})
					}
				}
			}
		}
	}
	return out
}

// parentPresent reports whether the object holding path was seen: a
// field of an object that is not there at all is not removed, its object
// is.
func parentPresent(s Schema, path string) bool {
	i := strings.LastIndexAny(path, ".")
	if i < 0 {
		return true
	}
	parent := strings.TrimSuffix(path[:i], "[]")
	_, ok := s[path[:i]]
	if !ok {
		_, ok = s[parent]
	}
	return ok
}

// sortedPaths returns the keys of a and b, once each, sorted.
func sortedPaths[V any](a, b map[string]V) []string {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return sortedKeys(m)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func jsonOf(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// Endpoint names a request by method and path, with the segments that
// look like ids replaced by {id}: every account's transactions are one
// endpoint.
func Endpoint(method, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return method + " " + rawURL
	}
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		if isID(s) {
			segs[i] = "{id}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

func isID(s string) bool {
	if len(s) < 6 {
		return false
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits > 0 || strings.Contains(s, "_")
}
