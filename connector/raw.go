package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"
)

// DefineRaw builds a Provider from a JSON Schema and a capability list known
// only at run time: a connector in another process that declared them in a
// handshake. Secret fields are the schema's properties marked
// "writeOnly": true. open receives the raw config after it has been
// validated against schema. An empty schema accepts any object.
func DefineRaw(name string, info Info, schema json.RawMessage, caps []string,
	open func(ctx context.Context, raw json.RawMessage, env Env) (Connector, error)) (*Provider, error) {
	if name == "" {
		return nil, fmt.Errorf("connector: DefineRaw without a name")
	}
	if len(bytes.TrimSpace(schema)) == 0 || string(bytes.TrimSpace(schema)) == "null" {
		schema = json.RawMessage(`{"type":"object"}`)
	}
	spec, err := newRawConfigSpec(schema)
	if err != nil {
		return nil, fmt.Errorf("connector: provider %q: %w", name, err)
	}
	if info.DefaultPageSize <= 0 {
		info.DefaultPageSize = 100
	}
	c := append(staticCaps(nil), caps...)
	return &Provider{Name: name, Info: info, spec: spec, sample: c, open: open}, nil
}

// staticCaps reports a fixed capability list, for providers defined with
// DefineRaw.
type staticCaps []string

func (s staticCaps) Capabilities() []string { return append([]string(nil), s...) }

func newRawConfigSpec(schema json.RawMessage) (*configSpec, error) {
	doc, err := sjs.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	c := sjs.NewCompiler()
	c.DefaultDraft(sjs.Draft2020)
	if err := c.AddResource("config.json", doc); err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	v, err := c.Compile("config.json")
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	spec := &configSpec{schema: append(json.RawMessage(nil), schema...), validator: v}
	var m map[string]any
	if json.Unmarshal(schema, &m) == nil {
		collectWriteOnly(m, nil, &spec.secrets)
	}
	return spec, nil
}

// collectWriteOnly gathers the paths of properties marked writeOnly.
func collectWriteOnly(s map[string]any, path []string, out *[][]string) {
	props, _ := s["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		sub, ok := props[k].(map[string]any)
		if !ok {
			continue
		}
		p := append(append([]string(nil), path...), k)
		if w, _ := sub["writeOnly"].(bool); w {
			*out = append(*out, p)
			continue
		}
		collectWriteOnly(sub, p, out)
	}
}
