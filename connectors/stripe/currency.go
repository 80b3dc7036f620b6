package stripe

import (
	"fmt"
	"strconv"
	"strings"
)

// Stripe's minor-unit exponents, as its API counts them (not always ISO
// 4217's): every currency not listed has two decimals. ISK, HUF and TWD
// stay two-decimal in the API (an amount of 100 is one krona/forint/
// dollar) even though Stripe only moves whole units of them. The table
// follows Stripe because that is what its amounts mean.
var currencyDecimals = map[string]int{
	// zero-decimal
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "JPY": 0, "KMF": 0, "KRW": 0, "MGA": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// three-decimal
	"BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3,
}

// decimals returns the exponent of a Stripe currency code (any case).
func decimals(currency string) int {
	if d, ok := currencyDecimals[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// assetOf returns the "CODE/DECIMALS" asset of a Stripe currency ("usd" →
// "USD/2", "jpy" → "JPY/0", "kwd" → "KWD/3").
func assetOf(currency string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(currency))
	if len(code) != 3 {
		return "", fmt.Errorf("currency %q is not a three-letter code", currency)
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return "", fmt.Errorf("currency %q is not a three-letter code", currency)
		}
	}
	return code + "/" + strconv.Itoa(decimals(code)), nil
}

// currencyOf returns the Stripe currency ("usd") of an asset ("USD/2"),
// refusing an asset whose decimals are not Stripe's for that currency.
func currencyOf(asset string) (string, error) {
	code, dec, ok := strings.Cut(asset, "/")
	d, err := strconv.Atoi(dec)
	if !ok || err != nil || d < 0 {
		return "", fmt.Errorf("asset %q is not CODE/DECIMALS", asset)
	}
	want, err := assetOf(code)
	if err != nil {
		return "", fmt.Errorf("asset %q: %v", asset, err)
	}
	if want != strings.ToUpper(code)+"/"+strconv.Itoa(d) {
		return "", fmt.Errorf("asset %q does not match Stripe's minor units for %s: use %s", asset, strings.ToUpper(code), want)
	}
	return strings.ToLower(code), nil
}
