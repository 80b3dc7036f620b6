package demobank

import (
	"fmt"
	"math/big"
	"net/http"
	"strconv"
)

// Events on every change: a transfer or payout created
// (payment.created, then balance.updated of its source account), a payout
// settled or rejected (payment.updated, then balance.updated).
const (
	EventPaymentUpdated = "payment.updated"
	EventBalanceUpdated = "balance.updated"
)

// Trigger events, as `switchboard trigger demo EVENT` names them: each
// makes a real change at the bank, which emits its events.
const (
	TriggerPaymentCreated = "payment.created" // a payout created, pending
	TriggerPayoutSettled  = "payout.settled"  // a payout created and settled at once
	TriggerBalanceUpdated = "balance.updated" // a payout created: its account's balance moves
)

// TriggerEvents lists the events Trigger makes happen.
var TriggerEvents = []string{TriggerPaymentCreated, TriggerPayoutSettled, TriggerBalanceUpdated}

// balanceLocked is the balance object of account a; b.mu is held.
func (b *Bank) balanceLocked(a int) []byte {
	acc := &b.accounts[a]
	available := big.NewInt(acc.opening)
	pending := new(big.Int)
	var amt big.Int
	for _, t := range b.appended[a] {
		if t.amountStr != "" {
			amt.SetString(t.amountStr, 10)
		} else {
			amt.SetInt64(t.amount)
		}
		if !t.isCredit() {
			amt.Neg(&amt)
		}
		switch t.status {
		case statusSucceeded:
			available.Add(available, &amt)
		case statusPending:
			pending.Add(pending, &amt)
		}
	}
	current := new(big.Int).Add(available, pending)
	dst := make([]byte, 0, 256)
	dst = append(dst, `{"object":"balance","account_id":"`...)
	dst = append(dst, acc.id...)
	dst = append(dst, `","currency":"`...)
	dst = append(dst, acc.cur.code...)
	dst = append(dst, `","decimals":`...)
	dst = strconv.AppendInt(dst, int64(acc.cur.decimals), 10)
	dst = append(dst, `,"available":"`...)
	dst = available.Append(dst, 10)
	dst = append(dst, `","current":"`...)
	dst = current.Append(dst, 10)
	dst = append(dst, `","as_of":`...)
	dst = appendTime(dst, b.clock)
	return append(dst, '}')
}

// emitBalancesLocked emits balance.updated for each account; b.mu is held.
func (b *Bank) emitBalancesLocked(accounts ...int) {
	for _, a := range accounts {
		b.emit(EventBalanceUpdated, b.balanceLocked(a))
	}
}

// settleLocked settles a pending payout (rejected over payoutLimit) and
// emits its events; b.mu is held.
func (b *Bank) settleLocked(t *tx) {
	amt, _ := new(big.Int).SetString(t.amountStr, 10)
	if amt.Cmp(payoutLimit) > 0 {
		t.status = statusFailed
		t.failureReason = "amount_exceeds_limit"
	} else {
		t.status = statusSucceeded
	}
	b.emit(EventPaymentUpdated, b.appendTx(nil, t))
	b.emitBalancesLocked(t.account)
}

// Trigger makes event happen: a payout of 1.00 from the first account to
// the first beneficiary, settled at once for payout.settled. It returns
// the payout's id.
func (b *Bank) Trigger(event string) (string, error) {
	switch event {
	case TriggerPaymentCreated, TriggerPayoutSettled, TriggerBalanceUpdated:
	default:
		return "", fmt.Errorf("unknown event %q: want one of %v", event, TriggerEvents)
	}
	if len(b.accounts) == 0 || len(b.BeneficiaryIDs()) == 0 {
		return "", fmt.Errorf("the bank needs an account and a beneficiary to trigger %s", event)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.newCreatedLocked("po_", 0, &initiation{Reference: "trigger-" + event, Description: "switchboard trigger " + event}, "100")
	t.kind = kindPayout
	t.scheme = "sepa"
	t.beneficiary = 0
	t.status = statusPending
	b.emit(EventPaymentCreated, b.appendTx(nil, t))
	b.emitBalancesLocked(0)
	if event == TriggerPayoutSettled {
		b.settleLocked(t)
	}
	return t.id, nil
}

func (b *Bank) adminTrigger(w http.ResponseWriter, r *http.Request) {
	id, err := b.Trigger(r.URL.Query().Get("event"))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_event", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"event": r.URL.Query().Get("event"), "payout": id})
}
