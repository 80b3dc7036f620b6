// Package discovery keeps the daemon's state directory and the files in it
// that other processes trust (daemon.json with its token): a directory
// only its owner can write, and files replaced atomically through a
// temporary file nobody can have planted or redirected.
package discovery

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PrepareDir creates dir (mode 0700, parents too) or checks the one there:
// a directory that another user owns, or that its group or everyone may
// write, is refused, because whoever can write it can replace the files
// clients trust. The error says why and how to fix it.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	return checkDir(dir, fi)
}

func checkDir(dir string, fi os.FileInfo) error {
	if !fi.IsDir() {
		return fmt.Errorf("state directory %s is not a directory", dir)
	}
	if uid, ok := owner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("state directory %s is owned by uid %d, not by this user (uid %d): another user could replace daemon.json and read its token; use a directory of your own (--state-dir or SWITCHBOARD_STATE_DIR)",
			dir, uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("state directory %s is writable by its group or by everyone (mode %04o): another user could replace daemon.json and read its token; run chmod 700 %s, or use a directory of your own (--state-dir or SWITCHBOARD_STATE_DIR)",
			dir, perm, dir)
	}
	return nil
}

// WriteFile replaces dir/name with data, mode 0600: the data goes to a new
// temporary file in dir, opened with O_CREAT|O_EXCL|O_NOFOLLOW under a
// random name (so a file or symlink planted there is never written
// through), then renamed over name (rename replaces a symlink, never what
// it points to).
func WriteFile(dir, name string, data []byte) error {
	var (
		f   *os.File
		tmp string
	)
	for range 10 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		tmp = filepath.Join(dir, "."+name+"."+hex.EncodeToString(b)+".tmp")
		var err error
		f, err = createNew(tmp)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", tmp, err)
		}
		break
	}
	if f == nil {
		return fmt.Errorf("write %s: no free temporary name", filepath.Join(dir, name))
	}
	_, err := f.Write(data)
	if err == nil {
		// The umask cannot widen 0600, but be explicit about the result.
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
