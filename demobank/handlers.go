package demobank

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// payoutLimit is the amount, in minor units, above which a payout fails
// when it settles: the one way a client can provoke a rejected payout.
var payoutLimit = big.NewInt(100_000_000)

func (b *Bank) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/accounts", b.listAccounts)
	m.HandleFunc("GET /v1/accounts/{id}", b.getAccount)
	m.HandleFunc("GET /v1/accounts/{id}/balances", b.listBalances)
	m.HandleFunc("GET /v1/accounts/{id}/transactions", b.listAccountTransactions)
	m.HandleFunc("GET /v1/transactions", b.listTransactions)
	m.HandleFunc("GET /v1/beneficiaries", b.listBeneficiaries)
	m.HandleFunc("GET /v1/beneficiaries/{id}", b.getBeneficiary)
	m.HandleFunc("POST /v1/transfers", b.createTransfer)
	m.HandleFunc("GET /v1/transfers/{id}", b.getTransfer)
	m.HandleFunc("POST /v1/payouts", b.createPayout)
	m.HandleFunc("GET /v1/payouts/{id}", b.getPayout)
	b.marketRoutes(m)
	m.HandleFunc("POST /v1/webhook_endpoints", b.createEndpoint)
	m.HandleFunc("GET /v1/webhook_endpoints", b.listEndpoints)
	m.HandleFunc("GET /admin/webhooks", b.adminWebhooks)
	m.HandleFunc("POST /admin/trigger", b.adminTrigger)
	m.HandleFunc("POST /admin/grow", b.adminGrow)
	m.HandleFunc("GET /admin/faults", b.adminFaults)
	m.HandleFunc("POST /admin/faults", b.adminFaults)
	m.HandleFunc("GET /admin/stats", b.adminStats)
	m.HandleFunc("GET /admin/clock", b.adminClock)
	m.HandleFunc("POST /admin/clock", b.adminClock)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no route for "+r.Method+" "+r.URL.Path)
	})
	b.mux = m
}

// ServeHTTP checks the API key, applies growth and faults, and routes.
func (b *Bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(b.key)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="demobank"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or invalid API key")
		return
	}
	b.requests.Add(1)
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		b.growLazily()
		if b.injectFault(w, r) {
			return
		}
	}
	b.mux.ServeHTTP(w, r)
}

// injectFault applies the configured faults to one request and reports
// whether it answered the request itself.
func (b *Bank) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f := b.faults.Load()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.ErrorEvery <= 0 && f.MalformedEvery <= 0 {
		return false
	}
	n := b.faultSeq.Add(1)
	if f.ErrorEvery > 0 && n%int64(f.ErrorEvery) == 0 {
		status := f.ErrorStatus
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
			writeError(w, status, "rate_limited", "too many requests, slow down")
		} else {
			writeError(w, status, "server_error", "injected fault: "+http.StatusText(status))
		}
		return true
	}
	if f.MalformedEvery > 0 && n%int64(f.MalformedEvery) == 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"txn_`)
		return true
	}
	return false
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	body := make([]byte, 0, 128)
	body = append(body, `{"error":{"code":`...)
	body = appendString(body, code)
	body = append(body, `,"message":`...)
	body = appendString(body, msg)
	body = append(body, `}}`...)
	writeBody(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	writeBody(w, status, body)
}

// pageParams reads ?limit and ?cursor; it answers 400 itself when they are
// bad.
func (b *Bank) pageParams(w http.ResponseWriter, r *http.Request) (limit int, cursor string, ok bool) {
	q := r.URL.Query()
	limit = b.cfg.DefaultPageSize
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "invalid_limit", "limit must be a positive integer")
			return 0, "", false
		}
		limit = min(n, b.cfg.MaxPageSize)
	}
	return limit, q.Get("cursor"), true
}

func (b *Bank) listAccounts(w http.ResponseWriter, r *http.Request) {
	limit, cursor, ok := b.pageParams(w, r)
	if !ok {
		return
	}
	b.writeOffsetList(w, cursor, limit, len(b.accounts), func(dst []byte, i int) []byte {
		return appendAccount(dst, &b.accounts[i])
	})
}

func (b *Bank) listBeneficiaries(w http.ResponseWriter, r *http.Request) {
	limit, cursor, ok := b.pageParams(w, r)
	if !ok {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	b.writeOffsetList(w, cursor, limit, len(b.bens), func(dst []byte, i int) []byte {
		return appendBeneficiary(dst, &b.bens[i])
	})
}

// writeOffsetList pages a list that only ever grows at its end, where an
// offset cursor is stable.
func (b *Bank) writeOffsetList(w http.ResponseWriter, cursor string, limit, n int, item func([]byte, int) []byte) {
	from := 0
	if cursor != "" {
		var err error
		if from, err = decodeOffsetCursor(cursor); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_cursor", "cursor is not one this API returned")
			return
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	dst := append(*buf, listStart...)
	end := min(from+limit, n)
	for i := from; i < end; i++ {
		if i > from {
			dst = append(dst, ',')
		}
		dst = item(dst, i)
	}
	next := cursor
	if end > from {
		next = encodeOffsetCursor(end)
	}
	dst = appendListEnd(dst, end < n, next)
	*buf = dst
	writeBody(w, http.StatusOK, dst)
}

func (b *Bank) account(w http.ResponseWriter, r *http.Request) (int, bool) {
	a, ok := b.accIndex[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "account_not_found", "no account "+r.PathValue("id"))
	}
	return a, ok
}

func (b *Bank) getAccount(w http.ResponseWriter, r *http.Request) {
	a, ok := b.account(w, r)
	if !ok {
		return
	}
	writeBody(w, http.StatusOK, appendAccount(nil, &b.accounts[a]))
}

func (b *Bank) getBeneficiary(w http.ResponseWriter, r *http.Request) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	j, ok := b.benIndex[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "beneficiary_not_found", "no beneficiary "+r.PathValue("id"))
		return
	}
	writeBody(w, http.StatusOK, appendBeneficiary(nil, &b.bens[j]))
}

// listBalances answers the account's balance: its opening balance moved by
// every stored transaction (generated ones are history the opening
// balance already includes).
func (b *Bank) listBalances(w http.ResponseWriter, r *http.Request) {
	a, ok := b.account(w, r)
	if !ok {
		return
	}
	b.mu.RLock()
	bal := b.balanceLocked(a)
	b.mu.RUnlock()
	dst := make([]byte, 0, 256)
	dst = append(dst, listStart...)
	dst = append(dst, bal...)
	dst = appendListEnd(dst, false, "")
	writeBody(w, http.StatusOK, dst)
}

func (b *Bank) listAccountTransactions(w http.ResponseWriter, r *http.Request) {
	a, ok := b.account(w, r)
	if !ok {
		return
	}
	b.writeTxList(w, r, []int{a})
}

func (b *Bank) listTransactions(w http.ResponseWriter, r *http.Request) {
	b.writeTxList(w, r, nil)
}

func (b *Bank) writeTxList(w http.ResponseWriter, r *http.Request, accounts []int) {
	limit, cursor, ok := b.pageParams(w, r)
	if !ok {
		return
	}
	var pos *position
	if cursor != "" {
		p, err := decodeTxCursor(cursor)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_cursor", "cursor is not one this API returned")
			return
		}
		pos = &p
	}
	buf := getBuf()
	defer putBuf(buf)
	dst := append(*buf, listStart...)
	b.mu.RLock()
	dst, next, hasMore := b.appendTxPage(dst, accounts, pos, limit)
	b.mu.RUnlock()
	if next == "" {
		next = cursor
	}
	dst = appendListEnd(dst, hasMore, next)
	*buf = dst
	writeBody(w, http.StatusOK, dst)
}

// initiation is the body of POST /v1/transfers and POST /v1/payouts.
type initiation struct {
	SourceAccountID      string            `json:"source_account_id"`
	DestinationAccountID string            `json:"destination_account_id"`
	BeneficiaryID        string            `json:"beneficiary_id"`
	Amount               json.RawMessage   `json:"amount"`
	Currency             string            `json:"currency"`
	Decimals             *int              `json:"decimals"`
	Reference            string            `json:"reference"`
	Description          string            `json:"description"`
	Metadata             map[string]string `json:"metadata"`
}

// readInitiation decodes and checks the parts common to transfers and
// payouts; it answers the error itself.
func (b *Bank) readInitiation(w http.ResponseWriter, r *http.Request) (*initiation, int, string, bool) {
	var in initiation
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "request body: "+err.Error())
		return nil, 0, "", false
	}
	var amount string
	if err := json.Unmarshal(in.Amount, &amount); err != nil || !validAmount(amount) {
		writeError(w, http.StatusUnprocessableEntity, "invalid_amount", "amount must be a string of positive integer minor units, e.g. \"1250\"")
		return nil, 0, "", false
	}
	a, ok := b.accIndex[in.SourceAccountID]
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "account_not_found", "no source account "+strconv.Quote(in.SourceAccountID))
		return nil, 0, "", false
	}
	cur := b.accounts[a].cur
	if in.Currency != cur.code || (in.Decimals != nil && *in.Decimals != cur.decimals) {
		writeError(w, http.StatusUnprocessableEntity, "currency_mismatch",
			"account "+in.SourceAccountID+" holds "+cur.code+"/"+strconv.Itoa(cur.decimals))
		return nil, 0, "", false
	}
	return &in, a, amount, true
}

func validAmount(s string) bool {
	if s == "" || len(s) > 40 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// replay answers a request whose Idempotency-Key was seen, under b.mu.
func (b *Bank) replayLocked(w http.ResponseWriter, r *http.Request, prefix string) bool {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return false
	}
	t, ok := b.idem[prefix+key]
	if !ok {
		return false
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeBody(w, http.StatusOK, b.appendTx(nil, t))
	return true
}

func (b *Bank) createTransfer(w http.ResponseWriter, r *http.Request) {
	in, a, amount, ok := b.readInitiation(w, r)
	if !ok {
		return
	}
	d, ok := b.accIndex[in.DestinationAccountID]
	if !ok || d == a {
		writeError(w, http.StatusUnprocessableEntity, "invalid_destination",
			"destination_account_id must be another account of this bank")
		return
	}
	if b.accounts[d].cur != b.accounts[a].cur {
		writeError(w, http.StatusUnprocessableEntity, "currency_mismatch", "source and destination accounts hold different currencies")
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.replayLocked(w, r, "tr:") {
		return
	}
	t := b.newCreatedLocked("tr_", a, in, amount)
	t.kind = kindTransfer
	t.scheme = "internal"
	t.destAccount = d
	t.status = statusSucceeded
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		b.idem["tr:"+key] = t
	}
	w.Header().Set("Location", "/v1/transfers/"+t.id)
	body := b.appendTx(nil, t)
	b.emit(EventPaymentCreated, body)
	b.emitBalancesLocked(a)
	writeBody(w, http.StatusCreated, body)
}

func (b *Bank) createPayout(w http.ResponseWriter, r *http.Request) {
	in, a, amount, ok := b.readInitiation(w, r)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j, ok := b.benIndex[in.BeneficiaryID]
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "beneficiary_not_found", "no beneficiary "+strconv.Quote(in.BeneficiaryID))
		return
	}
	if b.replayLocked(w, r, "po:") {
		return
	}
	t := b.newCreatedLocked("po_", a, in, amount)
	t.kind = kindPayout
	t.scheme = "sepa"
	t.beneficiary = j
	t.status = statusPending
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		b.idem["po:"+key] = t
	}
	w.Header().Set("Location", "/v1/payouts/"+t.id)
	body := b.appendTx(nil, t)
	b.emit(EventPaymentCreated, body)
	b.emitBalancesLocked(a)
	writeBody(w, http.StatusAccepted, body)
}

// newCreatedLocked appends a transfer or payout to account a's list.
func (b *Bank) newCreatedLocked(prefix string, a int, in *initiation, amount string) *tx {
	b.created++
	t := &tx{
		id:           prefix + hex16(mix(b.cfg.Seed, saltCreated, b.created, 0)),
		account:      a,
		createdAt:    b.tickLocked(),
		amountStr:    amount,
		counterparty: -1,
		beneficiary:  -1,
		destAccount:  -1,
		reference:    in.Reference,
		description:  in.Description,
		metadata:     in.Metadata,
	}
	if t.metadata == nil {
		t.metadata = map[string]string{}
	}
	b.appended[a] = append(b.appended[a], t)
	b.byID[t.id] = t
	return t
}

func (b *Bank) getTransfer(w http.ResponseWriter, r *http.Request) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t, ok := b.byID[r.PathValue("id")]
	if !ok || t.kind != kindTransfer {
		writeError(w, http.StatusNotFound, "transfer_not_found", "no transfer "+r.PathValue("id"))
		return
	}
	writeBody(w, http.StatusOK, b.appendTx(nil, t))
}

// getPayout is the poll: a pending payout settles once it has been polled
// more than PayoutPendingPolls times.
func (b *Bank) getPayout(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.byID[r.PathValue("id")]
	if !ok || t.kind != kindPayout {
		writeError(w, http.StatusNotFound, "payout_not_found", "no payout "+r.PathValue("id"))
		return
	}
	t.polls++
	if t.status == statusPending && t.polls > b.cfg.PayoutPendingPolls {
		b.settleLocked(t)
	}
	writeBody(w, http.StatusOK, b.appendTx(nil, t))
}

func (b *Bank) adminGrow(w http.ResponseWriter, r *http.Request) {
	n := 1
	if s := r.URL.Query().Get("n"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 0 || n > 10_000_000 {
			writeError(w, http.StatusBadRequest, "invalid_n", "n must be an integer between 0 and 10000000")
			return
		}
	}
	total := b.AddTransactions(n)
	writeJSON(w, http.StatusOK, map[string]int{"added": n, "total_transactions": total})
}

func (b *Bank) adminFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var fj faultsJSON
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&fj); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_json", "request body: "+err.Error())
			return
		}
		if fj.LatencyMs < 0 || fj.ErrorEvery < 0 || fj.MalformedEvery < 0 || fj.WebhookDelayMs < 0 ||
			(fj.ErrorStatus != 0 && (fj.ErrorStatus < 400 || fj.ErrorStatus > 599)) {
			writeError(w, http.StatusUnprocessableEntity, "invalid_faults", "counts must be >= 0 and errorStatus a 4xx or 5xx code")
			return
		}
		b.SetFaults(Faults{
			Latency:        time.Duration(fj.LatencyMs) * time.Millisecond,
			ErrorEvery:     fj.ErrorEvery,
			ErrorStatus:    fj.ErrorStatus,
			MalformedEvery: fj.MalformedEvery,

			WebhookBadSignature: fj.WebhookBadSignature,
			WebhookDuplicate:    fj.WebhookDuplicate,
			WebhookOutOfOrder:   fj.WebhookOutOfOrder,
			WebhookDelay:        time.Duration(fj.WebhookDelayMs) * time.Millisecond,
		})
	}
	f := b.Faults()
	writeJSON(w, http.StatusOK, faultsJSON{
		LatencyMs:      f.Latency.Milliseconds(),
		ErrorEvery:     f.ErrorEvery,
		ErrorStatus:    f.ErrorStatus,
		MalformedEvery: f.MalformedEvery,

		WebhookBadSignature: f.WebhookBadSignature,
		WebhookDuplicate:    f.WebhookDuplicate,
		WebhookOutOfOrder:   f.WebhookOutOfOrder,
		WebhookDelayMs:      f.WebhookDelay.Milliseconds(),
	})
}

func (b *Bank) adminStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]int64{
		"requests":      b.requests.Load(),
		"accounts":      int64(len(b.accounts)),
		"beneficiaries": int64(len(b.BeneficiaryIDs())),
		"transactions":  int64(b.TotalTransactions()),
	})
}
