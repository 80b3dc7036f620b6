package cassette

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	vcr "gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// JournalSuffix names a cassette's journal: PATH.journal beside PATH.
//
// A recording keeps its cassette a plain go-vcr file, rewritten whole only
// when it is saved (at stop and close), and appends every interaction as
// it happens to the journal, one JSON line each, synced after every
// connector call. A daemon killed mid-recording leaves the cassette as of
// its last save and the journal with everything after it; Load folds the
// journal into the cassette (atomically) and removes it, so what was
// recorded before the kill replays.
const JournalSuffix = ".journal"

// JournalPath returns the journal of the cassette at path.
func JournalPath(path string) string { return path + JournalSuffix }

// journal is the append-only side file of a Writer. A failed write (a full
// disk) stops it until the next successful save empties it, so that a
// line torn by the failure is never followed by others: the interactions
// stay in memory and the save reports the error.
//
// Not safe for concurrent use: the Writer's mu guards it.
type journal struct {
	f      *os.File
	key    string
	broken error
	buf    []byte
}

// liveJournals are the journals of this process's writers, by absolute
// path: a Load of a cassette being recorded reads its journal but leaves
// cassette and journal to the writer.
var liveJournals sync.Map

func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(JournalPath(path), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cassette %s: journal: %w", path, err)
	}
	key, _ := filepath.Abs(f.Name())
	liveJournals.Store(key, true)
	return &journal{f: f, key: key}, nil
}

// append writes one interaction as a line; with sync it also syncs the
// file.
func (j *journal) append(i *vcr.Interaction, sync bool) {
	if j == nil || j.broken != nil {
		return
	}
	b, err := json.Marshal(i)
	if err != nil {
		j.broken = err
		return
	}
	j.buf = append(append(j.buf[:0], b...), '\n')
	if _, err := j.f.Write(j.buf); err != nil {
		j.broken = err
		return
	}
	if sync {
		if err := j.f.Sync(); err != nil {
			j.broken = err
		}
	}
}

// reset empties the journal once the cassette holds all it held.
func (j *journal) reset() error {
	if j == nil {
		return nil
	}
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	j.broken = nil
	return nil
}

// remove closes and deletes the journal (the recording ended, saved).
func (j *journal) remove() {
	if j == nil {
		return
	}
	name := j.f.Name()
	j.f.Close()
	os.Remove(name)
	liveJournals.Delete(j.key)
}

// readJournal returns the interactions of path's journal, or nil when
// there is none. A last line cut short (the kill came mid-write) is
// dropped: it was never synced, so never promised. Damage before the last
// line is an error, never skipped.
func readJournal(path string) ([]*vcr.Interaction, error) {
	raw, err := os.ReadFile(JournalPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cassette %s: journal: %w", path, err)
	}
	var out []*vcr.Interaction
	r := bufio.NewReader(bytes.NewReader(raw))
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			// No newline: a torn tail (or nothing).
			return out, nil
		}
		var i vcr.Interaction
		if jerr := json.Unmarshal(line, &i); jerr != nil {
			if _, perr := r.Peek(1); perr == io.EOF {
				return out, nil // the last line, torn while written
			}
			return nil, fmt.Errorf("cassette %s: journal line %d is damaged: %w", path, n, jerr)
		}
		out = append(out, &i)
	}
}

// recover folds path's journal, if any, into the cassette: the
// interactions after the cassette's last one are appended, the cassette is
// saved atomically and the journal removed. It returns the interactions
// of the recovered cassette, or nil when there was no journal.
func recoverJournal(path string) ([]*vcr.Interaction, error) {
	extra, err := readJournal(path)
	if err != nil || extra == nil {
		return nil, err
	}
	c, err := vcr.Load(name(path))
	if err != nil {
		return nil, fmt.Errorf("cassette %s: %w", path, err)
	}
	for _, i := range extra {
		next := len(c.Interactions)
		if i.ID < next {
			continue // saved into the cassette before the journal was emptied
		}
		if i.ID != next {
			return nil, fmt.Errorf("cassette %s: journal skips from interaction %d to %d", path, next-1, i.ID)
		}
		c.AddInteraction(i)
	}
	if key, _ := filepath.Abs(JournalPath(path)); isLive(key) {
		return slices.Clone(c.Interactions), nil
	}
	if err := save(c, path); err != nil {
		// The cassette and its journal stay as they were; the replay
		// still gets everything.
		return slices.Clone(c.Interactions), nil
	}
	os.Remove(JournalPath(path))
	return slices.Clone(c.Interactions), nil
}

func isLive(key string) bool {
	_, ok := liveJournals.Load(key)
	return ok
}
