package store

import (
	"encoding/binary"
	"strings"
)

// The values are plain concatenations of varints and length-prefixed
// strings: Pebble frames and checksums them, so they need neither.

// itemValue is a 'b' entry: what export and salvage need without the
// indexes (the resource and reference), then the item's JSON.
func itemValue(dst []byte, resource string, it Item) []byte {
	dst = binary.AppendVarint(dst[:0], it.CreatedAt.UnixNano())
	dst = appendString(dst, resource)
	dst = appendString(dst, it.Ref)
	return append(dst, it.Data...)
}

// decodedItem is a decoded 'b' entry. Its slices alias the value.
type decodedItem struct {
	created  int64
	resource string
	ref      string
	data     []byte
}

func decodeItem(v []byte) (decodedItem, bool) {
	var d decodedItem
	var w int
	d.created, w = binary.Varint(v)
	if w <= 0 {
		return d, false
	}
	v = v[w:]
	ok := true
	if d.resource, v, ok = readString(v); !ok {
		return d, false
	}
	if d.ref, v, ok = readString(v); !ok {
		return d, false
	}
	d.data = v
	return d, true
}

// filterValue is a 'c' entry: the fields data/list filters on, so a
// filtered page or count reads the small index, not the items.
func filterValue(dst []byte, it Item) []byte {
	dst = dst[:0]
	for _, s := range []string{it.Status, it.Type, it.Asset, accountsColumn(it.Accounts)} {
		dst = appendString(dst, s)
	}
	return dst
}

type filterFields struct{ status, typ, asset, accounts string }

func decodeFilter(v []byte) (filterFields, bool) {
	var f filterFields
	ok := true
	for _, dst := range []*string{&f.status, &f.typ, &f.asset, &f.accounts} {
		if *dst, v, ok = readString(v); !ok {
			return f, false
		}
	}
	return f, true
}

// refValue is an 'r' entry: the seq and creation time of the latest item
// of a reference, which name its 'b' and 'c' entries.
func refValue(dst []byte, seq uint64, created int64) []byte {
	return binary.BigEndian.AppendUint64(appendU64(dst[:0], seq), uint64(created))
}

func decodeRef(v []byte) (seq uint64, created int64, ok bool) {
	if len(v) != 16 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(v), int64(binary.BigEndian.Uint64(v[8:])), true
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// accountsColumn stores references space-delimited on both ends, so that
// a filter finds whole references only.
func accountsColumn(refs []string) string {
	if len(refs) == 0 {
		return ""
	}
	return " " + strings.Join(refs, " ") + " "
}
