package cassette

import (
	"os"
	"path/filepath"
	"sync"
	"time"

	vcr "gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// cacheBytes bounds the cassettes kept parsed in memory, by file size.
const cacheBytes = 512 << 20

// tapeCache keeps parsed tapes by absolute path, valid while the file has
// the size and modification time it had when parsed or written: parsing
// YAML costs more than the replay it feeds (a 40 MB cassette takes about
// a second and a half), and the loop is record once, replay many times.
// Tapes are never modified after Load, so players share them.
//
// Invariant: bytes is the sum of the entries' sizes; order lists every
// key, oldest first.
var tapeCache struct {
	mu      sync.Mutex
	entries map[string]cachedTape
	order   []string
	bytes   int64
}

type cachedTape struct {
	size int64
	mod  time.Time
	tape *Tape
}

func cacheKey(path string) (string, os.FileInfo, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, false
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", nil, false
	}
	return abs, fi, true
}

// cached returns the parsed tape of path if the file has not changed.
func cached(path string) *Tape {
	key, fi, ok := cacheKey(path)
	if !ok {
		return nil
	}
	tapeCache.mu.Lock()
	defer tapeCache.mu.Unlock()
	e, ok := tapeCache.entries[key]
	if !ok || e.size != fi.Size() || !e.mod.Equal(fi.ModTime()) {
		return nil
	}
	t := *e.tape
	t.Path = path
	return &t
}

// remember keeps t as the parsed form of path as it is now on disk.
func remember(path string, t *Tape) {
	key, fi, ok := cacheKey(path)
	if !ok || fi.Size() > cacheBytes {
		return
	}
	tapeCache.mu.Lock()
	defer tapeCache.mu.Unlock()
	if tapeCache.entries == nil {
		tapeCache.entries = map[string]cachedTape{}
	}
	if old, ok := tapeCache.entries[key]; ok {
		tapeCache.bytes -= old.size
		for i, k := range tapeCache.order {
			if k == key {
				tapeCache.order = append(tapeCache.order[:i], tapeCache.order[i+1:]...)
				break
			}
		}
	}
	for tapeCache.bytes+fi.Size() > cacheBytes && len(tapeCache.order) > 0 {
		oldest := tapeCache.order[0]
		tapeCache.order = tapeCache.order[1:]
		tapeCache.bytes -= tapeCache.entries[oldest].size
		delete(tapeCache.entries, oldest)
	}
	tapeCache.entries[key] = cachedTape{size: fi.Size(), mod: fi.ModTime(), tape: t}
	tapeCache.order = append(tapeCache.order, key)
	tapeCache.bytes += fi.Size()
}

// tapeOf sorts a cassette's interactions into a tape.
func tapeOf(path string, interactions []*vcr.Interaction) (*Tape, error) {
	t := &Tape{Path: path}
	for _, i := range interactions {
		if err := t.add(i); err != nil {
			return nil, err
		}
	}
	return t, nil
}
