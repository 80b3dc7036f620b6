package connector

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type testConfig struct {
	Endpoint string `json:"endpoint,omitempty" jsonschema:"format=uri,description=Base URL"`
	APIKey   string `json:"apiKey" secret:"true" jsonschema:"required"`
	Retries  int    `json:"retries,omitempty" jsonschema:"minimum=0,maximum=5"`
}

type testConn struct{}

func (*testConn) FetchAccounts(context.Context, FetchRequest) (Page[Account], error) {
	return Page[Account]{}, nil
}

var _ AccountsFetcher = (*testConn)(nil)

func testProvider() *Provider {
	return Define("t", Info{Description: "test"}, (*testConn)(nil), func(ctx context.Context, c testConfig, env Env) (Connector, error) {
		return &testConn{}, nil
	})
}

func TestConfigSchemaMarksSecrets(t *testing.T) {
	p := testProvider()
	var s struct {
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	if err := json.Unmarshal(p.ConfigSchema(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Properties["apiKey"]["writeOnly"] != true {
		t.Errorf("apiKey not writeOnly: %s", p.ConfigSchema())
	}
	if _, ok := s.Properties["endpoint"]["writeOnly"]; ok {
		t.Errorf("endpoint is writeOnly: %s", p.ConfigSchema())
	}
	if diff := cmp.Diff([]string{"apiKey"}, s.Required); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"fetch:accounts"}, p.Capabilities()); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
}

func TestValidateConfig(t *testing.T) {
	p := testProvider()
	for _, tc := range []struct {
		name   string
		config string
		want   []FieldError
	}{
		{"ok", `{"apiKey":"k"}`, nil},
		{"missing required", `{}`, []FieldError{{Field: "apiKey", Message: "is required"}}},
		{"wrong type", `{"apiKey":"k","retries":"x"}`, []FieldError{{Field: "retries"}}},
		{"out of range", `{"apiKey":"k","retries":9}`, []FieldError{{Field: "retries"}}},
		{"unknown field", `{"apiKey":"k","nope":1}`, []FieldError{{Field: "nope", Message: "is not a known field"}}},
		{"two bad", `{"retries":-1}`, []FieldError{{Field: "apiKey", Message: "is required"}, {Field: "retries"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.ValidateConfig(json.RawMessage(tc.config))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want ConfigError, got %v", err)
			}
			got := ce.Fields
			// Only compare messages we fixed; the library's wording may vary.
			for i := range got {
				if i < len(tc.want) && tc.want[i].Message == "" {
					got[i].Message = ""
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedactConfig(t *testing.T) {
	p := testProvider()
	got := p.RedactConfig(json.RawMessage(`{"apiKey":"sk_live_123","endpoint":"http://x"}`))
	if diff := cmp.Diff(`{"apiKey":"***","endpoint":"http://x"}`, string(got)); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"sk_live_123"}, p.SecretValues(json.RawMessage(`{"apiKey":"sk_live_123"}`))); diff != "" {
		t.Error(diff)
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	r := NewRegistry()
	r.Register(testProvider())
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate Register did not panic")
		}
	}()
	r.Register(testProvider())
}
