package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"time"

	stripego "github.com/stripe/stripe-go/v80"

	"github.com/switchboardpay/switchboard/connector"
)

// Metadata keys the connector adds; the provider's own metadata keeps its
// keys.
const (
	metaPlatform = "stripe/platform" // "true" on the platform account
)

// malformed reports a Stripe answer the connector cannot use; a retry may
// get a better one.
func malformed(what string, err error) error {
	return &connector.Error{Retryable: true, Message: fmt.Sprintf("stripe: malformed %s: %v", what, err), Err: err}
}

// listBody checks a list answer and returns the raw JSON of its items.
func listBody(op string, resp *stripego.APIResponse, n int) ([]json.RawMessage, error) {
	if resp == nil {
		return nil, malformed(op+" answer", fmt.Errorf("no response"))
	}
	raws, err := rawItems(resp.RawJSON)
	if err != nil {
		return nil, malformed(op+" answer", err)
	}
	if len(raws) != n {
		return nil, malformed(op+" answer", fmt.Errorf("%d raw items for %d decoded ones", len(raws), n))
	}
	return raws, nil
}

func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// FetchAccounts returns the platform account (GET /v1/account) first, then
// the connected accounts (GET /v1/accounts), continuing from the state.
func (c *Connector) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	var st accountsState
	if err := parseState(req.State, &st); err != nil {
		return connector.Page[connector.Account]{}, err
	}
	limit := clampLimit(req.PageSize)
	var items []connector.Account
	if !st.PlatformDone {
		acc, err := c.getPlatform(ctx)
		if err != nil {
			return connector.Page[connector.Account]{}, err
		}
		items = append(items, toAccount(acc, acc.LastResponse.RawJSON, true))
		st.PlatformDone = true
		if limit--; limit == 0 {
			ns, err := marshalState(st)
			return connector.Page[connector.Account]{Items: items, NewState: ns, HasMore: true}, err
		}
	}

	lp := listParams(ctx, parent{}, limit)
	st.apply(&lp)
	it := c.api.Accounts.List(&stripego.AccountListParams{ListParams: lp})
	if err := it.Err(); err != nil {
		return connector.Page[connector.Account]{}, wrapErr(ctx, "GET /v1/accounts", err)
	}
	list := it.AccountList()
	raws, err := listBody("GET /v1/accounts", list.LastResponse, len(list.Data))
	if err != nil {
		return connector.Page[connector.Account]{}, err
	}
	ids := make([]string, len(list.Data))
	page := make([]connector.Account, len(list.Data))
	for i, a := range list.Data {
		if a == nil || a.ID == "" {
			return connector.Page[connector.Account]{}, malformed("account", fmt.Errorf("no id in %s", raws[i]))
		}
		ids[i] = a.ID
		page[i] = toAccount(a, raws[i], false)
	}
	if st.advance(ids, list.HasMore) {
		reverse(page)
	}
	ns, err := marshalState(st)
	return connector.Page[connector.Account]{Items: append(items, page...), NewState: ns, HasMore: list.HasMore}, err
}

func toAccount(a *stripego.Account, raw json.RawMessage, platform bool) connector.Account {
	out := connector.Account{
		Reference: a.ID,
		CreatedAt: unixTime(a.Created),
		Metadata:  make(map[string]string, len(a.Metadata)+5),
		Raw:       raw,
	}
	switch {
	case a.BusinessProfile != nil && a.BusinessProfile.Name != "":
		out.Name = a.BusinessProfile.Name
	case a.Settings != nil && a.Settings.Dashboard != nil && a.Settings.Dashboard.DisplayName != "":
		out.Name = a.Settings.Dashboard.DisplayName
	default:
		out.Name = a.Email
	}
	if a.DefaultCurrency != "" {
		out.DefaultAsset, _ = assetOf(string(a.DefaultCurrency))
	}
	for k, v := range a.Metadata {
		out.Metadata[k] = v
	}
	if platform {
		out.Metadata[metaPlatform] = "true"
	}
	for k, v := range map[string]string{"country": a.Country, "email": a.Email, "type": string(a.Type)} {
		if v != "" {
			out.Metadata["stripe/"+k] = v
		}
	}
	return out
}

// FetchBalances returns the balance of the account in fromPayload (the
// platform's when there is none), GET /v1/balance with a Stripe-Account
// header for a connected account: one Balance per currency, of the
// available amount (what can be paid out or transferred now). Stripe's
// pending amounts are left out: a Balance has no field to tell them apart
// from the available ones, and the balance transactions behind them are
// fetched as payments (metadata "stripe/status": "pending"). A balance is
// a snapshot: every call fetches it afresh, there is no state.
func (c *Connector) FetchBalances(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Balance], error) {
	acc, err := c.parentAccount(ctx, req.FromPayload)
	if err != nil {
		return connector.Page[connector.Balance]{}, err
	}
	params := &stripego.BalanceParams{Params: stripego.Params{Context: ctx}}
	if !acc.Platform {
		params.SetStripeAccount(acc.ID)
	}
	b, err := c.api.Balance.Get(params)
	if err != nil {
		return connector.Page[connector.Balance]{}, wrapErr(ctx, "GET /v1/balance", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	items := make([]connector.Balance, 0, len(b.Available))
	for _, a := range b.Available {
		if a == nil {
			continue
		}
		as, err := assetOf(string(a.Currency))
		if err != nil {
			return connector.Page[connector.Balance]{}, malformed("balance", err)
		}
		items = append(items, connector.Balance{AccountReference: acc.ID, Asset: as, Amount: big.NewInt(a.Amount), CreatedAt: now})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Asset < items[j].Asset })
	return connector.Page[connector.Balance]{Items: items}, nil
}

// FetchExternalAccounts returns the bank accounts of the connected account
// in fromPayload (GET /v1/accounts/{id}/external_accounts?object=bank_account),
// continuing from the state. Stripe keeps the platform's own bank
// accounts out of the API, so the platform account has none here.
func (c *Connector) FetchExternalAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	if len(req.FromPayload) == 0 || string(req.FromPayload) == "null" {
		return connector.Page[connector.Account]{}, invalid("stripe: external accounts are fetched per connected account: fromPayload must be an account")
	}
	var st cursor
	if err := parseState(req.State, &st); err != nil {
		return connector.Page[connector.Account]{}, err
	}
	acc, err := c.parentAccount(ctx, req.FromPayload)
	if err != nil {
		return connector.Page[connector.Account]{}, err
	}
	if acc.Platform {
		return connector.Page[connector.Account]{NewState: req.State}, nil
	}
	// The platform reads a connected account's bank accounts: no
	// Stripe-Account header.
	lp := listParams(ctx, parent{}, req.PageSize)
	st.apply(&lp)
	op := "GET /v1/accounts/" + acc.ID + "/external_accounts"
	it := c.api.BankAccounts.List(&stripego.BankAccountListParams{ListParams: lp, Account: stripego.String(acc.ID)})
	if err := it.Err(); err != nil {
		return connector.Page[connector.Account]{}, wrapErr(ctx, op, err)
	}
	list := it.BankAccountList()
	raws, err := listBody(op, list.LastResponse, len(list.Data))
	if err != nil {
		return connector.Page[connector.Account]{}, err
	}
	ids := make([]string, len(list.Data))
	items := make([]connector.Account, len(list.Data))
	for i, ba := range list.Data {
		if ba == nil || ba.ID == "" {
			return connector.Page[connector.Account]{}, malformed("bank account", fmt.Errorf("no id in %s", raws[i]))
		}
		ids[i] = ba.ID
		items[i] = toExternalAccount(acc.ID, ba, raws[i])
	}
	if st.advance(ids, list.HasMore) {
		reverse(items)
	}
	ns, err := marshalState(st)
	return connector.Page[connector.Account]{Items: items, NewState: ns, HasMore: list.HasMore}, err
}

// toExternalAccount maps a bank account of a connected account. Stripe
// bank accounts carry no creation time, so CreatedAt is left zero.
func toExternalAccount(owner string, ba *stripego.BankAccount, raw json.RawMessage) connector.Account {
	out := connector.Account{
		Reference: ba.ID,
		Name:      ba.AccountHolderName,
		Metadata:  make(map[string]string, len(ba.Metadata)+8),
		Raw:       raw,
	}
	if out.Name == "" {
		out.Name = ba.BankName
		if ba.Last4 != "" {
			out.Name += " ****" + ba.Last4
		}
	}
	if ba.Currency != "" {
		out.DefaultAsset, _ = assetOf(string(ba.Currency))
	}
	for k, v := range ba.Metadata {
		out.Metadata[k] = v
	}
	out.Metadata["stripe/account"] = owner
	for k, v := range map[string]string{
		"bankName":          ba.BankName,
		"last4":             ba.Last4,
		"country":           ba.Country,
		"routingNumber":     ba.RoutingNumber,
		"status":            string(ba.Status),
		"accountHolderType": string(ba.AccountHolderType),
	} {
		if v != "" {
			out.Metadata["stripe/"+k] = v
		}
	}
	if ba.DefaultForCurrency {
		out.Metadata["stripe/defaultForCurrency"] = strconv.FormatBool(true)
	}
	return out
}

// FetchPayments returns the balance transactions of the account in
// fromPayload, or of the platform when there is none
// (GET /v1/balance_transactions?expand[]=data.source, with a
// Stripe-Account header for a connected account), continuing from the
// state; see toPayment for the mapping.
func (c *Connector) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	var st cursor
	if err := parseState(req.State, &st); err != nil {
		return connector.Page[connector.Payment]{}, err
	}
	acc, err := c.parentAccount(ctx, req.FromPayload)
	if err != nil {
		return connector.Page[connector.Payment]{}, err
	}
	lp := listParams(ctx, acc, req.PageSize)
	st.apply(&lp)
	params := &stripego.BalanceTransactionListParams{ListParams: lp}
	params.AddExpand("data.source")
	const op = "GET /v1/balance_transactions"
	it := c.api.BalanceTransactions.List(params)
	if err := it.Err(); err != nil {
		return connector.Page[connector.Payment]{}, wrapErr(ctx, op, err)
	}
	list := it.BalanceTransactionList()
	raws, err := listBody(op, list.LastResponse, len(list.Data))
	if err != nil {
		return connector.Page[connector.Payment]{}, err
	}
	ids := make([]string, len(list.Data))
	items := make([]connector.Payment, len(list.Data))
	for i, bt := range list.Data {
		if bt == nil || bt.ID == "" {
			return connector.Page[connector.Payment]{}, malformed("balance transaction", fmt.Errorf("no id in %s", raws[i]))
		}
		ids[i] = bt.ID
		if items[i], err = toPayment(acc.ID, bt, raws[i]); err != nil {
			return connector.Page[connector.Payment]{}, err
		}
	}
	if st.advance(ids, list.HasMore) {
		reverse(items)
	}
	ns, err := marshalState(st)
	return connector.Page[connector.Payment]{Items: items, NewState: ns, HasMore: list.HasMore}, err
}
