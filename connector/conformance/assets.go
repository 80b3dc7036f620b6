package conformance

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardpay/switchboard/protocol"
)

// CheckAssetDecimals: an asset's decimals are its currency's minor units
// (ISO 4217): JPY/0, KWD/3, not every currency /2.
const CheckAssetDecimals = protocol.CheckAssetDecimals

// minorUnits are the ISO 4217 currencies whose minor units are not 2.
var minorUnits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// checkAssets reports the items of r whose asset names a currency with the
// wrong decimals: the amount would be off by a power of ten in production.
func (k *checker) checkAssets(size int, r *runRec, add func(Finding)) {
	var refs []string
	var first *pageRec
	example := ""
	for pi := range r.pages {
		p := &r.pages[pi]
		for _, it := range p.items {
			var w struct {
				Asset        string `json:"asset"`
				DefaultAsset string `json:"defaultAsset"`
			}
			if json.Unmarshal([]byte(it.content), &w) != nil {
				continue
			}
			for _, a := range []string{w.Asset, w.DefaultAsset} {
				code, dec, ok := strings.Cut(a, "/")
				want, known := minorUnits[strings.ToUpper(code)]
				n, err := strconv.Atoi(dec)
				if !ok || !known || err != nil || n == want {
					continue
				}
				refs = append(refs, it.ref)
				if first == nil {
					first = p
					example = fmt.Sprintf("%s is %s, but %s has %d decimals (%s/%d)", it.ref, a, code, want, code, want)
				}
				break
			}
		}
	}
	if first == nil {
		return
	}
	add(Finding{Check: CheckAssetDecimals, PageSize: size, State: first.in, References: clipList(refs, 20),
		Message: fmt.Sprintf("page size %d: fetching from state %s, %d items have an asset with the wrong decimals: %s; amounts are in minor units of the asset, so they are off by a power of ten", size, clipState(first.in), len(refs), example)})
}

// CheckTimestampGroups: a group of items sharing one timestamp, larger
// than the page, is fetched whole (a same-references failure whose state
// pages by the timestamp the skipped items share).
const CheckTimestampGroups = protocol.CheckTimestampGroups

// timestampGroup returns the size of the group of equal timestamps that
// prev (the last item a run returned before a gap) and first (the first
// item it skipped) belong to, when the state the skipping page was fetched
// from names that timestamp; else 0.
func timestampGroup(good *runRec, prev, first string, state json.RawMessage) int {
	var tp, tf time.Time
	for _, p := range good.pages {
		for _, it := range p.items {
			switch it.ref {
			case prev:
				tp = it.createdAt
			case first:
				tf = it.createdAt
			}
		}
	}
	if tp.IsZero() || !tp.Equal(tf) || !mentionsTime(string(state), tp) {
		return 0
	}
	n := 0
	for _, p := range good.pages {
		for _, it := range p.items {
			if it.createdAt.Equal(tp) {
				n++
			}
		}
	}
	return n
}

// mentionsTime reports whether s holds t as RFC 3339 text or as unix
// seconds, milliseconds or microseconds.
func mentionsTime(s string, t time.Time) bool {
	for _, f := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05.000Z07:00"} {
		if strings.Contains(s, t.UTC().Format(f)) || strings.Contains(s, t.Format(f)) {
			return true
		}
	}
	for _, n := range []int64{t.Unix(), t.UnixMilli(), t.UnixMicro()} {
		if strings.Contains(s, strconv.FormatInt(n, 10)) {
			return true
		}
	}
	return false
}
