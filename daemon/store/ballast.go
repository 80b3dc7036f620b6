package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// BallastName is the ballast file in the store's directory (Pebble
// ignores files it does not name itself).
const BallastName = "BALLAST"

// DefaultBallast is the ballast kept for a reserve: a quarter of it, at
// most 64 MiB (room for a flush of the 16 MiB memtable and the compaction
// after it; 4 MiB on a 64 MiB tmpfs). CockroachDB keeps up to 1 GiB, but
// its stores are not made by the dozen in a test run.
func DefaultBallast(reserve int64) int64 { return min(reserve/4, 64<<20) }

// ballast is CockroachDB's model: a file of allocated blocks kept in the
// store's directory. When free space falls under the reserve, writes are
// refused and the ballast is removed: its room is for what must still be
// written while refusing (Pebble's flushes and compactions, deletions,
// the refusal's own records), never for new items, because its size stays
// counted against free space while it is gone. It is made again once free
// space is back above the reserve by twice its size.
//
// Guarded by space.mu.
type ballast struct {
	path    string // "" when the store keeps none
	size    int64
	present bool
}

// BallastState is what store check says of the ballast.
type BallastState struct {
	Path string
	// Size is the allocated size of the file, 0 when it is missing.
	Size int64
}

func ballastState(dir string) BallastState {
	st := BallastState{Path: filepath.Join(dir, BallastName)}
	var fi unix.Stat_t
	if err := unix.Stat(st.Path, &fi); err == nil {
		st.Size = fi.Blocks * 512
	}
	return st
}

// make allocates the ballast's blocks (fallocate; written zeros where the
// filesystem cannot), replacing a file of another size.
func (b *ballast) make() error {
	tmp := b.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = unix.Fallocate(int(f.Fd()), 0, 0, b.size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		err = writeZeros(f, b.size)
	}
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(tmp, b.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ballast %s: %w", b.path, err)
	}
	b.present = true
	return nil
}

func writeZeros(f *os.File, n int64) error {
	chunk := make([]byte, 1<<20)
	for n > 0 {
		w, err := f.Write(chunk[:min(n, int64(len(chunk)))])
		if err != nil {
			return err
		}
		n -= int64(w)
	}
	return nil
}

// adjust is called with every fresh statfs (free bytes, the ballast's
// blocks not counted as free) and returns the free space to compare with
// the reserve: the ballast's size is taken off while it is missing. It
// makes the ballast again once free is above the reserve by twice its
// size.
func (b *ballast) adjust(free, reserve int64) int64 {
	if b.path == "" || b.present {
		return free
	}
	if free < reserve+2*b.size {
		return free - b.size
	}
	if err := b.make(); err != nil {
		slog.Warn("store: the ballast file could not be made again", "err", err.Error())
	} else {
		slog.Debug("store: ballast file made (it is removed when the disk is nearly full)", "file", b.path, "size", b.size)
	}
	return free - b.size
}

// release removes the ballast as writes start being refused.
func (b *ballast) release() {
	if b.path == "" || !b.present {
		return
	}
	if err := os.Remove(b.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		slog.Error("store: disk nearly full, and the ballast file could not be removed", "file", b.path, "err", err.Error())
		return
	}
	b.present = false
	slog.Warn("store: disk nearly full: writes are refused and the ballast file is removed so the store can finish its work; it is made again when space is back", "file", b.path, "size", b.size)
}
