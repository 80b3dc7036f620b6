package client

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboardpay/switchboard/protocol"
)

// DecodeItems decodes the items of a page: T is protocol.Account (accounts
// and externalAccounts), protocol.Balance, protocol.Payment or
// protocol.Other, by p.Resource. A page without items (as in fetch/page
// notifications to a client that said pageItems: false) yields none.
func DecodeItems[T any](p protocol.Page) ([]T, error) {
	if len(p.Items) == 0 || string(p.Items) == "null" {
		return nil, nil
	}
	var items []T
	if err := json.Unmarshal(p.Items, &items); err != nil {
		return nil, fmt.Errorf("client: decoding %s items: %w", p.Resource, err)
	}
	return items, nil
}

// ErrorData decodes the data of a *protocol.Error in err's chain into T,
// one of the protocol's *Data types (protocol.SessionNotFoundData,
// protocol.ConnectorErrorData, ...). It reports false when err holds no
// *protocol.Error, the error has no data, or the data does not decode.
func ErrorData[T any](err error) (T, bool) {
	var v T
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Data == nil {
		return v, false
	}
	var raw []byte
	switch d := pe.Data.(type) {
	case json.RawMessage:
		raw = d
	case T:
		return d, true
	default:
		b, merr := json.Marshal(d)
		if merr != nil {
			return v, false
		}
		raw = b
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false
	}
	return v, true
}
