package workspace

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchboardpay/switchboard/protocol"
)

// goDiag matches "file.go:12:5: message" and "file.go:12: message".
var goDiag = regexp.MustCompile(`^(.+?\.go):(\d+)(?::(\d+))?: (.*)$`)

// ParseDiagnostics extracts the compiler's messages from go build (or go
// vet) output. Paths are made relative to dir when inside it; indented
// continuation lines are joined to their message.
func ParseDiagnostics(dir, output string) []protocol.Diagnostic {
	out := []protocol.Diagnostic{}
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := goDiag.FindStringSubmatch(line); m != nil {
			ln, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			out = append(out, protocol.Diagnostic{File: relFile(dir, m[1]), Line: ln, Column: col, Message: m[4]})
			continue
		}
		if len(out) > 0 && (strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "    ")) {
			out[len(out)-1].Message += "\n" + strings.TrimSpace(line)
		}
	}
	return out
}

func relFile(dir, f string) string {
	f = strings.TrimPrefix(f, "./")
	if filepath.IsAbs(f) {
		if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return f
	}
	return filepath.ToSlash(f)
}
