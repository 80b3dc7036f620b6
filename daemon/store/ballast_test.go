package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/internal/smalldisk"
)

func freeOn(t *testing.T, dir string) int64 {
	t.Helper()
	free, _, err := statfs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return free
}

// fillTo writes the file path until about leave bytes are free on its disk.
func fillTo(t *testing.T, path string, leave int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 256<<10)
	for freeOn(t, filepath.Dir(path)) > leave+int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
}

func putSession(s *Store, id string) error {
	return s.PutSession(context.Background(), Session{ID: id, Provider: "demo", Name: id, CreatedAt: t0, PageSize: 100})
}

// TestBallastOnARealSmallDisk: on a 64 MiB tmpfs (reserve 16 MiB,
// ballast 4 MiB) the ballast is made at open; a nearly full disk refuses
// writes with ErrFull and removes the ballast, whose room stays kept from
// new writes; freeing space makes writes resume and the ballast come back;
// a start on a full disk opens read-only without it; store check reports
// it each time.
func TestBallastOnARealSmallDisk(t *testing.T) {
	disk := smalldisk.Mount(t, "64m")
	path := filepath.Join(disk, "s.db")
	filler := filepath.Join(disk, "filler")
	const size = 4 << 20
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	if !s.Ballast() || ballastState(path).Size < size {
		t.Fatalf("no ballast at open: %v %+v", s.Ballast(), ballastState(path))
	}
	addSession(t, s, "a")
	commitPayments(t, s, "a", 1000)

	reserve := s.space.reserve
	fillTo(t, filler, reserve-(1<<20))
	time.Sleep(2 * recheckEvery)
	before := freeOn(t, disk)
	if err := putSession(s, "b"); !errors.Is(err, ErrFull) {
		t.Fatalf("a write on a full disk: %v, want ErrFull", err)
	}
	if s.Ballast() || ballastState(path).Size != 0 {
		t.Fatalf("the ballast is still there on a full disk: %+v", ballastState(path))
	}
	if got := freeOn(t, disk) - before; got < size-(256<<10) {
		t.Fatalf("removing the ballast freed %d bytes, want about %d", got, size)
	}
	time.Sleep(2 * recheckEvery)
	if err := putSession(s, "b"); !errors.Is(err, ErrFull) {
		t.Fatalf("a write into the ballast's room: %v, want ErrFull", err)
	}
	if n, err := s.Count(context.Background(), "a", "payments"); err != nil || n != 1000 {
		t.Fatalf("reads on a full disk: %d payments, %v", n, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * recheckEvery)
	if err := putSession(s, "b"); err != nil {
		t.Fatalf("a write once space is back: %v", err)
	}
	if !s.Ballast() || ballastState(path).Size < size {
		t.Fatalf("the ballast was not made again: %+v", ballastState(path))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r, err := Check(path); err != nil || !r.OK() || r.Ballast.Size < size || r.Readable != 1000 {
		t.Fatalf("check: %+v %v", r, err)
	}

	// A start on a full disk: read-only, the ballast removed, check says so.
	fillTo(t, filler, reserve-(1<<20))
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	if s.ReadOnly() == "" || s.Ballast() {
		t.Fatalf("a start on a full disk: read-only %q, ballast %v", s.ReadOnly(), s.Ballast())
	}
	s.Close()
	if r, err := Check(path); err != nil || r.Ballast.Size != 0 || r.Readable != 1000 {
		t.Fatalf("check on a full disk: %+v %v", r, err)
	}
	os.Remove(filler)
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	if s.ReadOnly() != "" || !s.Ballast() {
		t.Fatalf("a start once space is back: read-only %q, ballast %v", s.ReadOnly(), s.Ballast())
	}
}
