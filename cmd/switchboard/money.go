package main

import (
	"strconv"
	"strings"
)

// formatAmount shows an amount in minor units of asset ("340523" of
// "CHF/2") as the web console does: in major units with thousands
// separators, "3,405.23". Anything it cannot read is shown as given.
func formatAmount(amount, asset string) string {
	_, d, ok := strings.Cut(asset, "/")
	decimals, err := strconv.Atoi(d)
	digits := strings.TrimPrefix(amount, "-")
	if !ok || err != nil || decimals < 0 || decimals > 30 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return amount
	}
	sign := ""
	if len(digits) < len(amount) {
		sign = "-"
	}
	if len(digits) <= decimals {
		digits = strings.Repeat("0", decimals-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-decimals], digits[len(digits)-decimals:]
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
