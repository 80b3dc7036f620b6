package main

import "testing"

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct{ amount, asset, want string }{
		{"340523", "CHF/2", "3,405.23"},
		{"1137", "EUR/2", "11.37"},
		{"5", "EUR/2", "0.05"},
		{"0", "EUR/2", "0.00"},
		{"-120000", "USD/2", "-1,200.00"},
		{"1234567", "JPY/0", "1,234,567"},
		{"123456789012345678901234567890", "ETH/18", "123,456,789,012.345678901234567890"},
		{"12", "BTC/8", "0.00000012"},
		{"100", "EUR", "100"},      // no decimals in the asset: as given
		{"1e5", "EUR/2", "1e5"},    // not minor units: as given
		{"", "EUR/2", ""},          // nothing
		{"-", "EUR/2", "-"},        // a bare sign
		{"100", "EUR/x", "100"},    // unreadable decimals
		{"00042", "EUR/2", "0.42"}, // leading zeros
	} {
		if got := formatAmount(tc.amount, tc.asset); got != tc.want {
			t.Errorf("formatAmount(%q, %q) = %q, want %q", tc.amount, tc.asset, got, tc.want)
		}
	}
}
