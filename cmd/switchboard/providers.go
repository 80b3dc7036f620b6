package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboardpay/switchboard/protocol"
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
				return writeIndentedJSON(out, res)
			}
			return writeProviders(out, res.Providers)
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the raw providers/list result as JSON")
	return cmd
}

// providerWidth is the width providers keeps its lines within.
const providerWidth = 80

// writeProviders prints each provider as a short block: name and page
// size, its description wrapped, its capabilities grouped by verb.
func writeProviders(w io.Writer, list []protocol.Provider) error {
	for i, p := range list {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (page size %d)\n", p.Name, p.DefaultPageSize)
		for _, l := range wrap(p.Description, providerWidth-2) {
			fmt.Fprintf(w, "  %s\n", l)
		}
		for _, l := range capabilityLines(p.Capabilities, providerWidth-2) {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	return nil
}

// capabilityLines groups capabilities by verb, a line each, wrapped at
// width: "fetch: accounts, payments", "create: transfer, payout".
func capabilityLines(caps []string, width int) []string {
	var verbs []string
	objects := map[string][]string{}
	for _, c := range caps {
		verb, obj, _ := strings.Cut(c, ":")
		if _, seen := objects[verb]; !seen {
			verbs = append(verbs, verb)
			objects[verb] = nil
		}
		if obj != "" {
			objects[verb] = append(objects[verb], obj)
		}
	}
	var lines []string
	for _, v := range verbs {
		line := v
		if len(objects[v]) > 0 {
			line += ": " + strings.Join(objects[v], ", ")
		}
		lines = append(lines, wrap(line, width)...)
	}
	return lines
}

// wrap breaks s into lines of at most width columns at spaces (a longer
// word gets a line of its own).
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
