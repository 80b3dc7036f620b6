package main

import (
	"github.com/spf13/cobra"

	// Built-in connectors register themselves.
	_ "github.com/switchboardpay/switchboard/connectors/demo"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "switchboard",
		Short: "Develop payment connectors against a live daemon",
		Long: `Switchboard runs payment connectors (Stripe, a bank, the built-in demo bank)
in a long-lived daemon that editors, browsers and scripts drive over JSON-RPC 2.0:
create a session, fetch the next page, watch the pagination state change.

Start a daemon for a browser or scripts with "switchboard serve", or let an
editor spawn "switchboard stdio". The other commands are clients.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newStdioCmd())
	return root
}
