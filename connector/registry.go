package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"sync"
)

// Env is what the daemon hands a connector when it opens it. A connector
// uses HTTPClient for every call to its provider (so the daemon can capture
// and redact the traffic) and Logger for its logs (so they reach the
// session's subscribers). Neither is ever nil.
type Env struct {
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Info describes a provider.
type Info struct {
	Description string
	// DefaultPageSize is the page size of a new session that names none.
	DefaultPageSize int
}

// OpenFunc opens a connector from its decoded config.
type OpenFunc[C any] func(ctx context.Context, cfg C, env Env) (Connector, error)

// Provider is a registered connector kind: a name, a config type and a way
// to open it. Build one with Define.
type Provider struct {
	Name string
	Info Info

	spec   *configSpec
	open   func(ctx context.Context, raw json.RawMessage, env Env) (Connector, error)
	sample Connector // zero-config instance used only for capability discovery
}

// Define builds a Provider whose config is the struct C. C's JSON Schema is
// derived from its fields (see the package docs for tags); a field tagged
// `secret:"true"` is writeOnly and never echoed. Define panics if C is not a
// struct: that is a programming error found at init.
//
// probe is a zero-value connector of the provider's concrete type, used to
// report its capabilities before any session exists (for example
// (*MyConnector)(nil)); it is never called.
func Define[C any](name string, info Info, probe Connector, open OpenFunc[C]) *Provider {
	spec, err := newConfigSpec(reflect.TypeFor[C]())
	if err != nil {
		panic(fmt.Sprintf("connector: provider %q: %v", name, err))
	}
	if info.DefaultPageSize <= 0 {
		info.DefaultPageSize = 100
	}
	return &Provider{
		Name:   name,
		Info:   info,
		spec:   spec,
		sample: probe,
		open: func(ctx context.Context, raw json.RawMessage, env Env) (Connector, error) {
			var cfg C
			if len(raw) > 0 && string(raw) != "null" {
				if err := json.Unmarshal(raw, &cfg); err != nil {
					return nil, &ConfigError{Fields: []FieldError{{Message: err.Error()}}}
				}
			}
			return open(ctx, cfg, env)
		},
	}
}

// ConfigSchema returns the provider's config JSON Schema.
func (p *Provider) ConfigSchema() json.RawMessage { return p.spec.schema }

// Capabilities returns the provider's capability strings.
func (p *Provider) Capabilities() []string { return Capabilities(p.sample) }

// ValidateConfig checks raw config against the schema; the error is a
// *ConfigError naming each bad field.
func (p *Provider) ValidateConfig(raw json.RawMessage) error { return p.spec.validate(raw) }

// RedactConfig returns raw with every secret field replaced by "***".
func (p *Provider) RedactConfig(raw json.RawMessage) json.RawMessage { return p.spec.redact(raw) }

// SecretValues returns the values of raw's secret fields, for scrubbing.
func (p *Provider) SecretValues(raw json.RawMessage) []string { return p.spec.secretValues(raw) }

// Open validates raw config and opens a connector. env's nil fields are
// filled with defaults.
func (p *Provider) Open(ctx context.Context, raw json.RawMessage, env Env) (Connector, error) {
	if err := p.ValidateConfig(raw); err != nil {
		return nil, err
	}
	if env.HTTPClient == nil {
		env.HTTPClient = &http.Client{}
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return p.open(ctx, raw, env)
}

// Registry holds providers by name. The package-level Register and Lookup
// use a default registry; tests make their own with NewRegistry.
type Registry struct {
	mu        sync.RWMutex
	providers map[string]*Provider // guarded by mu
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{providers: map[string]*Provider{}}
}

// Register adds p; it panics on a duplicate or empty name, since that is a
// programming error found at init.
func (r *Registry) Register(p *Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == nil || p.Name == "" {
		panic("connector: Register of a provider without a name")
	}
	if _, dup := r.providers[p.Name]; dup {
		panic(fmt.Sprintf("connector: provider %q registered twice", p.Name))
	}
	r.providers[p.Name] = p
}

// Lookup returns the provider named name.
func (r *Registry) Lookup(name string) (*Provider, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.providers[name]
	return p, ok
}

// Providers returns every provider sorted by name.
func (r *Registry) Providers() []*Provider {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Provider, 0, len(r.providers))
	for _, p := range r.providers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns every provider name, sorted.
func (r *Registry) Names() []string {
	ps := r.Providers()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

var defaultRegistry = NewRegistry()

// Default returns the registry that Register fills from init functions.
func Default() *Registry { return defaultRegistry }

// Register adds p to the default registry; call it from an init function.
// It panics on a duplicate name.
func Register(p *Provider) { defaultRegistry.Register(p) }
