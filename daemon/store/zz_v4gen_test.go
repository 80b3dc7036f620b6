package store

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGenerateV4Fixture(t *testing.T) {
	if os.Getenv("GEN_V4") == "" {
		t.Skip()
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "v4.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"s-one", "s-two", "s-gone"} {
		if err := s.PutSession(ctx, Session{ID: id, Provider: "demo", Name: "fixture " + id, CreatedAt: t0, PageSize: 50, Config: json.RawMessage(`{"apiKey":"k-` + id + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	page := func(sess, res string, from, n int, status string, state string) {
		var items []Item
		for i := from; i < from+n; i++ {
			ref := fmt.Sprintf("%s_%04d", res[:3], i)
			items = append(items, Item{Ref: ref, CreatedAt: t0.Add(time.Duration(i) * time.Minute), Status: status, Type: "PAY-IN", Asset: "EUR/2", Accounts: []string{"acc_1"},
				Data: json.RawMessage(`{"reference":"` + ref + `","status":"` + status + `","amount":` + fmt.Sprint(i*100) + `}`)})
		}
		done, err := s.CommitPage(ctx, res, items, State{SessionID: sess, Key: res, Resource: res, State: json.RawMessage(fmt.Sprintf(`{"page":%q}`, state)), HasMore: true, Pages: 1, Items: n, UpdatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	page("s-one", "payments", 0, 30, "PENDING", "p1")
	page("s-one", "payments", 30, 30, "SUCCEEDED", "p2")
	page("s-one", "payments", 0, 10, "SUCCEEDED", "p3") // re-fetched: 10 supersede
	page("s-one", "accounts", 0, 5, "", "a1")
	page("s-two", "payments", 0, 20, "FAILED", "q1")
	page("s-two", "accounts", 0, 3, "", "b1")
	if err := s.DeleteStates(ctx, "s-two", "accounts", true); err != nil { // purged
		t.Fatal(err)
	}
	page("s-gone", "payments", 0, 7, "PENDING", "g1")
	if err := s.DeleteSession(ctx, "s-gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join("testdata", "v4.tar"))
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, _ := d.Info()
		h, _ := tar.FileInfoHeader(fi, "")
		h.Name = rel
		h.ModTime = t0
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	out.Close()
}
