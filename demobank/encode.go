package demobank

import (
	"strconv"
	"sync"
	"time"

	"github.com/switchboardpay/switchboard/internal/jsonenc"
)

// Responses are built by appending into pooled buffers rather than through
// encoding/json: a page of transactions is the benchmark's hot path, and
// reflection plus a map per item would dominate it.

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 4<<20 { // let an outsized page be collected
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// appendTime writes micros as RFC 3339 in UTC with microseconds, the fixed
// width keeping it cheap and lexically ordered.
func appendTime(dst []byte, micros int64) []byte {
	t := time.UnixMicro(micros).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = append(dst, '"')
	dst = appendPadded(dst, int64(y), 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, int64(mo), 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, int64(d), 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, int64(h), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int64(mi), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int64(s), 2)
	dst = append(dst, '.')
	dst = appendPadded(dst, int64(t.Nanosecond()/1000), 6)
	return append(dst, 'Z', '"')
}

// appendString writes s as a JSON string: generated strings are plain
// ASCII; user-supplied ones (descriptions, references) go through here too.
func appendString(dst []byte, s string) []byte { return jsonenc.AppendString(dst, s) }

// appendTxID writes the id of t, unquoted.
func appendTxID(dst []byte, t *tx) []byte {
	if t.id != "" {
		return append(dst, t.id...)
	}
	return appendHex16(append(dst, "txn_"...), t.hid)
}

func (b *Bank) appendTx(dst []byte, t *tx) []byte {
	acc := &b.accounts[t.account]
	dst = append(dst, `{"id":"`...)
	dst = appendTxID(dst, t)
	dst = append(dst, `","object":"transaction","account_id":"`...)
	dst = append(dst, acc.id...)
	dst = append(dst, `","created_at":`...)
	dst = appendTime(dst, t.createdAt)
	dst = append(dst, `,"type":"`...)
	dst = append(dst, t.kind.String()...)
	dst = append(dst, `","status":"`...)
	dst = append(dst, t.status.String()...)
	if t.isCredit() {
		dst = append(dst, `","direction":"credit","amount":"`...)
	} else {
		dst = append(dst, `","direction":"debit","amount":"`...)
	}
	if t.amountStr != "" {
		dst = append(dst, t.amountStr...)
	} else {
		dst = strconv.AppendInt(dst, t.amount, 10)
	}
	dst = append(dst, `","currency":"`...)
	dst = append(dst, acc.cur.code...)
	dst = append(dst, `","decimals":`...)
	dst = strconv.AppendInt(dst, int64(acc.cur.decimals), 10)
	dst = append(dst, `,"scheme":"`...)
	dst = append(dst, t.scheme...)
	dst = append(dst, `","description":`...)
	dst = b.appendDescription(dst, t)
	dst = append(dst, `,"reference":`...)
	if t.reference != "" || t.id != "" {
		dst = appendString(dst, t.reference)
	} else {
		dst = append(dst, `"INV-`...)
		dst = appendPadded(dst, int64(t.refNum), 6)
		dst = append(dst, '"')
	}
	if t.counterparty >= 0 {
		dst = append(dst, `,"counterparty":{"name":"`...)
		dst = append(dst, counterparties[t.counterparty]...)
		dst = append(dst, `","iban":"DE`...)
		dst = appendPadded(dst, int64(10+t.cpIBAN%90), 2)
		dst = appendPadded(dst, int64(t.cpIBAN%1_000_000_000_000_000), 18)
		dst = append(dst, `"}`...)
	}
	if t.beneficiary >= 0 {
		dst = append(dst, `,"beneficiary_id":"`...)
		dst = append(dst, b.bens[t.beneficiary].id...)
		dst = append(dst, '"')
	}
	if t.destAccount >= 0 {
		dst = append(dst, `,"destination_account_id":"`...)
		dst = append(dst, b.accounts[t.destAccount].id...)
		dst = append(dst, '"')
	}
	if t.failureReason != "" {
		dst = append(dst, `,"failure_reason":`...)
		dst = appendString(dst, t.failureReason)
	}
	dst = append(dst, `,"metadata":{`...)
	switch {
	case t.metadata != nil:
		first := true
		for _, k := range sortedKeys(t.metadata) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, t.metadata[k])
		}
	case t.id == "" && t.kind == kindPayin:
		dst = append(dst, `"order_id":"ord_`...)
		dst = appendPadded(dst, int64(t.refNum), 6)
		dst = append(dst, '"')
	}
	return append(dst, `}}`...)
}

func (b *Bank) appendDescription(dst []byte, t *tx) []byte {
	if t.id != "" {
		return appendString(dst, t.description)
	}
	dst = append(dst, '"')
	switch t.kind {
	case kindPayin:
		dst = append(dst, "Payment from "...)
		dst = append(dst, counterparties[t.counterparty]...)
	case kindPayout:
		dst = append(dst, "Payout to "...)
		dst = append(dst, b.bens[t.beneficiary].name...)
	case kindTransfer:
		dst = append(dst, "Transfer to "...)
		dst = append(dst, b.accounts[t.destAccount].name...)
	case kindFee:
		dst = append(dst, "Account fee"...)
	case kindRefund:
		dst = append(dst, "Refund to "...)
		dst = append(dst, counterparties[t.counterparty]...)
	}
	return append(dst, '"')
}

func appendAccount(dst []byte, a *account) []byte {
	dst = append(dst, `{"id":"`...)
	dst = append(dst, a.id...)
	dst = append(dst, `","object":"account","name":`...)
	dst = appendString(dst, a.name)
	dst = append(dst, `,"type":"checking","status":"active","currency":"`...)
	dst = append(dst, a.cur.code...)
	dst = append(dst, `","decimals":`...)
	dst = strconv.AppendInt(dst, int64(a.cur.decimals), 10)
	dst = append(dst, `,"iban":"`...)
	dst = append(dst, a.iban...)
	dst = append(dst, `","created_at":`...)
	dst = appendTime(dst, a.createdAt)
	return append(dst, '}')
}

func appendBeneficiary(dst []byte, be *beneficiary) []byte {
	dst = append(dst, `{"id":"`...)
	dst = append(dst, be.id...)
	dst = append(dst, `","object":"beneficiary","name":`...)
	dst = appendString(dst, be.name)
	dst = append(dst, `,"iban":`...)
	dst = appendString(dst, be.iban)
	dst = append(dst, `,"bic":`...)
	dst = appendString(dst, be.bic)
	dst = append(dst, `,"country":`...)
	dst = appendString(dst, be.country)
	dst = append(dst, `,"currency":"`...)
	dst = append(dst, be.cur.code...)
	dst = append(dst, `","decimals":`...)
	dst = strconv.AppendInt(dst, int64(be.cur.decimals), 10)
	dst = append(dst, `,"created_at":`...)
	dst = appendTime(dst, be.createdAt)
	return append(dst, '}')
}

// appendListEnd closes a list response opened with `{"object":"list","data":[`.
func appendListEnd(dst []byte, hasMore bool, next string) []byte {
	dst = append(dst, `],"has_more":`...)
	dst = strconv.AppendBool(dst, hasMore)
	dst = append(dst, `,"next_cursor":`...)
	if next == "" {
		return append(dst, `null}`...)
	}
	dst = appendString(dst, next)
	return append(dst, '}')
}

const listStart = `{"object":"list","data":[`
