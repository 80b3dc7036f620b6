package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardpay/switchboard/protocol"
)

func TestRedactJSON(t *testing.T) {
	r := Merge(NewRedactor([]string{secret}), NewRedactor([]string{"12345678"}))
	for _, tc := range []struct {
		name, in, want string
		paths          []string
	}{
		{"clean", `{"a":"b"}`, `{"a":"b"}`, nil},
		{"nested string", `{"a":{"b":["x","key ` + secret + `"]},"n":1}`, `{"a":{"b":["x","key ***"]},"n":1}`, []string{"a.b[1]"}},
		{"key", `{"` + secret + `":1}`, `{"***":1}`, []string{secret}},
		{"number left valid", `{"amount":12345678,"s":"12345678"}`, `{"amount":12345678,"s":"***"}`, []string{"s"}},
		{"not json", `oops ` + secret, `"oops ***"`, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, paths := r.JSON(json.RawMessage(tc.in))
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Error(diff)
			}
			if diff := cmp.Diff(tc.paths, paths); diff != "" {
				t.Error(diff)
			}
			if !json.Valid(got) {
				t.Errorf("invalid JSON %s", got)
			}
		})
	}
}

func TestRedactError(t *testing.T) {
	r := NewRedactor([]string{secret})
	pe := &protocol.Error{Code: protocol.CodeConnectorError, Message: "refused " + secret,
		Data: protocol.ConnectorErrorData{Provider: "p", Message: "body " + secret}}
	got := r.Error(fmt.Errorf("wrapped: %w", pe))
	var out *protocol.Error
	if !errors.As(got, &out) || out.Code != protocol.CodeConnectorError {
		t.Fatalf("lost the code: %v", got)
	}
	b, _ := json.Marshal(out)
	if strings.Contains(string(b), secret) || !strings.Contains(string(b), `"provider":"p"`) {
		t.Errorf("redacted error %s", b)
	}
	plain := r.Error(fmt.Errorf("key %s: %w", secret, context.Canceled))
	if strings.Contains(plain.Error(), secret) || !errors.Is(plain, context.Canceled) {
		t.Errorf("plain error %v (cancelled %v)", plain, errors.Is(plain, context.Canceled))
	}
	clean := errors.New("nothing here")
	if r.Error(clean) != clean {
		t.Error("a clean error was replaced")
	}
}

func TestRedactingHandler(t *testing.T) {
	var buf bytes.Buffer
	r := NewRedactor([]string{secret})
	l := slog.New(NewRedactingHandler(slog.NewTextHandler(&buf, nil), func() *Redactor { return r }))
	l.With("bound", "b "+secret).Warn("open failed: "+secret, "err", errors.New("e "+secret), slog.Group("g", "k", secret))
	if strings.Contains(buf.String(), secret) || strings.Count(buf.String(), Redacted) != 4 {
		t.Errorf("log line %s", buf.String())
	}
}
