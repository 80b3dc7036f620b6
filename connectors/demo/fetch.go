package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboardpay/switchboard/connector"
)

// bankAccount is the demo bank's account and beneficiary JSON.
type bankAccount struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Status    string    `json:"status"`
	Currency  string    `json:"currency"`
	Decimals  *int      `json:"decimals"`
	IBAN      string    `json:"iban"`
	BIC       string    `json:"bic"`
	Country   string    `json:"country"`
	CreatedAt time.Time `json:"created_at"`
}

// bankBalance is the demo bank's balance JSON.
type bankBalance struct {
	AccountID string    `json:"account_id"`
	Currency  string    `json:"currency"`
	Decimals  *int      `json:"decimals"`
	Available string    `json:"available"`
	Current   string    `json:"current"`
	AsOf      time.Time `json:"as_of"`
}

// bankTransaction is the demo bank's transaction JSON.
type bankTransaction struct {
	ID                   string    `json:"id"`
	AccountID            string    `json:"account_id"`
	CreatedAt            time.Time `json:"created_at"`
	Type                 string    `json:"type"`
	Status               string    `json:"status"`
	Direction            string    `json:"direction"`
	Amount               string    `json:"amount"`
	Currency             string    `json:"currency"`
	Decimals             *int      `json:"decimals"`
	Scheme               string    `json:"scheme"`
	Description          string    `json:"description"`
	Reference            string    `json:"reference"`
	DestinationAccountID string    `json:"destination_account_id"`
	BeneficiaryID        string    `json:"beneficiary_id"`
	FailureReason        string    `json:"failure_reason"`
	Counterparty         *struct {
		Name string `json:"name"`
		IBAN string `json:"iban"`
	} `json:"counterparty"`
	Metadata map[string]string `json:"metadata"`
}

func asset(currency string, decimals *int) (string, error) {
	if currency == "" || decimals == nil || *decimals < 0 {
		return "", fmt.Errorf("currency %q/%v is not an asset", currency, decimals)
	}
	return currency + "/" + strconv.Itoa(*decimals), nil
}

func amount(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("amount %q is not an integer", s)
	}
	return n, nil
}

// malformed reports an item the connector cannot use; a retry may get a
// better answer.
func malformed(what string, raw json.RawMessage, err error) error {
	return &connector.Error{Retryable: true, Message: fmt.Sprintf("malformed %s %s: %v", what, truncate(raw, 200), err), Err: err}
}

func truncate(raw []byte, n int) string {
	if len(raw) <= n {
		return string(raw)
	}
	return string(raw[:n]) + "..."
}

func toAccount(a *bankAccount, raw json.RawMessage) (connector.Account, error) {
	if a.ID == "" {
		return connector.Account{}, malformed("account", raw, fmt.Errorf("no id"))
	}
	out := connector.Account{Reference: a.ID, CreatedAt: a.CreatedAt, Name: a.Name, Raw: raw, Metadata: map[string]string{}}
	if a.Currency != "" && a.Decimals != nil {
		out.DefaultAsset, _ = asset(a.Currency, a.Decimals)
	}
	for k, v := range map[string]string{"iban": a.IBAN, "bic": a.BIC, "country": a.Country, "type": a.Type, "status": a.Status} {
		if v != "" {
			out.Metadata["demo/"+k] = v
		}
	}
	return out, nil
}

func fetchAccounts(ctx context.Context, c *Connector, path string, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	accs, raws, hasMore, st, err := list[bankAccount](ctx, c, path, req)
	if err != nil {
		return connector.Page[connector.Account]{}, err
	}
	items := make([]connector.Account, len(accs))
	for i := range accs {
		if items[i], err = toAccount(&accs[i], raws[i]); err != nil {
			return connector.Page[connector.Account]{}, err
		}
	}
	return connector.Page[connector.Account]{Items: items, NewState: st, HasMore: hasMore}, nil
}

// FetchAccounts pages through the bank's accounts.
func (c *Connector) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	return fetchAccounts(ctx, c, "/v1/accounts", req)
}

// FetchExternalAccounts pages through the bank's beneficiaries.
func (c *Connector) FetchExternalAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	return fetchAccounts(ctx, c, "/v1/beneficiaries", req)
}

// FetchBalances fetches the balances of the account in req.FromPayload. A
// balance is a snapshot: every call fetches it afresh, so there is no
// state to carry.
func (c *Connector) FetchBalances(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Balance], error) {
	if len(req.FromPayload) == 0 {
		return connector.Page[connector.Balance]{}, fmt.Errorf("demo: balances are fetched per account: fromPayload must be an account")
	}
	acc, err := parentAccount(req.FromPayload)
	if err != nil {
		return connector.Page[connector.Balance]{}, err
	}
	// One page holds every balance of an account; the state is not used.
	bals, raws, _, _, err := list[bankBalance](ctx, c, "/v1/accounts/"+url.PathEscape(acc)+"/balances", connector.FetchRequest{PageSize: maxPageSize})
	if err != nil {
		return connector.Page[connector.Balance]{}, err
	}
	items := make([]connector.Balance, 0, len(bals))
	for i := range bals {
		b, err := toBalance(&bals[i], raws[i])
		if err != nil {
			return connector.Page[connector.Balance]{}, err
		}
		items = append(items, b)
	}
	return connector.Page[connector.Balance]{Items: items}, nil
}

// toBalance maps a bank balance; its available amount is the balance.
func toBalance(b *bankBalance, raw []byte) (connector.Balance, error) {
	as, err := asset(b.Currency, b.Decimals)
	if err != nil {
		return connector.Balance{}, malformed("balance", raw, err)
	}
	amt, err := amount(b.Available)
	if err != nil {
		return connector.Balance{}, malformed("balance", raw, err)
	}
	return connector.Balance{AccountReference: b.AccountID, Asset: as, Amount: amt, CreatedAt: b.AsOf}, nil
}

// FetchPayments pages through the transactions of the account in
// req.FromPayload, or of every account when there is none.
func (c *Connector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	path := "/v1/transactions"
	if len(req.FromPayload) > 0 && string(req.FromPayload) != "null" {
		acc, err := parentAccount(req.FromPayload)
		if err != nil {
			return connector.Page[connector.Payment]{}, err
		}
		path = "/v1/accounts/" + url.PathEscape(acc) + "/transactions"
	}
	txs, raws, hasMore, st, err := list[bankTransaction](ctx, c, path, req)
	if err != nil {
		return connector.Page[connector.Payment]{}, err
	}
	items := make([]connector.Payment, len(txs))
	for i := range txs {
		if items[i], err = toPayment(&txs[i], raws[i]); err != nil {
			return connector.Page[connector.Payment]{}, err
		}
	}
	page := connector.Page[connector.Payment]{Items: items, NewState: st, HasMore: hasMore}
	// At the end of the list the bank says which transactions it voided
	// since: one request per run, not per page.
	if !hasMore {
		if err := c.voided(ctx, &page); err != nil {
			return connector.Page[connector.Payment]{}, err
		}
	}
	return page, nil
}

var paymentTypes = map[string]connector.PaymentType{
	"payin":    connector.PaymentTypePayIn,
	"payout":   connector.PaymentTypePayout,
	"transfer": connector.PaymentTypeTransfer,
}

var paymentStatuses = map[string]connector.PaymentStatus{
	"succeeded": connector.PaymentStatusSucceeded,
	"pending":   connector.PaymentStatusPending,
	"failed":    connector.PaymentStatusFailed,
	"refunded":  connector.PaymentStatusRefunded,
	"cancelled": connector.PaymentStatusCancelled,
}

func toPayment(t *bankTransaction, raw json.RawMessage) (connector.Payment, error) {
	if t.ID == "" {
		return connector.Payment{}, malformed("transaction", raw, fmt.Errorf("no id"))
	}
	as, err := asset(t.Currency, t.Decimals)
	if err != nil {
		return connector.Payment{}, malformed("transaction", raw, err)
	}
	amt, err := amount(t.Amount)
	if err != nil {
		return connector.Payment{}, malformed("transaction", raw, err)
	}
	typ, ok := paymentTypes[t.Type]
	if !ok {
		typ = connector.PaymentTypeOther // fees, refunds
	}
	status, ok := paymentStatuses[t.Status]
	if !ok {
		status = connector.PaymentStatusOther
	}
	p := connector.Payment{
		Reference: t.ID,
		CreatedAt: t.CreatedAt,
		Type:      typ,
		Amount:    amt,
		Asset:     as,
		Scheme:    t.Scheme,
		Status:    status,
		Metadata:  make(map[string]string, len(t.Metadata)+3),
		Raw:       raw,
	}
	if p.Scheme == "" {
		p.Scheme = "other"
	}
	// Money flows into the account for credits and out of it otherwise.
	if t.Direction == "credit" {
		p.DestinationAccountReference = t.AccountID
	} else {
		p.SourceAccountReference = t.AccountID
		p.DestinationAccountReference = t.DestinationAccountID
		if p.DestinationAccountReference == "" {
			p.DestinationAccountReference = t.BeneficiaryID
		}
	}
	for k, v := range t.Metadata {
		p.Metadata[k] = v
	}
	if t.Reference != "" {
		p.Metadata["demo/reference"] = t.Reference
	}
	if t.Description != "" {
		p.Metadata["demo/description"] = t.Description
	}
	if t.Counterparty != nil && t.Counterparty.Name != "" {
		p.Metadata["demo/counterparty"] = t.Counterparty.Name
	}
	if t.FailureReason != "" {
		p.Metadata["demo/failure_reason"] = t.FailureReason
	}
	return p, nil
}
