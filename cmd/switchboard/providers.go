package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newProvidersCmd(g *globalOptions) *cobra.Command {
	var (
		cf     connFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "providers",
		Short: "List the connectors the daemon knows, with their capabilities",
		Long: `List the providers (connector kinds) the daemon can open sessions for: their
name, default page size, capabilities (fetch:payments, create:transfer, ...)
and description. --json prints the daemon's providers/list answer as is,
including each provider's config JSON Schema.

By default the list comes from a private in-process daemon, which knows the
connectors built into this binary; with --connect it comes from the running
daemon of "switchboard serve".`,
		Example: `  switchboard providers
  switchboard providers --json | jq '.providers[].configSchema'
  switchboard providers --connect --state-dir /tmp/sb`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openConn(cmd, g, &cf, false)
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Providers(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				b, err := json.MarshalIndent(res, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(out, "%s\n", b)
				return err
			}
			tw := newTable(out)
			fmt.Fprintln(tw, "NAME\tPAGE SIZE\tCAPABILITIES\tDESCRIPTION")
			for _, p := range res.Providers {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", p.Name, p.DefaultPageSize, strings.Join(p.Capabilities, ","), p.Description)
			}
			return tw.Flush()
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the raw providers/list result as JSON")
	return cmd
}
