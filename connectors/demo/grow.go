package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/demobank"
)

var _ connector.Grower = (*Connector)(nil)

// Grow implements connector.Grower: n new transactions of the parent
// account, in the in-process bank or through the bank's POST /admin/clock.
func (c *Connector) Grow(ctx context.Context, parent json.RawMessage, n int) error {
	acc, err := parentAccount(parent)
	if err != nil {
		return err
	}
	if c.bank != nil {
		r, err := c.bank.advance(demobank.Advance{Payments: n, Account: acc})
		if err != nil {
			return err
		}
		if r.Added != n {
			return fmt.Errorf("demo: the bank has no account %q", acc)
		}
		return nil
	}
	var res demobank.AdvanceResult
	if _, err := c.do(ctx, http.MethodPost, "/admin/clock", nil, map[string]any{"payments": n, "account": acc}, nil, &res); err != nil {
		return err
	}
	if res.Added != n {
		return fmt.Errorf("demo: the bank has no account %q", acc)
	}
	return nil
}
