// Package jsonenc holds the few append-style JSON helpers that the daemon's
// hand-written encoders share (pages, notifications, wire items), written
// to produce exactly what encoding/json produces.
package jsonenc

import (
	"encoding/json"
	"unicode/utf8"
)

// AppendString appends s as a JSON string, escaped as encoding/json does
// (HTML characters included). Plain ASCII, the common case for ids and
// keys, is copied as is.
func AppendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
