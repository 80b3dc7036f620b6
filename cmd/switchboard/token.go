package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/switchboardpay/switchboard/daemon"
)

// TokenEnv names the environment variable serve reads its token from.
const TokenEnv = "SWITCHBOARD_TOKEN"

// tokenFlags are serve's ways to be given a token. The command line is
// the worst of them: every local user reads it in /proc/PID/cmdline.
type tokenFlags struct {
	token     string
	tokenFile string
}

func (t *tokenFlags) register(f *pflag.FlagSet) {
	f.StringVar(&t.token, "token", "", "access token (visible to every local user in the process list: prefer $"+TokenEnv+" or --token-file)")
	f.StringVar(&t.tokenFile, "token-file", "", "read the access token from this file (its first line)")
}

// resolve returns the token to serve with, "" for a random one: from
// --token-file, else $SWITCHBOARD_TOKEN, else --token (with a warning on
// stderr). Whatever its source, it must have daemon.MinTokenLength
// characters.
func (t *tokenFlags) resolve(stderr io.Writer) (string, error) {
	var tok, from string
	switch {
	case t.tokenFile != "":
		b, err := os.ReadFile(t.tokenFile)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		tok, _, _ = strings.Cut(string(b), "\n")
		tok, from = strings.TrimSpace(tok), "--token-file "+t.tokenFile
	case os.Getenv(TokenEnv) != "":
		tok, from = strings.TrimSpace(os.Getenv(TokenEnv)), "$"+TokenEnv
	case t.token != "":
		tok, from = t.token, "--token"
		fmt.Fprintf(stderr, "switchboard: warning: --token is readable by every user of this machine (ps, /proc/%d/cmdline); pass it in $%s or --token-file instead\n", os.Getpid(), TokenEnv)
	default:
		return "", nil
	}
	if err := daemon.CheckToken(tok); err != nil {
		return "", fmt.Errorf("%s: %w", from, err)
	}
	return tok, nil
}
