package engine

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/switchboardpay/switchboard/protocol"
)

// The encoders below write exactly what encoding/json writes for the wire
// items (a test holds them to it), without reflection: encoding every item
// of every page is the daemon's largest cost after the connector's own.

func appendString(buf []byte, s string) []byte {
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

func appendTime(buf []byte, t time.Time) []byte {
	buf = append(buf, '"')
	buf = t.AppendFormat(buf, time.RFC3339Nano)
	return append(buf, '"')
}

// appendRaw appends raw JSON compacted, as encoding/json does, or null.
func appendRaw(buf []byte, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return append(buf, "null"...), nil
	}
	b := bytes.NewBuffer(buf)
	if err := json.Compact(b, raw); err != nil {
		return buf, err
	}
	return b.Bytes(), nil
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
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = appendString(buf, m[k])
	}
	return append(buf, '}')
}

func field(buf []byte, name string) []byte {
	return append(buf, name...)
}

// AppendPayment appends the JSON of a wire payment.
func AppendPayment(buf []byte, p *protocol.Payment) ([]byte, error) {
	buf = field(buf, `{"reference":`)
	buf = appendString(buf, p.Reference)
	buf = field(buf, `,"createdAt":`)
	buf = appendTime(buf, p.CreatedAt)
	buf = field(buf, `,"type":`)
	buf = appendString(buf, p.Type)
	buf = field(buf, `,"amount":`)
	buf = appendString(buf, p.Amount)
	if p.InitialAmount != "" {
		buf = field(buf, `,"initialAmount":`)
		buf = appendString(buf, p.InitialAmount)
	}
	buf = field(buf, `,"asset":`)
	buf = appendString(buf, p.Asset)
	buf = field(buf, `,"scheme":`)
	buf = appendString(buf, p.Scheme)
	buf = field(buf, `,"status":`)
	buf = appendString(buf, p.Status)
	if p.SourceAccountReference != "" {
		buf = field(buf, `,"sourceAccountReference":`)
		buf = appendString(buf, p.SourceAccountReference)
	}
	if p.DestinationAccountReference != "" {
		buf = field(buf, `,"destinationAccountReference":`)
		buf = appendString(buf, p.DestinationAccountReference)
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
	buf = appendString(buf, a.Reference)
	buf = field(buf, `,"createdAt":`)
	buf = appendTime(buf, a.CreatedAt)
	if a.Name != "" {
		buf = field(buf, `,"name":`)
		buf = appendString(buf, a.Name)
	}
	if a.DefaultAsset != "" {
		buf = field(buf, `,"defaultAsset":`)
		buf = appendString(buf, a.DefaultAsset)
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
	buf = appendString(buf, b.AccountReference)
	buf = field(buf, `,"asset":`)
	buf = appendString(buf, b.Asset)
	buf = field(buf, `,"amount":`)
	buf = appendString(buf, b.Amount)
	buf = field(buf, `,"createdAt":`)
	buf = appendTime(buf, b.CreatedAt)
	return append(buf, '}'), nil
}

// AppendOther appends the JSON of a wire other item.
func AppendOther(buf []byte, o *protocol.Other) ([]byte, error) {
	buf = field(buf, `{"id":`)
	buf = appendString(buf, o.ID)
	buf = field(buf, `,"other":`)
	buf, err := appendRaw(buf, o.Other)
	return append(buf, '}'), err
}
