package redact

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const secret = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

func TestRedactBody(t *testing.T) {
	r := NewRedactor([]string{secret})
	for _, tc := range []struct {
		name, ctype, in, want string
	}{
		{"json fields any case", "application/json", `{"apiKey":"a1","nested":{"client_secret" : "b2","Password":"c3"},"name":"ok"}`,
			`{"apiKey":"***","nested":{"client_secret" : "***","Password":"***"},"name":"ok"}`},
		{"escaped quotes", "application/json", `{"token":"a\"b","x":"y"}`, `{"token":"***","x":"y"}`},
		{"not a key", "application/json", `["token","secret"]`, `["token","secret"]`},
		{"non-string secret kept", "application/json", `{"key":12}`, `{"key":12}`},
		{"secret value anywhere", "text/plain", "auth failed for " + secret, "auth failed for ***"},
		{"form", "application/x-www-form-urlencoded", "amount=100&card[number]=42&api_key=zz", "amount=100&api_key=%2A%2A%2A&card%5Bnumber%5D=42"},
		{"url-encoded secret", "text/plain", url.QueryEscape(secret + "/x"), "***%2Fx"},
		{"base64 secret", "text/plain", "Basic " + base64.StdEncoding.EncodeToString([]byte(secret+":")), "Basic ***"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, r.Body(tc.ctype, tc.in)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestRedactURLAndHeaders(t *testing.T) {
	r := NewRedactor([]string{secret})
	got := r.URL("https://user:pw@api.example/v1/x?api_key=abc&limit=10&q=" + secret)
	if strings.Contains(got, "abc") || strings.Contains(got, secret) || strings.Contains(got, "pw") || !strings.Contains(got, "limit=10") {
		t.Errorf("url %s", got)
	}
	h := r.Headers(map[string][]string{"Authorization": {"Bearer " + secret}, "X-Api-Key": {"k"}, "Idempotency-Key": {"t-1"}, "X-Echo": {secret}})
	want := map[string][]string{"Authorization": {"Bearer ***"}, "X-Api-Key": {"***"}, "Idempotency-Key": {"t-1"}, "X-Echo": {"***"}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Error(diff)
	}
}

// stringEnd jumps between quotes; it must agree with a byte-by-byte scan
// on any input, cut-short strings and runs of backslashes included.
func FuzzStringEnd(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"a\\"b"`, `"a\\\"b"`, `"\\\\"`, `"unterminated`, `"x\`, `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) == 0 || s[0] != '"' {
			return
		}
		want := -1
		for k := 1; k < len(s); k++ {
			if s[k] == '\\' {
				k++
				continue
			}
			if s[k] == '"' {
				want = k
				break
			}
		}
		if got := stringEnd(s, 0); got != want {
			t.Fatalf("stringEnd(%q) = %d, want %d", s, got, want)
		}
	})
}

// Every spelling of a secret name matches, whatever its case and
// separators; names that only resemble one do not.
func TestIsSecretName(t *testing.T) {
	for n := range secretNames {
		for _, v := range []string{n, strings.ToUpper(n), strings.ReplaceAll(n, "_", "-"), strings.ReplaceAll(n, "_", ""), strings.ToUpper(n[:1]) + n[1:]} {
			if !isSecretName(v) {
				t.Errorf("%q (from %q) not taken for a secret", v, n)
			}
		}
	}
	for _, n := range []string{"", "id", "keys", "tokens", "account_id", "reference", "created_at", "authorizations", "secretary", "passwords", "signatures", strings.Repeat("k", 41), "ke_y_"} {
		if isSecretName(n) != (n == "ke_y_") {
			t.Errorf("isSecretName(%q) = %v", n, !(n == "ke_y_"))
		}
	}
}

// BenchmarkRedactBody redacts a page of 100 demo-bank transactions (no
// secrets in it: the common case).
func BenchmarkRedactBody(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"data":[`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"txn_%016x","object":"transaction","account_id":"acc_9cdd8ecec8e9e9a4","created_at":"2024-01-01T01:29:12.554782Z","type":"transfer","status":"succeeded","direction":"debit","amount":"340523","currency":"CHF","decimals":2,"scheme":"internal","description":"Transfer to Marketplace CHF","reference":"INV-754406","destination_account_id":"acc_c692a5fd8fbc9f93","metadata":{}}`, i)
	}
	sb.WriteString(`],"has_more":true,"next_cursor":"abc"}`)
	body := sb.String()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if redactJSONFields(body) != body {
			b.Fatal("changed")
		}
	}
}
