package store

import (
	"archive/tar"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/go-cmp/cmp"
)

// copyFixture copies testdata/name (a file, or a tar of a store and the
// files beside it) into a temporary directory and returns the store's path.
func copyFixture(t *testing.T, name, store string) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.HasSuffix(name, ".tar") {
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, store), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, store)
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o700)
			continue
		}
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, store)
}

// listRefs lists every item of a resource, newest first, as
// "reference:status", and checks the total against what was walked.
func listRefs(t *testing.T, s *Store, session, resource string) []string {
	t.Helper()
	var out []string
	q := Query{SessionID: session, Resource: resource, Limit: 7}
	for {
		p, err := s.ListPage(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			var v struct{ Reference, Status string }
			json.Unmarshal(it, &v)
			out = append(out, v.Reference+":"+v.Status)
		}
		if p.Next == "" {
			if p.Total != len(out) {
				t.Errorf("%s %s: total %d, listed %d", session, resource, p.Total, len(out))
			}
			return out
		}
		q.Cursor = p.Next
	}
}

func TestUpgradesSchema1(t *testing.T) {
	path := copyFixture(t, "v1.db", "old.db")
	s := open(t, path)
	states, err := s.States(context.Background(), "old")
	if err != nil || len(states) != 1 || states[0].Pages != 3 || string(states[0].State) != `{"cursor":"x"}` {
		t.Fatalf("v1 states %+v %v", states, err)
	}
	commit(t, s, "old", []Item{payment(1, "SUCCEEDED", "acc")}, `{"cursor":"y"}`)
	if _, err := os.Stat(filepath.Join(path+".schema1", "old.db")); err != nil {
		t.Errorf("the old file was not moved aside: %v", err)
	}
}

// Items of a schema 2 file survive, and a re-fetched item updates the
// upgraded one instead of adding one.
func TestUpgradesSchema2Items(t *testing.T) {
	s := open(t, copyFixture(t, "v2.db", "old.db"))
	if diff := cmp.Diff([]string{"pay_b:PENDING", "pay_a:SUCCEEDED"}, listRefs(t, s, "old", "payments")); diff != "" {
		t.Errorf("payments after the upgrade (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"acc_1:"}, listRefs(t, s, "old", "accounts")); diff != "" {
		t.Errorf("accounts after the upgrade (-want +got):\n%s", diff)
	}
	commit(t, s, "old", []Item{{Ref: "pay_b", CreatedAt: unixNano(2000), Status: "SUCCEEDED", Data: json.RawMessage(`{"reference":"pay_b","status":"SUCCEEDED"}`)}}, `null`)
	if diff := cmp.Diff([]string{"pay_b:SUCCEEDED", "pay_a:SUCCEEDED"}, listRefs(t, s, "old", "payments")); diff != "" {
		t.Errorf("payments after re-fetching pay_b (-want +got):\n%s", diff)
	}
}

// testdata/v4.tar was written by the schema 4 code (SQLite, item logs and
// their Pebble index): s-one with 60 payments, 10 of them fetched again,
// and 5 accounts; s-two with 20 payments and its accounts purged; s-gone
// closed. Every item, state and session comes across, once.
func TestUpgradesSchema4(t *testing.T) {
	path := copyFixture(t, "v4.tar", "v4.db")
	s := open(t, path)
	ctx := context.Background()
	sessions, err := s.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range sessions {
		ids = append(ids, r.ID+" "+r.Name+" "+string(r.Config))
	}
	if diff := cmp.Diff([]string{`s-one fixture s-one {"apiKey":"k-s-one"}`, `s-two fixture s-two {"apiKey":"k-s-two"}`}, ids); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
	pays := listRefs(t, s, "s-one", "payments")
	if len(pays) != 60 || pays[0] != "pay_0059:SUCCEEDED" {
		t.Errorf("s-one payments: %d, first %v", len(pays), pays[:min(1, len(pays))])
	}
	seen := map[string]bool{}
	for _, p := range pays {
		ref, status, _ := strings.Cut(p, ":")
		if seen[ref] {
			t.Errorf("%s listed twice", ref)
		}
		seen[ref] = true
		if ref < "pay_0010" && status != "SUCCEEDED" {
			t.Errorf("%s is %s: the re-fetched record did not win", ref, status)
		}
	}
	if n := len(listRefs(t, s, "s-one", "accounts")); n != 5 {
		t.Errorf("s-one accounts %d, want 5", n)
	}
	if n := len(listRefs(t, s, "s-two", "payments")); n != 20 {
		t.Errorf("s-two payments %d, want 20", n)
	}
	if n := len(listRefs(t, s, "s-two", "accounts")); n != 0 {
		t.Errorf("s-two accounts %d, want 0 (purged)", n)
	}
	states, err := s.States(ctx, "s-one")
	if err != nil || len(states) != 2 || string(states[1].State) != `{"page":"p3"}` {
		t.Errorf("s-one states %+v %v", states, err)
	}
	for _, old := range []string{"v4.db", "v4.db.items"} {
		if _, err := os.Stat(filepath.Join(path+".schema4", old)); err != nil {
			t.Errorf("%s was not moved aside: %v", old, err)
		}
	}
	// Upserts by reference still find the upgraded items.
	commit(t, s, "s-two", []Item{payment(1, "SUCCEEDED", "acc")}, `null`)
	if n, _ := s.Count(ctx, "s-two", "payments"); n != 21 {
		t.Errorf("s-two count %d after one new payment, want 21", n)
	}
	s.Close()
	s = open(t, path)
	if n := len(listRefs(t, s, "s-one", "payments")); n != 60 {
		t.Errorf("after a restart s-one has %d payments", n)
	}
}

// An upgrade that a crash interrupted after the copy finishes at the next
// start; one interrupted during the copy starts over.
func TestInterruptedUpgradeFinishes(t *testing.T) {
	path := copyFixture(t, "v4.tar", "v4.db")
	// During the copy: a partial directory.
	if err := os.MkdirAll(path+".upgrading", 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(path+".upgrading", "junk"), []byte("x"), 0o600)
	s := open(t, path)
	if n, _ := s.Count(context.Background(), "s-one", "payments"); n != 60 {
		t.Fatalf("count %d after an interrupted copy", n)
	}
	s.Close()

	// After the copy and the moves, before the marker's removal.
	path = copyFixture(t, "v4.tar", "v4.db")
	o, err := readOld(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.copyInto(path + ".upgrading"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path+".upgrading.done", []byte("4\n"), 0o600)
	os.MkdirAll(path+".schema4", 0o700)
	for _, f := range []string{"v4.db", "v4.db.items"} {
		os.Rename(filepath.Join(filepath.Dir(path), f), filepath.Join(path+".schema4", f))
	}
	s = open(t, path)
	if n, _ := s.Count(context.Background(), "s-one", "payments"); n != 60 {
		t.Fatalf("count %d after an interrupted move", n)
	}
	if _, err := os.Stat(path + ".upgrading.done"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("marker left: %v", err)
	}
}

func TestRefusesNewerStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s := open(t, path)
	s.Close()
	db, err := pebble.Open(path, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	db.Set(metaKey("version"), appendU64(nil, SchemaVersion+1), pebble.Sync)
	db.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer than this switchboard") {
		t.Fatalf("opening a newer store: %v", err)
	}
}

// A session's deletion takes its items, states and counters, and leaves
// the other sessions' alone, across a restart.
func TestDeletedSessionTakesItsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	ctx := context.Background()
	for _, id := range []string{"gone", "kept"} {
		addSession(t, s, id)
		items := make([]Item, 500)
		for i := range items {
			items[i] = payment(i, "SUCCEEDED", "acc")
		}
		commit(t, s, id, items, `{"c":1}`)
	}
	key, _ := s.sessionKey("gone")
	if err := s.DeleteSession(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	for _, p := range [][]byte{dataPrefix(key), itemPrefix(key)} {
		it, _ := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if it.First() {
			t.Errorf("an entry of the deleted session is left: %x", it.Key())
		}
		it.Close()
	}
	if n, err := s.Count(ctx, "kept", "payments"); err != nil || n != 500 {
		t.Fatalf("the other session has %d items, %v", n, err)
	}
	if st, _ := s.States(ctx, "gone"); len(st) != 0 {
		t.Errorf("states of the deleted session: %v", st)
	}
	// A new session does not get the old one's key.
	addSession(t, s, "new")
	if k, _ := s.sessionKey("new"); k == key {
		t.Errorf("the new session reuses key %d", k)
	}
}

// A schema-5 store (items among the indexes, keyed by resource) opens
// with every item under its schema-6 key, and the version says 6.
func TestUpgradesSchema5Items(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s5.db")
	s := open(t, path)
	ctx := context.Background()
	addSession(t, s, "a")
	items := make([]Item, 300)
	for i := range items {
		items[i] = payment(i, "SUCCEEDED", "acc")
	}
	commit(t, s, "a", items, `{"c":1}`)
	if err := s.PutItems(ctx, "a", "accounts", []Item{{Ref: "acc", CreatedAt: t0, Data: json.RawMessage(`{"reference":"acc"}`)}}); err != nil {
		t.Fatal(err)
	}
	want := eachItem(t, s, "a")
	s.Close()

	// Back to schema 5's layout, by hand.
	db, err := pebble.Open(path, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	it, _ := db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagItem}, UpperBound: []byte{tagItem + 1}})
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		d, _ := decodeItem(v)
		old := appendU64(appendU64(append(append([]byte{tagData}, k[1:9]...), 'i'), resourceKind(d.resource)), binary.BigEndian.Uint64(k[9:]))
		b.Set(old, v, nil)
		b.Delete(k, nil)
	}
	it.Close()
	b.Set(metaKey("version"), appendU64(nil, 5), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = open(t, path)
	if got := eachItem(t, s, "a"); !slices.Equal(got, want) || len(got) != 301 {
		t.Errorf("after the upgrade %d items, want the %d stored", len(got), len(want))
	}
	if v, err := s.metaU64("version"); err != nil || v != SchemaVersion {
		t.Errorf("version %d (%v), want %d", v, err, SchemaVersion)
	}
	p := schema5ItemPrefix(1)
	it, _ = s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagData}, UpperBound: []byte{tagData + 1}})
	for ok := it.First(); ok; ok = it.Next() {
		if k := it.Key(); len(k) == len(p)+16 && k[9] == 'i' {
			t.Errorf("a schema-5 item key is left: %x", k)
			break
		}
	}
	it.Close()
	page, err := s.ListPage(ctx, Query{SessionID: "a", Resource: "payments", Limit: 5})
	if err != nil || len(page.Items) != 5 || page.Total != 300 {
		t.Errorf("a page after the upgrade: %d items of %d, %v", len(page.Items), page.Total, err)
	}
}
