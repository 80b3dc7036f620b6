package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrFull is the error of a write refused because the disk is short of
// space. Reads go on; writes resume, without a restart, once space is back.
var ErrFull = errors.New("store full")

// space watches the free space of the store's filesystem. Pebble must
// never meet ENOSPC (it may panic, or be left unable to write), so writes
// are refused while free space is under the reserve: the reserve is the
// room Pebble's own flushes and compactions keep to finish what is in
// flight.
//
// A statfs costs a system call, so it is made at most every
// recheckEvery, or sooner when the bytes written since the last one could
// have eaten half of the room above the reserve.
type space struct {
	dir     string // an existing directory on the store's filesystem
	reserve int64

	mu      sync.Mutex
	free    int64     // at the last statfs; guarded by mu
	at      time.Time // of the last statfs; guarded by mu
	written int64     // bytes committed since; guarded by mu
	bal     ballast   // guarded by mu
}

// DefaultReserve is the reserve on a filesystem of size bytes: the larger
// of 256 MiB and 2% of it, but not more than a quarter of it (a 64 MiB
// tmpfs keeps 16 MiB).
func DefaultReserve(size int64) int64 {
	r := max(256<<20, size/50)
	return min(r, size/4)
}

const recheckEvery = 100 * time.Millisecond

// newSpace watches the filesystem of the store directory path, keeping a
// ballast of ballastSize bytes in it (0: DefaultBallast; negative: none).
func newSpace(path string, reserve, ballastSize int64) (*space, error) {
	sp := &space{dir: filepath.Dir(path)}
	free, size, err := statfs(sp.dir)
	if err != nil {
		return nil, err
	}
	if reserve <= 0 {
		reserve = DefaultReserve(size)
	}
	if ballastSize == 0 {
		ballastSize = DefaultBallast(reserve)
	}
	sp.reserve = reserve
	if ballastSize > 0 {
		sp.bal = ballast{path: filepath.Join(path, BallastName), size: ballastSize}
		if fi, err := os.Stat(sp.bal.path); err == nil {
			if st := ballastState(path); fi.Size() == ballastSize && st.Size >= ballastSize {
				sp.bal.present = true
			} else if err := os.Remove(sp.bal.path); err == nil {
				// Another size (the reserve changed): made again below.
				if free, _, err = statfs(sp.dir); err != nil {
					return nil, err
				}
			}
		}
		if !sp.bal.present && free >= reserve+2*ballastSize {
			// The store's directory may be new.
			if err := os.MkdirAll(path, 0o700); err != nil {
				return nil, err
			}
		}
	}
	sp.free, sp.at = sp.bal.adjust(free, reserve), time.Now()
	return sp, nil
}

// Ballast says whether the ballast file is there (false, too, for a
// store that keeps none).
func (s *Store) Ballast() bool {
	if s.space == nil {
		return false
	}
	s.space.mu.Lock()
	defer s.space.mu.Unlock()
	return s.space.bal.present
}

func statfs(dir string) (free, size int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), int64(st.Blocks) * int64(st.Bsize), nil
}

// check returns ErrFull when writing n more bytes would leave less than
// the reserve free. A nil space (the throw-away store) never refuses.
func (sp *space) check(n int64) error {
	if sp == nil {
		return nil
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	// Pebble writes a batch twice (WAL, then a flushed table), and
	// compactions rewrite it again later: count it three times.
	n *= 3
	if time.Since(sp.at) >= recheckEvery || sp.written+n > (sp.free-sp.reserve)/2 {
		free, _, err := statfs(sp.dir)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
		sp.free, sp.at, sp.written = sp.bal.adjust(free, sp.reserve), time.Now(), 0
	}
	if sp.free-sp.written-n < sp.reserve {
		sp.bal.release()
		return fmt.Errorf("%w: %w: %d MiB free on the disk holding %s, under the %d MiB reserve: free space (writes resume by themselves) or start the daemon with a smaller --store-reserve", ErrStore, ErrFull,
			(sp.free-sp.written)>>20, sp.dir, sp.reserve>>20)
	}
	sp.written += n
	return nil
}
