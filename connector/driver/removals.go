package driver

import (
	"encoding/json"
	"fmt"

	"github.com/switchboardpay/switchboard/protocol"
)

// checkRemovals refuses payments to delete or cancel outside a payments
// page, and empty references: both are connector bugs that would
// otherwise be silently ignored.
func checkRemovals(op string, del, cancel []string) error {
	if len(del) == 0 && len(cancel) == 0 {
		return nil
	}
	if op != "fetch/"+protocol.ResourcePayments {
		return fmt.Errorf("returned paymentsToDelete or paymentsToCancel in a %s page: only a payments page may", op)
	}
	for name, refs := range map[string][]string{"paymentsToDelete": del, "paymentsToCancel": cancel} {
		for i, r := range refs {
			if r == "" {
				return fmt.Errorf("%s[%d] has no reference", name, i)
			}
		}
	}
	return nil
}

// CancelPayment returns the record of a stored payment's wire JSON with
// its status CANCELLED, as a payments page's paymentsToCancel asks.
func CancelPayment(item json.RawMessage) (Record, error) {
	var p protocol.Payment
	if err := json.Unmarshal(item, &p); err != nil {
		return Record{}, fmt.Errorf("payment to cancel: %w", err)
	}
	p.Status = protocol.PaymentStatusCancelled
	b, err := AppendPayment(nil, &p)
	if err != nil {
		return Record{}, fmt.Errorf("payment to cancel: %w", err)
	}
	r := paymentRecord(&p)
	r.JSON = b
	return r, nil
}
