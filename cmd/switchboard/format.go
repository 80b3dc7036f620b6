package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// jsonArg reads a JSON flag value given inline or, as "@path", from a
// file: configs with secrets are better kept out of shell history.
func jsonArg(flag, v string) (json.RawMessage, error) {
	if v == "" {
		return nil, nil
	}
	b := []byte(v)
	if path, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, fmt.Errorf("--%s: not valid JSON: %s", flag, clip(string(b), 80))
	}
	return json.RawMessage(b), nil
}

// newTable returns a tabwriter for aligned columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// count formats n with thousands separators, as the daemon's progress
// messages do: 1,200.
func count[T int | int64 | uint64](n T) string {
	if n < 0 {
		return "-" + count(-n)
	}
	s := strconv.FormatUint(uint64(n), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// rate is n per second over d, 0 for no time at all.
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// seconds formats a duration for humans: 850ms, 12.3s.
func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(10 * time.Millisecond).String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// compactJSON returns raw on one line, so that JSON-lines output stays one
// item per line whatever the daemon's encoding.
func compactJSON(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// payloadRef names a fromPayload by its reference or id, the way the
// daemon names state keys, or a clipped JSON when it has neither.
func payloadRef(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var ref struct {
		Reference string `json:"reference"`
		ID        string `json:"id"`
	}
	_ = json.Unmarshal(raw, &ref)
	switch {
	case ref.Reference != "":
		return ref.Reference
	case ref.ID != "":
		return ref.ID
	}
	return clip(string(compactJSON(raw)), 40)
}

// writeIndentedJSON prints v as indented JSON: the --json output of the
// commands that show one result.
func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
