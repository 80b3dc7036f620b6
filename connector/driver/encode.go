package driver

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	fastjson "github.com/segmentio/encoding/json"

	"github.com/switchboardpay/switchboard/internal/jsonenc"
	"github.com/switchboardpay/switchboard/protocol"
)

// The encoders below write exactly what encoding/json writes for the wire
// items (a test holds them to it), without reflection: encoding every item
// of every page is the daemon's largest cost after the connector's own.

func appendTime(buf []byte, t time.Time) []byte {
	buf = append(buf, '"')
	buf = t.AppendFormat(buf, time.RFC3339Nano)
	return append(buf, '"')
}

// appendRaw appends raw JSON compacted, as json.Compact does, or null.
// Providers send compact JSON, so the common case is a check and a copy:
// segmentio's validator is several times faster than encoding/json's
// scanner, and json.Compact was the largest cost of encoding an item.
func appendRaw(buf []byte, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return append(buf, "null"...), nil
	}
	if fastjson.Valid(raw) && isCompact(raw) {
		return append(buf, raw...), nil
	}
	b := bytes.NewBuffer(buf)
	if err := json.Compact(b, raw); err != nil {
		return buf, err
	}
	return b.Bytes(), nil
}

// isCompact reports whether valid JSON src has no whitespace outside its
// strings, the only thing json.Compact would change. Strings are skipped
// with IndexByte, which is vectorised.
func isCompact(src []byte) bool {
	for i := 0; i < len(src); {
		q := bytes.IndexByte(src[i:], '"')
		seg := src[i:]
		if q >= 0 {
			seg = src[i : i+q]
		}
		for _, c := range seg {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				return false
			}
		}
		if q < 0 {
			return true
		}
		// Skip the string: its closing quote is the first one preceded by
		// an even number of backslashes.
		j := i + q + 1
		for {
			k := bytes.IndexByte(src[j:], '"')
			if k < 0 {
				return false
			}
			end := j + k
			n := 0
			for p := end - 1; p >= j && src[p] == '\\'; p-- {
				n++
			}
			j = end + 1
			if n%2 == 0 {
				break
			}
		}
		i = j
	}
	return true
}

func appendMeta(buf []byte, m map[string]string) []byte {
	if m == nil {
		return append(buf, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsonenc.AppendString(buf, k)
		buf = append(buf, ':')
		buf = jsonenc.AppendString(buf, m[k])
	}
	return append(buf, '}')
}

func field(buf []byte, name string) []byte {
	return append(buf, name...)
}

// AppendPayment appends the JSON of a wire payment.
func AppendPayment(buf []byte, p *protocol.Payment) ([]byte, error) {
	if p.ParentReference != "" {
		buf = field(buf, `{"parentReference":`)
		buf = jsonenc.AppendString(buf, p.ParentReference)
		buf = field(buf, `,"reference":`)
	} else {
		buf = field(buf, `{"reference":`)
	}
	buf = jsonenc.AppendString(buf, p.Reference)
	buf = field(buf, `,"createdAt":`)
	buf = appendTime(buf, p.CreatedAt)
	buf = field(buf, `,"type":`)
	buf = jsonenc.AppendString(buf, p.Type)
	buf = field(buf, `,"amount":`)
	buf = jsonenc.AppendString(buf, p.Amount)
	if p.InitialAmount != "" {
		buf = field(buf, `,"initialAmount":`)
		buf = jsonenc.AppendString(buf, p.InitialAmount)
	}
	buf = field(buf, `,"asset":`)
	buf = jsonenc.AppendString(buf, p.Asset)
	buf = field(buf, `,"scheme":`)
	buf = jsonenc.AppendString(buf, p.Scheme)
	buf = field(buf, `,"status":`)
	buf = jsonenc.AppendString(buf, p.Status)
	if p.SourceAccountReference != "" {
		buf = field(buf, `,"sourceAccountReference":`)
		buf = jsonenc.AppendString(buf, p.SourceAccountReference)
	}
	if p.DestinationAccountReference != "" {
		buf = field(buf, `,"destinationAccountReference":`)
		buf = jsonenc.AppendString(buf, p.DestinationAccountReference)
	}
	buf = field(buf, `,"metadata":`)
	buf = appendMeta(buf, p.Metadata)
	buf = field(buf, `,"raw":`)
	buf, err := appendRaw(buf, p.Raw)
	return append(buf, '}'), err
}

// AppendAccount appends the JSON of a wire account.
func AppendAccount(buf []byte, a *protocol.Account) ([]byte, error) {
	buf = field(buf, `{"reference":`)
	buf = jsonenc.AppendString(buf, a.Reference)
	buf = field(buf, `,"createdAt":`)
	buf = appendTime(buf, a.CreatedAt)
	if a.Name != "" {
		buf = field(buf, `,"name":`)
		buf = jsonenc.AppendString(buf, a.Name)
	}
	if a.DefaultAsset != "" {
		buf = field(buf, `,"defaultAsset":`)
		buf = jsonenc.AppendString(buf, a.DefaultAsset)
	}
	buf = field(buf, `,"metadata":`)
	buf = appendMeta(buf, a.Metadata)
	buf = field(buf, `,"raw":`)
	buf, err := appendRaw(buf, a.Raw)
	return append(buf, '}'), err
}

// AppendBalance appends the JSON of a wire balance.
func AppendBalance(buf []byte, b *protocol.Balance) ([]byte, error) {
	buf = field(buf, `{"accountReference":`)
	buf = jsonenc.AppendString(buf, b.AccountReference)
	buf = field(buf, `,"asset":`)
	buf = jsonenc.AppendString(buf, b.Asset)
	buf = field(buf, `,"amount":`)
	buf = jsonenc.AppendString(buf, b.Amount)
	buf = field(buf, `,"createdAt":`)
	buf = appendTime(buf, b.CreatedAt)
	return append(buf, '}'), nil
}

// AppendOther appends the JSON of a wire other item.
func AppendOther(buf []byte, o *protocol.Other) ([]byte, error) {
	buf = field(buf, `{"id":`)
	buf = jsonenc.AppendString(buf, o.ID)
	buf = field(buf, `,"other":`)
	buf, err := appendRaw(buf, o.Other)
	return append(buf, '}'), err
}

// AppendOrder appends the JSON of a wire order. Orders are rare next to
// payments: encoding/json's output, compacted raw included, is enough.
func AppendOrder(buf []byte, o *protocol.Order) ([]byte, error) {
	return appendMarshal(buf, o)
}

// AppendConversion appends the JSON of a wire conversion.
func AppendConversion(buf []byte, c *protocol.Conversion) ([]byte, error) {
	return appendMarshal(buf, c)
}

func appendMarshal(buf []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return buf, err
	}
	return append(buf, b...), nil
}
