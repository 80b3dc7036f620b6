package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DaemonInfoFile is the name of the file a serving daemon writes in its
// state directory.
const DaemonInfoFile = "daemon.json"

// DaemonInfo is the content of daemon.json: how to reach a running
// `switchboard serve`.
type DaemonInfo struct {
	PID       int       `json:"pid"`
	Version   string    `json:"version"`
	URL       string    `json:"url"`   // the websocket URL, ws://127.0.0.1:PORT/rpc
	Token     string    `json:"token"` // the bearer token
	StartedAt time.Time `json:"startedAt"`
}

// DefaultStateDir returns the state directory used when none is given:
// $SWITCHBOARD_STATE_DIR, else $XDG_STATE_HOME/switchboard, else
// ~/.local/state/switchboard. It fails only when the home directory is
// needed and unknown.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("SWITCHBOARD_STATE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "switchboard"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("client: no state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "switchboard"), nil
}

// Discover reads daemon.json from stateDir ([DefaultStateDir] when empty).
// Without a running daemon the error wraps fs.ErrNotExist. The file of a
// daemon that crashed may remain: dialing its URL then fails.
func Discover(stateDir string) (DaemonInfo, error) {
	var info DaemonInfo
	if stateDir == "" {
		d, err := DefaultStateDir()
		if err != nil {
			return info, err
		}
		stateDir = d
	}
	path := filepath.Join(stateDir, DaemonInfoFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return info, fmt.Errorf("client: no running daemon found: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("client: reading %s: %w", path, err)
	}
	if info.URL == "" {
		return info, fmt.Errorf("client: reading %s: no url", path)
	}
	return info, nil
}

// Connect finds the daemon serving from stateDir ([DefaultStateDir] when
// empty) with [Discover], dials it with its token and initializes the
// connection with [Client.Init].
func Connect(ctx context.Context, stateDir string, opts ...Option) (*Client, error) {
	info, err := Discover(stateDir)
	if err != nil {
		return nil, err
	}
	c, err := Dial(ctx, info.URL, info.Token, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := c.Init(ctx); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}
