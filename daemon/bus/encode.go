package bus

import (
	"strconv"

	"github.com/switchboardpay/switchboard/internal/jsonenc"
	"github.com/switchboardpay/switchboard/protocol"
)

// appendPageNotification writes a fetch/page notification by hand: page
// items and state are already-validated JSON from the engine, and letting
// encoding/json compact and re-validate them would scan every page's items
// twice more for each encoding.
func appendPageNotification(buf []byte, p *protocol.FetchPageParams, withItems bool) []byte {
	pg := &p.Page
	n := 256 + len(pg.NewState)
	if withItems {
		n += len(pg.Items)
	}
	if cap(buf)-len(buf) < n {
		nb := make([]byte, len(buf), len(buf)+n)
		copy(nb, buf)
		buf = nb
	}
	buf = append(buf, `{"jsonrpc":"2.0","method":"fetch/page","params":{"sessionId":`...)
	buf = jsonenc.AppendString(buf, p.SessionID)
	if p.Task != "" {
		buf = append(buf, `,"task":`...)
		buf = jsonenc.AppendString(buf, p.Task)
	}
	buf = append(buf, `,"page":`...)
	buf = AppendPage(buf, pg, withItems)
	return append(buf, "}}"...)
}

// AppendPage appends the JSON of a page, with or without its items.
func AppendPage(buf []byte, pg *protocol.Page, withItems bool) []byte {
	buf = append(buf, `{"sessionId":`...)
	buf = jsonenc.AppendString(buf, pg.SessionID)
	buf = append(buf, `,"resource":`...)
	buf = jsonenc.AppendString(buf, pg.Resource)
	buf = append(buf, `,"key":`...)
	buf = jsonenc.AppendString(buf, pg.Key)
	buf = append(buf, `,"page":`...)
	buf = strconv.AppendInt(buf, int64(pg.Page), 10)
	if withItems && len(pg.Items) > 0 {
		buf = append(buf, `,"items":`...)
		buf = append(buf, pg.Items...)
	}
	buf = append(buf, `,"itemCount":`...)
	buf = strconv.AppendInt(buf, int64(pg.ItemCount), 10)
	buf = append(buf, `,"newState":`...)
	if len(pg.NewState) == 0 {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, pg.NewState...)
	}
	buf = append(buf, `,"hasMore":`...)
	buf = strconv.AppendBool(buf, pg.HasMore)
	buf = append(buf, `,"durationMs":`...)
	buf = jsonenc.AppendFloat(buf, pg.DurationMs)
	buf = appendStrings(buf, `,"deleted":[`, pg.Deleted)
	buf = appendStrings(buf, `,"cancelled":[`, pg.Cancelled)
	buf = appendStrings(buf, `,"httpExchanges":[`, pg.HTTPExchanges)
	return append(buf, '}')
}

// appendStrings appends an omitempty string array field: name is its
// `,"name":[` prefix.
func appendStrings(buf []byte, name string, list []string) []byte {
	if len(list) == 0 {
		return buf
	}
	buf = append(buf, name...)
	for i, s := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsonenc.AppendString(buf, s)
	}
	return append(buf, ']')
}
