package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	client "github.com/switchboardpay/switchboard/clients/go"
)

// The token can come from the environment, a file or (with a warning) the
// command line; a short one is refused; the banner prints it once; and the
// CLI finds it in daemon.json as before.
func TestServeToken(t *testing.T) {
	const tok = "canary-token-0123456789"
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     string
		args    []string
		warning bool
	}{
		{"environment", tok, nil, false},
		{"file", "", []string{"--token-file", tokFile}, false},
		{"flag", "", []string{"--token", tok}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(TokenEnv, tc.env)
			dir := t.TempDir()
			_, stderr, stop := start(t, append([]string{"serve", "--listen", "127.0.0.1:0", "--state-dir", dir}, tc.args...)...)
			waitFor(t, "daemon.json", func() bool { _, err := client.Discover(dir); return err == nil })
			info, err := client.Discover(dir)
			if err != nil {
				t.Fatal(err)
			}
			if info.Token != tok {
				t.Errorf("daemon.json token %q, want %q", info.Token, tok)
			}
			if out, _ := mustRun(t, "providers", "--state-dir", dir); !strings.Contains(out, "demo") {
				t.Errorf("the CLI did not reach the daemon through daemon.json:\n%s", out)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(stderr.String(), tok); n != 1 {
				t.Errorf("the banner printed the token %d times, want once:\n%s", n, stderr)
			}
			if got := strings.Contains(stderr.String(), "readable by every user"); got != tc.warning {
				t.Errorf("warning about --token printed: %v, want %v:\n%s", got, tc.warning, stderr)
			}
		})
	}
}

func TestServeRefuses(t *testing.T) {
	short := filepath.Join(t.TempDir(), "token")
	_ = os.WriteFile(short, []byte("a\n"), 0o600)
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"short flag", "", []string{"--token", "a"}, "at least 16"},
		{"short env", "abc", nil, "at least 16"},
		{"short file", "", []string{"--token-file", short}, "at least 16"},
		{"world-writable state dir", "", []string{"--state-dir", shared}, "chmod 700"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(TokenEnv, tc.env)
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--store", "memory"}, tc.args...)
			if !strings.Contains(strings.Join(args, " "), "--state-dir") {
				args = append(args, "--state-dir", t.TempDir())
			}
			_, _, err := run(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("serve %v: %v, want an error containing %q", tc.args, err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(shared, "daemon.json")); err == nil {
				t.Error("daemon.json written into a world-writable directory")
			}
		})
	}
}
