// Package wirefill fills protocol values with random data, every field
// found by reflection, for the tests that hold the hand-written page and
// item encoders (and the Go client's one-pass decoders) to encoding/json.
// Because fields are found by reflection, a field added to a protocol type
// is filled, encoding/json writes it, and an encoder that does not know it
// fails its test: a new optional field is one edit, and a forgotten
// encoder is a red test rather than a silently dropped field.
package wirefill

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Mode says how many fields Fill sets.
type Mode int

const (
	// All sets every field to a non-zero value: the test that an encoder
	// writes every field.
	All Mode = iota
	// Some leaves each field zero with probability one half: the test of
	// omitempty and of null raw values.
	Some
)

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage(nil))
)

// Fill sets the exported fields of the struct *v from r. It panics on a
// field kind it does not know, so a new kind of field is noticed too.
func Fill(v any, r *rand.Rand, mode Mode) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("wirefill: Fill wants a pointer to a struct, got %T", v))
	}
	fillStruct(rv.Elem(), r, mode, 0)
}

func fillStruct(v reflect.Value, r *rand.Rand, mode Mode, depth int) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if !t.Field(i).IsExported() {
			continue
		}
		if mode == Some && r.Intn(2) == 0 {
			continue
		}
		fillValue(v.Field(i), r, mode, depth+1)
	}
}

func fillValue(v reflect.Value, r *rand.Rand, mode Mode, depth int) {
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(Time(r)))
		return
	case v.Type() == rawType:
		v.Set(reflect.ValueOf(json.RawMessage(Raw(r, 0))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(String(r))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1 + r.Int63n(1<<31))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1 + uint64(r.Int63n(1<<31)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(Float(r))
	case reflect.Slice:
		n := 1 + r.Intn(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			fillValue(s.Index(i), r, mode, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := r.Intn(4); i >= 0; i-- {
			k := reflect.New(v.Type().Key()).Elem()
			fillValue(k, r, mode, depth+1)
			e := reflect.New(v.Type().Elem()).Elem()
			fillValue(e, r, mode, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(p.Elem(), r, mode, depth+1)
		v.Set(p)
	case reflect.Struct:
		fillStruct(v, r, mode, depth)
	default:
		panic(fmt.Sprintf("wirefill: no filler for a field of kind %s (%s)", v.Kind(), v.Type()))
	}
}

// pieces are what strings are made of: plain ids, and what encoders get
// wrong (quotes, backslashes, HTML, control bytes, line separators,
// invalid UTF-8, non-ASCII).
var pieces = []string{"pay_", "acc", "0", "42", "EUR/2", `"`, `\`, "<", ">", "&", "\n", "\t", "\x00", "\x1f", "\u2028", "\u2029", "é", "日本", "\xff", "\xc3", " ", "/", "a\"b"}

// String returns a random non-empty string.
func String(r *rand.Rand) string {
	s := ""
	for i := 1 + r.Intn(4); i > 0; i-- {
		s += pieces[r.Intn(len(pieces))]
	}
	return s
}

// Float returns a random positive float, now and then one encoding/json
// writes with an exponent.
func Float(r *rand.Rand) float64 {
	switch r.Intn(6) {
	case 0:
		return math.Pow(10, float64(r.Intn(40)-20)) * (1 + r.Float64())
	case 1:
		return float64(r.Intn(1000))
	default:
		return r.Float64() * 1000
	}
}

// Time returns a random time, in UTC or a fixed zone, with or without
// fractional seconds.
func Time(r *rand.Rand) time.Time {
	t := time.Unix(r.Int63n(4e9), 0)
	if r.Intn(2) == 0 {
		t = t.Add(time.Duration(r.Int63n(1e9)))
	}
	if r.Intn(3) == 0 {
		return t.In(time.FixedZone("x", (r.Intn(27)-12)*3600))
	}
	return t.UTC()
}

// Raw returns random compact JSON, as providers send it.
func Raw(r *rand.Rand, depth int) []byte {
	k := r.Intn(7)
	if depth > 2 {
		k = r.Intn(4)
	}
	switch k {
	case 0:
		return []byte("null")
	case 1:
		return []byte(strconv.FormatBool(r.Intn(2) == 0))
	case 2:
		return []byte(strconv.Itoa(r.Intn(2000) - 1000))
	case 3:
		b, _ := json.Marshal(String(r))
		return b
	case 4, 5:
		b := []byte{'{'}
		for i := r.Intn(3); i >= 0; i-- {
			if len(b) > 1 {
				b = append(b, ',')
			}
			key, _ := json.Marshal(String(r))
			b = append(append(append(b, key...), ':'), Raw(r, depth+1)...)
		}
		return append(b, '}')
	default:
		b := []byte{'['}
		for i := r.Intn(3); i >= 0; i-- {
			if len(b) > 1 {
				b = append(b, ',')
			}
			b = append(b, Raw(r, depth+1)...)
		}
		return append(b, ']')
	}
}

// htmlEscapes are the escapes encoding/json writes inside raw JSON values
// (json.RawMessage members) and the hand encoders copy raw values as
// they are: the same JSON value, written two ways.
var htmlEscapes = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u2028`, "\u2028", `\u2029`, "\u2029")

// Canonical returns JSON b with encoding/json's HTML escapes written as the
// characters they stand for, so that encoders that differ only there
// compare equal. Apply it to both sides of a comparison.
func Canonical(b []byte) string { return htmlEscapes.Replace(string(b)) }
