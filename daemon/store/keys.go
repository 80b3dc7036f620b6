package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"

	"github.com/switchboardpay/switchboard/protocol"
)

// Everything is in one Pebble database, under these keys (big-endian
// integers, so keys sort as numbers):
//
//	'b' key seq                           -> an item (itemValue, which names its resource)
//	'm' name                              -> metadata (schema version, counters)
//	's' session id                        -> the session (JSON)
//	't' session id 0x00 state key         -> a state (JSON)
//	'd' key 'r' kind reference            -> seq, created: the reference's latest item
//	'd' key 'c' kind created seq          -> the filter fields (filterValue)
//	'd' key 'n' kind                      -> how many items the kind holds
//	'w' session id 0x00 'c'               -> the session's webhook secret and configs (WebhookSetup, JSON)
//	'w' session id 0x00 'd' seq           -> a webhook delivery (JSON), the last few hundred kept
//
// key is the session's small integer (its 36-character id would repeat in
// every entry), kind the resource's number, seq a store-wide number that
// grows with every item written. An item fetched again gets a new seq;
// its old 'b' and 'c' entries are deleted in the same batch, so nothing
// superseded stays. The 'n' counter is kept in the same batches, so a
// total costs one read.
//
// The items are apart from everything else, first in key order, and
// keyed by seq alone within a session (not by resource): a sync appends
// at the end of its session's 'b' range whatever resource it fetches, so
// each flushed table of items lies past every table below it and Pebble
// moves it down the tree instead of rewriting it with the random-keyed
// indexes at each level (the old append-only logs' one write, with
// Pebble's WAL and checksums). Only the small indexes are compacted.
const (
	tagItem    = 'b'
	tagMeta    = 'm'
	tagSession = 's'
	tagState   = 't'
	tagData    = 'd'
	tagWebhook = 'w'

	subRef     = 'r'
	subCreated = 'c'
	subCount   = 'n'

	subSetup    = 'c' // under tagWebhook
	subDelivery = 'd' // under tagWebhook
)

// resourceKinds number the resources in keys. Append only: the numbers are
// stored.
var resourceKinds = map[string]uint64{
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
func resourceKind(resource string) uint64 {
	if k, ok := resourceKinds[resource]; ok {
		return k
	}
	h := sha256.Sum256([]byte(resource))
	return 1<<20 + uint64(binary.BigEndian.Uint32(h[:4])>>12)
}

func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func metaKey(name string) []byte { return append([]byte{tagMeta}, name...) }

func sessionKeyOf(id string) []byte { return append([]byte{tagSession}, id...) }

func statePrefix(id string) []byte {
	b := append([]byte{tagState}, id...)
	return append(b, 0)
}

func stateKey(id, key string) []byte { return append(statePrefix(id), key...) }

// dataPrefix is every data entry of a session.
func dataPrefix(key uint64) []byte { return appendU64([]byte{tagData}, key) }

// subPrefix is one kind of entry of a session, of one resource kind (or of
// all for kind 0).
func subPrefix(key uint64, sub byte, kind uint64) []byte {
	b := append(dataPrefix(key), sub)
	if kind != 0 {
		b = appendU64(b, kind)
	}
	return b
}

// itemPrefix is every item of a session.
func itemPrefix(key uint64) []byte { return appendU64([]byte{tagItem}, key) }

// itemKeyLen is the length of an item key.
const itemKeyLen = 17

func itemKey(dst []byte, key, seq uint64) []byte {
	dst = append(dst[:0], tagItem)
	dst = appendU64(dst, key)
	return appendU64(dst, seq)
}

func refKey(dst []byte, key, kind uint64, ref string) []byte {
	dst = append(dst[:0], tagData)
	dst = appendU64(dst, key)
	dst = append(dst, subRef)
	dst = appendU64(dst, kind)
	return append(dst, ref...)
}

// timeOrder maps a signed Unix time onto unsigned order.
func timeOrder(t int64) uint64 { return uint64(t) ^ 1<<63 }

func timeFromOrder(u uint64) int64 { return int64(u ^ 1<<63) }

func createdKey(dst []byte, key, kind uint64, created int64, seq uint64) []byte {
	dst = append(dst[:0], tagData)
	dst = appendU64(dst, key)
	dst = append(dst, subCreated)
	dst = appendU64(dst, kind)
	dst = appendU64(dst, timeOrder(created))
	return appendU64(dst, seq)
}

func countKey(key, kind uint64) []byte {
	return appendU64(append(dataPrefix(key), subCount), kind)
}

// prefixEnd is the first key after every key starting with p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
