package demobank

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/switchboardpay/switchboard/internal/jsonenc"
)

// Orders and conversions, and transactions the bank voids: what an
// exchange or a PSP with FX adds to a bank, for connectors that port
// Formance's FetchNextOrders, FetchNextConversions and PaymentsToDelete.
//
// Each account has ordersPerAccount orders and conversionsPerAccount
// conversions, generated from the seed like its transactions, listed with
// an offset cursor. A transaction voided through POST /admin/void is
// listed, once, by GET /v1/transactions/voided: "deleted" (the bank no
// longer has it) or "cancelled".

const (
	ordersPerAccount      = 4
	conversionsPerAccount = 2
)

// voids is the bank's log of voided transactions, in order.
type voids struct {
	mu   sync.Mutex
	list []voided // append only; guarded by mu
}

type voided struct{ id, action string }

var orderPairs = [...][2]currency{{{"BTC", 8}, {"EUR", 2}}, {{"ETH", 18}, {"USD", 2}}, {{"BTC", 8}, {"USD", 2}}}
var orderStatuses = [...]string{"FILLED", "PARTIALLY_FILLED", "OPEN", "CANCELLED"}
var conversionPairs = [...][2]currency{{{"USD", 2}, {"USDC", 6}}, {{"EUR", 2}, {"EURC", 6}}, {{"USDC", 6}, {"USD", 2}}}

func (b *Bank) marketRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /v1/orders", b.listOrders)
	m.HandleFunc("GET /v1/conversions", b.listConversions)
	m.HandleFunc("GET /v1/transactions/voided", b.listVoided)
	m.HandleFunc("POST /admin/void", b.adminVoid)
}

func appendAsset(dst []byte, c currency) []byte {
	return jsonenc.AppendString(dst, c.code+"/"+strconv.Itoa(c.decimals))
}

func (b *Bank) appendOrder(dst []byte, i int) []byte {
	a := i / ordersPerAccount
	acc := &b.accounts[a]
	h := mix(b.cfg.Seed, 0x6f72646572, uint64(a), uint64(i))
	pair := orderPairs[h%uint64(len(orderPairs))]
	side := "BUY"
	src, dst2 := pair[1], pair[0]
	if h>>8&1 == 1 {
		side, src, dst2 = "SELL", pair[0], pair[1]
	}
	qty := int64(h>>16%1_000_000) + 1000
	status := orderStatuses[h>>40%uint64(len(orderStatuses))]
	filled := qty
	if status == "OPEN" || status == "CANCELLED" {
		filled = 0
	} else if status == "PARTIALLY_FILLED" {
		filled = qty / 2
	}
	dst = append(dst, `{"id":`...)
	dst = jsonenc.AppendString(dst, "ord_"+hex16(h))
	dst = append(dst, `,"account_id":`...)
	dst = jsonenc.AppendString(dst, acc.id)
	dst = append(dst, `,"created_at":`...)
	dst = appendTime(dst, acc.createdAt+int64(i)*60_000_000)
	dst = append(dst, `,"side":"`...)
	dst = append(dst, side...)
	dst = append(dst, `","type":"MARKET","status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","source_asset":`...)
	dst = appendAsset(dst, src)
	dst = append(dst, `,"destination_asset":`...)
	dst = appendAsset(dst, dst2)
	dst = append(dst, `,"quantity":"`...)
	dst = strconv.AppendInt(dst, qty, 10)
	dst = append(dst, `","filled":"`...)
	dst = strconv.AppendInt(dst, filled, 10)
	dst = append(dst, `","fee":"`...)
	dst = strconv.AppendInt(dst, filled/1000, 10)
	dst = append(dst, `","fee_asset":`...)
	dst = appendAsset(dst, pair[1])
	return append(dst, '}')
}

func (b *Bank) appendConversion(dst []byte, i int) []byte {
	a := i / conversionsPerAccount
	acc := &b.accounts[a]
	h := mix(b.cfg.Seed, 0x636f6e76, uint64(a), uint64(i))
	pair := conversionPairs[h%uint64(len(conversionPairs))]
	amt := int64(h>>8%10_000_000) + 100
	// From 2 decimals to 6 multiplies by 10^4; the other way divides.
	out := amt
	for d := pair[0].decimals; d < pair[1].decimals; d++ {
		out *= 10
	}
	for d := pair[1].decimals; d < pair[0].decimals; d++ {
		out /= 10
	}
	dst = append(dst, `{"id":`...)
	dst = jsonenc.AppendString(dst, "conv_"+hex16(h))
	dst = append(dst, `,"account_id":`...)
	dst = jsonenc.AppendString(dst, acc.id)
	dst = append(dst, `,"created_at":`...)
	dst = appendTime(dst, acc.createdAt+int64(i)*90_000_000)
	dst = append(dst, `,"status":"COMPLETED","source_asset":`...)
	dst = appendAsset(dst, pair[0])
	dst = append(dst, `,"destination_asset":`...)
	dst = appendAsset(dst, pair[1])
	dst = append(dst, `,"source_amount":"`...)
	dst = strconv.AppendInt(dst, amt, 10)
	dst = append(dst, `","destination_amount":"`...)
	dst = strconv.AppendInt(dst, out, 10)
	return append(dst, `"}`...)
}

func (b *Bank) listOrders(w http.ResponseWriter, r *http.Request) {
	limit, cursor, ok := b.pageParams(w, r)
	if !ok {
		return
	}
	b.writeOffsetList(w, cursor, limit, len(b.accounts)*ordersPerAccount, b.appendOrder)
}

func (b *Bank) listConversions(w http.ResponseWriter, r *http.Request) {
	limit, cursor, ok := b.pageParams(w, r)
	if !ok {
		return
	}
	b.writeOffsetList(w, cursor, limit, len(b.accounts)*conversionsPerAccount, b.appendConversion)
}

func (b *Bank) listVoided(w http.ResponseWriter, r *http.Request) {
	limit, cursor, ok := b.pageParams(w, r)
	if !ok {
		return
	}
	b.voids.mu.Lock()
	list := b.voids.list[:len(b.voids.list):len(b.voids.list)]
	b.voids.mu.Unlock()
	b.writeOffsetList(w, cursor, limit, len(list), func(dst []byte, i int) []byte {
		dst = append(dst, `{"id":`...)
		dst = jsonenc.AppendString(dst, list[i].id)
		dst = append(dst, `,"action":`...)
		dst = jsonenc.AppendString(dst, list[i].action)
		return append(dst, '}')
	})
}

// Void voids transaction id: action "deleted" or "cancelled". It is
// listed by GET /v1/transactions/voided; the transaction itself is listed
// as before (a bank's history does not change under a cursor).
func (b *Bank) Void(id, action string) {
	b.voids.mu.Lock()
	b.voids.list = append(b.voids.list, voided{id: id, action: action})
	b.voids.mu.Unlock()
}

func (b *Bank) adminVoid(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID     string `json:"id"`
		Action string `json:"action"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil || in.ID == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", `body must be {"id": "...", "action": "deleted" | "cancelled"}`)
		return
	}
	if in.Action != "deleted" && in.Action != "cancelled" {
		writeError(w, http.StatusBadRequest, "invalid_request", `action must be "deleted" or "cancelled"`)
		return
	}
	b.Void(in.ID, in.Action)
	writeJSON(w, http.StatusOK, map[string]string{"id": in.ID, "action": in.Action})
}
