package store

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"fmt"

	"modernc.org/sqlite"

	"github.com/switchboardpay/switchboard/protocol"
)

// resourceKinds number the resources in the items' index keys and log
// records. Append only: the numbers are stored.
var resourceKinds = map[string]int64{
	protocol.ResourceAccounts:         1,
	protocol.ResourceExternalAccounts: 2,
	protocol.ResourceBalances:         3,
	protocol.ResourcePayments:         4,
	protocol.ResourceOthers:           5,
	protocol.ResourceOrders:           6,
	protocol.ResourceConversions:      7,
}

// resourceKind returns the stored number of a resource. A name outside
// the protocol's list gets a number derived from it, above the list's.
func resourceKind(resource string) int64 {
	if k, ok := resourceKinds[resource]; ok {
		return k
	}
	h := sha256.Sum256([]byte(resource))
	return 1<<20 + int64(binary.BigEndian.Uint32(h[:4])>>12)
}

// refKey was the key of a reference in schema 3's items table: the first
// 63 bits of SHA-256 over resource and reference. Only the migration to
// version 3 computes it now (items live in logs since version 4, keyed by
// the reference itself).
func refKey(resource, ref string) int64 {
	h := sha256.New()
	h.Write([]byte(resource))
	h.Write([]byte{0})
	h.Write([]byte(ref))
	var sum [sha256.Size]byte
	return int64(binary.BigEndian.Uint64(h.Sum(sum[:0])) >> 1)
}

// The schema's migration to version 3 computes both keys in SQL.
func init() {
	text := func(v driver.Value) (string, error) {
		switch v := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		}
		return "", fmt.Errorf("want text, got %T", v)
	}
	if err := sqlite.RegisterDeterministicScalarFunction("switchboard_kind", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		r, err := text(args[0])
		if err != nil {
			return nil, err
		}
		return resourceKind(r), nil
	}); err != nil {
		panic(err)
	}
	if err := sqlite.RegisterDeterministicScalarFunction("switchboard_rkey", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		r, err := text(args[0])
		if err != nil {
			return nil, err
		}
		ref, err := text(args[1])
		if err != nil {
			return nil, err
		}
		return refKey(r, ref), nil
	}); err != nil {
		panic(err)
	}
}
