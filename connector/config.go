package connector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/invopop/jsonschema"
	sjs "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Redacted replaces every secret value wherever the daemon echoes config.
const Redacted = "***"

// FieldError names one bad config field by its JSON path ("apiKey",
// "limits.max").
type FieldError struct {
	Field   string
	Message string
}

// ConfigError lists every bad field of a config; Open is not called.
type ConfigError struct {
	Fields []FieldError
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid config: " + strings.Join(parts, "; ")
}

// configSpec is what the registry derives from a provider's config struct:
// its JSON Schema, a compiled validator and the paths of its secret fields.
type configSpec struct {
	schema    json.RawMessage
	validator *sjs.Schema
	secrets   [][]string // JSON paths of fields tagged secret:"true"
}

// newConfigSpec derives the spec from the struct type t. A field tagged
// `secret:"true"` is writeOnly in the schema and redacted on echo; the
// `jsonschema:"..."` tags of invopop/jsonschema (required, enum, minimum,
// description...) shape the rest. Fields are optional unless tagged
// required.
func newConfigSpec(t reflect.Type) (*configSpec, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("config type %s is not a struct", t)
	}
	r := &jsonschema.Reflector{
		DoNotReference:             true,
		ExpandedStruct:             true,
		RequiredFromJSONSchemaTags: true,
		Anonymous:                  true,
	}
	s := r.ReflectFromType(t)
	s.Version = ""
	s.ID = ""
	spec := &configSpec{}
	markSecrets(t, s, nil, &spec.secrets)
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	spec.schema = raw

	doc, err := sjs.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	c := sjs.NewCompiler()
	c.DefaultDraft(sjs.Draft2020)
	if err := c.AddResource("config.json", doc); err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	spec.validator, err = c.Compile("config.json")
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	return spec, nil
}

// markSecrets walks the struct type and its schema together, setting
// writeOnly on secret fields and collecting their JSON paths.
func markSecrets(t reflect.Type, s *jsonschema.Schema, path []string, out *[][]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || s == nil || s.Properties == nil {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		prop, ok := s.Properties.Get(name)
		if !ok {
			continue
		}
		p := append(append([]string(nil), path...), name)
		if f.Tag.Get("secret") == "true" {
			prop.WriteOnly = true
			*out = append(*out, p)
			continue
		}
		markSecrets(f.Type, prop, p, out)
	}
}

// validate checks raw config against the schema and reports each bad field.
func (cs *configSpec) validate(raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		raw = json.RawMessage("{}")
	}
	doc, err := sjs.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ConfigError{Fields: []FieldError{{Field: "", Message: "not valid JSON: " + err.Error()}}}
	}
	err = cs.validator.Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*sjs.ValidationError)
	if !ok {
		return &ConfigError{Fields: []FieldError{{Message: err.Error()}}}
	}
	var fields []FieldError
	seen := map[string]bool{}
	var walk func(u sjs.OutputUnit)
	walk = func(u sjs.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			loc := strings.Trim(strings.ReplaceAll(u.InstanceLocation, "/", "."), ".")
			switch k := u.Error.Kind.(type) {
			case *kind.Required:
				for _, m := range k.Missing {
					fields = append(fields, FieldError{Field: joinPath(loc, m), Message: "is required"})
				}
				return
			case *kind.AdditionalProperties:
				for _, p := range k.Properties {
					fields = append(fields, FieldError{Field: joinPath(loc, p), Message: "is not a known field"})
				}
				return
			case *kind.Group, *kind.AllOf, *kind.Schema, *kind.Reference:
				// wrappers: the leaves say what is wrong
			}
			msg := u.Error.String()
			if !seen[loc+msg] {
				seen[loc+msg] = true
				fields = append(fields, FieldError{Field: loc, Message: msg})
			}
		}
		for _, c := range u.Errors {
			walk(c)
		}
	}
	walk(*ve.BasicOutput())
	if len(fields) == 0 {
		fields = append(fields, FieldError{Message: ve.Error()})
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	return &ConfigError{Fields: fields}
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// redact returns raw with every secret field that is present replaced by
// Redacted. Anything that is not a JSON object comes back as {}.
func (cs *configSpec) redact(raw json.RawMessage) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return json.RawMessage("{}")
	}
	for _, p := range cs.secrets {
		redactPath(m, p)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage("{}")
	}
	return out
}

func redactPath(m map[string]any, p []string) {
	v, ok := m[p[0]]
	if !ok || v == nil {
		return
	}
	if len(p) == 1 {
		m[p[0]] = Redacted
		return
	}
	if sub, ok := v.(map[string]any); ok {
		redactPath(sub, p[1:])
	}
}

// secretValues returns the string values of the secret fields of raw, so
// that later layers (HTTP capture) can scrub them wherever they appear.
func (cs *configSpec) secretValues(raw json.RawMessage) []string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	var out []string
	for _, p := range cs.secrets {
		cur := any(m)
		for _, k := range p {
			mm, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = mm[k]
		}
		if s, ok := cur.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}
