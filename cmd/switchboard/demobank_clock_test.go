package main

import (
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/demobank"
)

func TestDemobankAdvance(t *testing.T) {
	b := demobank.New(demobank.Config{Seed: 1, Accounts: 2, PaymentsPerAccount: 5})
	url, err := b.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	before := b.Now()
	out, _ := mustRun(t, "demobank", "advance", "--url", url, "--by", "2h", "--payments", "6", "--same-time", "3")
	if !strings.Contains(out, "6 payments added in 2 groups; 16 transactions in all") {
		t.Errorf("output %q", out)
	}
	if d := b.Now().Sub(before); d < 2*60*60*1e9 {
		t.Errorf("clock moved %s, want 2h", d)
	}
	if _, _, err := run(t, "demobank", "advance", "--url", url, "--api-key", "wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v", err)
	}
}
