package discovery

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A world-writable directory with a planted daemon.json.tmp (a 0666 file,
// and a symlink to the attacker's file) is refused by PrepareDir; and even
// when a caller writes there anyway, WriteFile neither writes through the
// planted names nor leaves daemon.json readable by others.
func TestPlantedTemporaryFiles(t *testing.T) {
	for _, plant := range []string{"file", "symlink"} {
		t.Run(plant, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
			attacker := filepath.Join(t.TempDir(), "stolen")
			if err := os.WriteFile(attacker, nil, 0o666); err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(dir, "daemon.json.tmp")
			if plant == "file" {
				if err := os.WriteFile(tmp, nil, 0o666); err != nil {
					t.Fatal(err)
				}
				_ = os.Chmod(tmp, 0o666)
			} else if err := os.Symlink(attacker, tmp); err != nil {
				t.Fatal(err)
			}
			// A planted daemon.json symlink too: rename must replace it.
			if err := os.Symlink(attacker, filepath.Join(dir, "daemon.json")); err != nil {
				t.Fatal(err)
			}

			err := PrepareDir(dir)
			if err == nil || !strings.Contains(err.Error(), "writable by its group or by everyone") || !strings.Contains(err.Error(), "chmod 700") {
				t.Fatalf("PrepareDir of a world-writable dir: %v, want a refusal saying why and how to fix it", err)
			}

			if err := WriteFile(dir, "daemon.json", []byte(`{"token":"canary-token-0123456789"}`)); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(filepath.Join(dir, "daemon.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Errorf("daemon.json is %v, want a regular file with mode 0600", fi.Mode())
			}
			if b, _ := os.ReadFile(attacker); len(b) != 0 {
				t.Errorf("the token was written into the attacker's file: %q", b)
			}
			if plant == "file" {
				if b, _ := os.ReadFile(tmp); len(b) != 0 {
					t.Errorf("the planted temporary file was written: %q", b)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".daemon.json.") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestPrepareDir(t *testing.T) {
	base := t.TempDir()
	fresh := filepath.Join(base, "a", "b")
	if err := PrepareDir(fresh); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o700 {
		t.Errorf("created with mode %v, want 0700", fi.Mode().Perm())
	}
	group := filepath.Join(base, "group")
	_ = os.Mkdir(group, 0o700)
	_ = os.Chmod(group, 0o770)
	if err := PrepareDir(group); err == nil {
		t.Error("a group-writable state directory was accepted")
	}
	readable := filepath.Join(base, "readable")
	_ = os.Mkdir(readable, 0o755)
	if err := PrepareDir(readable); err != nil {
		t.Errorf("a 0755 directory of this user was refused: %v", err)
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(base, "other")
		_ = os.Mkdir(other, 0o700)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		err := PrepareDir(other)
		if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("a directory of another user: %v, want a refusal naming its owner", err)
		}
	}
}
