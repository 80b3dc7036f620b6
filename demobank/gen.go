package demobank

import "strconv"

// The generated data set is a pure function of (seed, account index,
// transaction index): nothing of it is stored, so a bank of a million
// payments costs no more memory than a bank of ten. Every field is drawn
// from mix with its own salt so that changing one rule does not reshuffle
// the others.

const (
	saltAccountID uint64 = iota + 1
	saltAccount
	saltBeneficiaryID
	saltBeneficiary
	saltTxID
	saltTxTime
	saltTxKind
	saltTxStatus
	saltTxAmount
	saltTxMisc
	saltBalance
	saltCreated
	saltWebhook
)

// mix is splitmix64 over the inputs: cheap, well spread, and stable across
// Go versions (math/rand's streams are not a promise).
func mix(seed int64, salt, a, b uint64) uint64 {
	x := uint64(seed) ^ salt*0x9e3779b97f4a7c15 ^ a*0xbf58476d1ce4e5b9 ^ b*0x94d049bb133111eb
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

type txKind uint8

const (
	kindPayin txKind = iota
	kindPayout
	kindTransfer
	kindFee
	kindRefund
)

var kindNames = [...]string{"payin", "payout", "transfer", "fee", "refund"}

func (k txKind) String() string { return kindNames[k] }

type txStatus uint8

const (
	statusSucceeded txStatus = iota
	statusPending
	statusFailed
	statusRefunded
	statusCancelled
)

var statusNames = [...]string{"succeeded", "pending", "failed", "refunded", "cancelled"}

func (s txStatus) String() string { return statusNames[s] }

type currency struct {
	code     string
	decimals int
}

var currencies = [...]currency{
	{"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"EUR", 2}, {"JPY", 0}, {"CHF", 2},
}

var accountNames = [...]string{
	"Operating", "Payroll", "Reserve", "Marketplace", "Treasury", "Escrow", "Settlement", "Savings",
}

var counterparties = [...]string{
	"Acme GmbH", "Globex SARL", "Initech Ltd", "Umbrella BV", "Hooli Inc", "Stark Industries",
	"Wayne Enterprises", "Soylent Oy", "Tyrell Corp", "Cyberdyne AB", "Wonka Sweets", "Gringotts",
	"Vandelay Imports", "Pied Piper", "Dunder Mifflin", "Oceanic Airlines",
}

var countries = [...]string{"DE", "FR", "NL", "ES", "IT", "BE", "IE", "AT"}

var payinSchemes = [...]string{"sepa", "card_visa", "card_mastercard", "sepa_instant"}
var payoutSchemes = [...]string{"sepa", "swift"}

// account is a generated account at the bank.
type account struct {
	id        string
	name      string
	cur       currency
	iban      string
	createdAt int64 // unix micros
	opening   int64 // opening balance, minor units
}

// beneficiary is an external account payouts can go to.
type beneficiary struct {
	id        string
	name      string
	iban      string
	bic       string
	country   string
	cur       currency
	createdAt int64
}

func hex16(v uint64) string {
	var b [16]byte
	return string(appendHex16(b[:0], v))
}

func appendHex16(dst []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[(v>>uint(shift))&0xf])
	}
	return dst
}

// iban makes a plausible (not checksummed) IBAN from h.
func iban(country string, h uint64) string {
	b := make([]byte, 0, 22)
	b = append(b, country...)
	b = appendPadded(b, int64(10+h%90), 2)
	b = appendPadded(b, int64(h%1_000_000_000), 9)
	b = appendPadded(b, int64((h>>30)%1_000_000_000), 9)
	return string(b)
}

// appendPadded writes v in decimal, zero-padded to width. It is on the hot
// path of every timestamp, hence digits by hand rather than strconv.
func appendPadded(dst []byte, v int64, width int) []byte {
	if v < 0 {
		return strconv.AppendInt(dst, v, 10)
	}
	var tmp [20]byte
	i := len(tmp)
	u := uint64(v)
	for {
		i--
		tmp[i] = byte('0' + u%10)
		u /= 10
		if u == 0 && len(tmp)-i >= width {
			break
		}
	}
	return append(dst, tmp[i:]...)
}

func genAccount(seed int64, a int, start int64) account {
	h := mix(seed, saltAccount, uint64(a), 0)
	cur := currencies[h%uint64(len(currencies))]
	name := accountNames[a%len(accountNames)] + " " + cur.code
	if a >= len(accountNames) {
		name += " #" + strconv.Itoa(a/len(accountNames)+1)
	}
	return account{
		id:        "acc_" + hex16(mix(seed, saltAccountID, uint64(a), 0)),
		name:      name,
		cur:       cur,
		iban:      iban(countries[(h>>8)%uint64(len(countries))], h>>12),
		createdAt: start - 30*24*3600*1e6 + int64(a)*3600*1e6,
		opening:   int64(100_000 + (h>>20)%1_000_000_000),
	}
}

func genBeneficiary(seed int64, j int, start int64) beneficiary {
	h := mix(seed, saltBeneficiary, uint64(j), 0)
	cur := currencies[h%uint64(len(currencies))]
	country := countries[(h>>8)%uint64(len(countries))]
	name := counterparties[(h>>16)%uint64(len(counterparties))]
	return beneficiary{
		id:        "ben_" + hex16(mix(seed, saltBeneficiaryID, uint64(j), 0)),
		name:      name,
		iban:      iban(country, h>>20),
		bic:       "DEMO" + country + "2X",
		country:   country,
		cur:       cur,
		createdAt: start - 20*24*3600*1e6 + int64(j)*60*1e6,
	}
}

// tx is one transaction, either generated on the fly (id == "", hid set)
// or stored because growth, a transfer or a payout appended it.
type tx struct {
	id        string // "" for generated and grown: "txn_" + hex16(hid)
	hid       uint64
	account   int
	createdAt int64 // unix micros
	kind      txKind
	status    txStatus
	amount    int64
	amountStr string // set for created transfers and payouts (any size)
	scheme    string

	counterparty int // index in counterparties for pay-ins and refunds, or -1
	cpIBAN       uint64
	beneficiary  int // index in Bank.bens for payouts, or -1
	destAccount  int // for transfers, or -1
	refNum       uint64

	// Set only on created transfers and payouts.
	reference     string
	description   string
	metadata      map[string]string
	failureReason string
	polls         int
}

// genTime is the created-at of generated transaction i of account a: strictly
// increasing in i (jitter stays below the step), which is what lets a cursor
// be found by binary search.
func (b *Bank) genTime(a int, i int64) int64 {
	return b.start + i*b.step + int64(mix(b.cfg.Seed, saltTxTime, uint64(a), uint64(i))%uint64(b.step))
}

// genTx fills t with transaction i of account a.
func (b *Bank) genTx(a int, i int64, t *tx) {
	seed := b.cfg.Seed
	*t = tx{
		hid:          mix(seed, saltTxID, uint64(a), uint64(i)),
		account:      a,
		createdAt:    b.genTime(a, i),
		counterparty: -1,
		beneficiary:  -1,
		destAccount:  -1,
	}
	hk := mix(seed, saltTxKind, uint64(a), uint64(i))
	hs := mix(seed, saltTxStatus, uint64(a), uint64(i))
	ha := mix(seed, saltTxAmount, uint64(a), uint64(i))
	hm := mix(seed, saltTxMisc, uint64(a), uint64(i))
	t.refNum = hm % 1_000_000

	switch k := hk % 100; {
	case k < 55:
		t.kind = kindPayin
	case k < 75 && len(b.bens) > 0:
		t.kind = kindPayout
	case k < 88 && len(b.accounts) > 1:
		t.kind = kindTransfer
	case k < 95:
		t.kind = kindFee
	default:
		t.kind = kindRefund
	}
	switch s := hs % 100; {
	case s < 90:
		t.status = statusSucceeded
	case s < 94:
		t.status = statusPending
	case s < 97:
		t.status = statusFailed
	case s < 99 && t.kind == kindPayin:
		t.status = statusRefunded
	case s < 99:
		t.status = statusSucceeded
	default:
		t.status = statusCancelled
	}
	switch t.kind {
	case kindPayin:
		t.amount = int64(500 + ha%499_500)
		t.scheme = payinSchemes[(hm>>20)%uint64(len(payinSchemes))]
		t.counterparty = int((hm >> 24) % uint64(len(counterparties)))
		t.cpIBAN = hm >> 28
	case kindPayout:
		t.amount = int64(1_000 + ha%1_999_000)
		t.scheme = payoutSchemes[(hm>>20)%uint64(len(payoutSchemes))]
		t.beneficiary = int((hm >> 24) % uint64(len(b.bens)))
	case kindTransfer:
		t.amount = int64(10_000 + ha%990_000)
		t.scheme = "internal"
		t.destAccount = (a + 1 + int((hm>>24)%uint64(len(b.accounts)-1))) % len(b.accounts)
	case kindFee:
		t.amount = int64(10 + ha%1_990)
		t.scheme = "other"
	case kindRefund:
		t.amount = int64(100 + ha%49_900)
		t.scheme = payinSchemes[(hm>>20)%uint64(len(payinSchemes))]
		t.counterparty = int((hm >> 24) % uint64(len(counterparties)))
		t.cpIBAN = hm >> 28
	}
	if t.status == statusFailed {
		t.failureReason = "insufficient_funds"
		if t.kind == kindPayin {
			t.failureReason = "declined"
		}
	}
}

// isCredit tells whether t adds money to its account.
func (t *tx) isCredit() bool { return t.kind == kindPayin }
