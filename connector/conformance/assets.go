package conformance

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
