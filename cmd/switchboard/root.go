package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	// Built-in connectors register themselves.
	_ "github.com/switchboardpay/switchboard/connectors/demo"
	_ "github.com/switchboardpay/switchboard/connectors/stripe"
)

// globalOptions are the flags every command accepts.
type globalOptions struct {
	stateDir string
	logLevel string
}

func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "switchboard",
		Short: "Develop payment connectors against a live daemon",
		Long: `Switchboard runs payment connectors (Stripe, a bank, the built-in demo bank)
in a long-lived daemon that editors, browsers and scripts drive over JSON-RPC 2.0:
create a session, fetch the next page, watch the pagination state change.

Start a daemon for a browser or scripts with "switchboard serve", or let an
editor spawn "switchboard stdio". The other commands are clients: by default
they run a private daemon inside the command itself, so they work with no
setup; with --connect they talk to the daemon "switchboard serve" started.

Try it:
  switchboard providers
  switchboard fetch demo payments --pages 2
  switchboard sync demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return checkFlags(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.stateDir, "state-dir", "", "state directory holding daemon.json (default $SWITCHBOARD_STATE_DIR, $XDG_STATE_HOME/switchboard or ~/.local/state/switchboard)")
	pf.StringVar(&g.logLevel, "log-level", "", "log level on stderr: debug, info, warn, error (default info for serve and demobank, warn otherwise)")
	root.AddCommand(
		newServeCmd(g), newStdioCmd(g), newDemobankCmd(g),
		newProvidersCmd(g), newFetchCmd(g), newSyncCmd(g), newTransferCmd(g), newPayoutCmd(g), newBenchCmd(g),
		newCheckCmd(g), newNewCmd(g),
		newSessionsCmd(g), newSessionCmd(g), newExportCmd(g), newImportCmd(g), newStoreCmd(g),
		newRecordCmd(g), newReplayCmd(g), newTestgenCmd(g), newDiffCmd(g),
		newListenCmd(g), newWebhooksCmd(g), newTriggerCmd(g),
	)
	return root
}

// logger returns a text logger on w at the --log-level, or at def when the
// flag was not given: a daemon serving others wants info, a client command
// wants only what went wrong.
func (g *globalOptions) logger(w io.Writer, def string) *slog.Logger {
	level := g.logLevel
	if level == "" {
		level = def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo // checkFlags refused a bad --log-level already
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
