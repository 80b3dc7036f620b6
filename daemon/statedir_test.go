package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/daemon"
)

// The store in the default state directory gets the same protection as
// daemon.json: a directory others may write is refused, a new one is 0700.
func TestOpenRefusesSharedStateDir(t *testing.T) {
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SWITCHBOARD_STATE_DIR", shared)
	if d, err := daemon.Open(context.Background(), daemon.Options{Logger: quietLogger()}); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		if d != nil {
			d.Close()
		}
		t.Fatalf("Open in a world-writable state directory: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "state")
	t.Setenv("SWITCHBOARD_STATE_DIR", fresh)
	d, err := daemon.Open(context.Background(), daemon.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory created as %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}
