package demo

import (
	"encoding/json"
	"errors"
)

// dataItems returns the elements of the top-level "data" array of a list
// body, each a sub-slice of body. Items keep the bank's exact bytes as their
// Raw without a second decode: encoding/json would validate and copy every
// item again, which was a third of a page's cost. Callers have decoded body
// with encoding/json first, so it is valid JSON; bounds are checked anyway.
func dataItems(body []byte) ([]json.RawMessage, error) {
	errShape := errors.New("list body has no data array")
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, errShape
	}
	i++
	for {
		i = skipWS(body, i)
		if i >= len(body) || body[i] != '"' {
			return nil, errShape
		}
		kEnd := skipString(body, i)
		key := string(body[i+1 : max(kEnd-1, i+1)])
		i = skipWS(body, kEnd)
		if i >= len(body) || body[i] != ':' {
			return nil, errShape
		}
		i = skipWS(body, i+1)
		if key == "data" {
			return arrayItems(body, i, errShape)
		}
		i = skipWS(body, skipValue(body, i))
		if i >= len(body) || body[i] != ',' {
			return nil, errShape
		}
		i++
	}
}

func arrayItems(body []byte, i int, errShape error) ([]json.RawMessage, error) {
	if i >= len(body) || body[i] != '[' {
		return nil, errShape
	}
	var items []json.RawMessage
	i = skipWS(body, i+1)
	if i < len(body) && body[i] == ']' {
		return items, nil
	}
	for {
		end := skipValue(body, i)
		if end <= i || end > len(body) {
			return nil, errShape
		}
		items = append(items, body[i:end:end])
		i = skipWS(body, end)
		if i >= len(body) {
			return nil, errShape
		}
		switch body[i] {
		case ']':
			return items, nil
		case ',':
			i = skipWS(body, i+1)
		default:
			return nil, errShape
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}
