package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/protocol"
)

func TestTransferAndPayout(t *testing.T) {
	out, _ := mustRun(t, "fetch", "demo", "accounts", "--json")
	accounts := references(t, lines(out))
	out, _ = mustRun(t, "fetch", "demo", "externalAccounts", "--json")
	beneficiaries := references(t, lines(out))
	if len(accounts) < 2 || len(beneficiaries) < 1 {
		t.Fatalf("demo bank has %d accounts and %d beneficiaries", len(accounts), len(beneficiaries))
	}

	out, _ = mustRun(t, "transfer", "demo", "--from", accounts[0], "--to", accounts[1], "--amount", "1250", "--asset", "EUR/2", "--reference", "t-1", "--json")
	var p protocol.Payment
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("transfer --json printed %q: %v", out, err)
	}
	if p.Status != "SUCCEEDED" || p.Amount != "1250" || p.Asset != "EUR/2" || p.SourceAccountReference != accounts[0] || p.DestinationAccountReference != accounts[1] {
		t.Errorf("transfer made %+v", p)
	}

	// The demo bank settles payouts later: the command polls.
	out, errOut := mustRun(t, "payout", "demo", "--from", accounts[0], "--to", beneficiaries[0], "--amount", "5000", "--asset", "EUR/2")
	if !strings.Contains(errOut, "pending; polling") {
		t.Errorf("payout did not poll:\n%s", errOut)
	}
	for _, want := range []string{"PAYOUT", "SUCCEEDED", "50.00 EUR/2 (5000 in minor units)", beneficiaries[0]} {
		if !strings.Contains(out, want) {
			t.Errorf("payout output lacks %q:\n%s", want, out)
		}
	}

	// Over its limit the demo bank rejects a payout when it settles.
	_, errOut, err := run(t, "payout", "demo", "--from", accounts[0], "--to", beneficiaries[0], "--amount", "500000000", "--asset", "EUR/2")
	if err == nil || !strings.Contains(err.Error(), "amount_exceeds_limit") {
		t.Errorf("a payout over the limit: %v\n%s", err, errOut)
	}

	for _, args := range [][]string{
		{"transfer", "--to", "x", "--amount", "1", "--asset", "EUR/2"},                               // no provider, no session
		{"transfer", "demo", "--session", "s", "--to", "x", "--amount", "1", "--asset", "EUR/2"},     // both
		{"transfer", "--session", "s", "--to", "x", "--amount", "1", "--asset", "EUR/2"},             // a session, but no daemon runs
		{"payout", "demo", "--to", "x", "--asset", "EUR/2"},                                          // no amount
		{"transfer", "demo", "--from", accounts[0], "--to", "", "--amount", "1", "--asset", "EUR/2"}, // no destination
	} {
		if _, _, err := run(t, args...); err == nil {
			t.Errorf("switchboard %s: no error", strings.Join(args, " "))
		}
	}
}
