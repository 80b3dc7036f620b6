package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/scaffold"
	"github.com/switchboardpay/switchboard/protocol"
)

func addConnectorFlag(f *pflag.FlagSet) {
	f.StringArray("connector", nil, "build, run and watch the connector in `DIR` (a Go module, or a directory with a switchboard.json manifest); repeatable")
}

// connectorDirs are the --connector flags of serve and stdio.
func connectorDirs(cmd *cobra.Command) []string {
	dirs, _ := cmd.Flags().GetStringArray("connector")
	return dirs
}

// addConnectors adds connector directories to the daemon's workspace,
// telling w how each build went. When watching (serve, stdio) a connector
// whose first build fails is reported and watched: fixing it registers it.
// A command's private daemon (watching false) lives no longer than the
// command, so a failed build is its error.
func addConnectors(ctx context.Context, d *daemon.Daemon, w io.Writer, dirs []string, watching bool) error {
	for _, dir := range dirs {
		info, err := d.Connectors().Add(ctx, dir)
		if err != nil {
			return fmt.Errorf("--connector %s: %w", dir, err)
		}
		if info.State == protocol.ConnectorStateReady {
			if watching {
				fmt.Fprintf(w, "connector %s from %s: ready (built in %.0fms), watching for changes\n", info.Provider.Name, info.Dir, info.LastBuild.DurationMs)
			}
			continue
		}
		var b strings.Builder
		for _, dg := range info.Diagnostics {
			fmt.Fprintf(&b, "  %s:%d:%d: %s\n", dg.File, dg.Line, dg.Column, dg.Message)
		}
		if len(info.Diagnostics) == 0 && info.LastBuild != nil {
			fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(strings.TrimSpace(info.LastBuild.Output), "\n", "\n  "))
		}
		if !watching {
			return fmt.Errorf("--connector %s: build failed:\n%s", info.Dir, strings.TrimRight(b.String(), "\n"))
		}
		fmt.Fprintf(w, "connector in %s: build failed; watching for a fix\n%s", info.Dir, b.String())
	}
	return nil
}

func newNewCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "new",
		Short:   "Create something new (a connector module)",
		Long:    "Create something new. \"switchboard new connector NAME\" writes a ready-to-run connector module.",
		Example: "  switchboard new connector acme --dir ./acme",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(newNewConnectorCmd(g))
	return cmd
}

func newNewConnectorCmd(g *globalOptions) *cobra.Command {
	var (
		dir, module, replace string
		noTidy               bool
	)
	cmd := &cobra.Command{
		Use:   "connector NAME",
		Short: "Write a ready-to-run connector module",
		Long: `Write a Go module for a new connector named NAME: a config with an API key
(secret) and a base URL, accounts and payments fetchers against the demo
bank's API (cursor pagination, Bearer auth), main calling serve.Main, a
README, and tests that pass from the start against an in-process demo bank.

go.mod requires github.com/switchboardpay/switchboard. A replace directive
points it at a checkout: --replace PATH names one; the default is the
checkout around the current directory, else around the switchboard binary,
else the one the binary was built from; a binary installed with "go install
...@vX.Y.Z" requires that version instead. When none of these exists the
command says so and writes nothing. --replace none writes no directive.
Then "go mod tidy" runs in the new module (--no-tidy skips it); if it fails,
its output is the error.

Run it with: switchboard serve --connector DIR`,
		Example: `  switchboard new connector acme
  switchboard new connector acme --dir ./connectors/acme --replace ~/src/switchboard`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if dir == "" {
				dir = name
			}
			var version string
			switch replace {
			case "none":
				replace = ""
			case "":
				dep, err := scaffold.FindDependency()
				if err != nil {
					return fmt.Errorf("%w; nothing written: name a Switchboard checkout with --replace PATH (git clone it anywhere), or pass --replace none to write go.mod without a replace directive", err)
				}
				replace, version = dep.Replace, dep.Version
			}
			files, err := scaffold.Write(scaffold.Options{Name: name, Dir: dir, Module: module, Replace: replace, Version: version})
			if err != nil {
				return err
			}
			abs, _ := filepath.Abs(dir)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s in %s\n", strings.Join(files, ", "), abs)
			switch {
			case replace != "":
				fmt.Fprintf(cmd.OutOrStdout(), "github.com/switchboardpay/switchboard => %s\n", replace)
			case version != "":
				fmt.Fprintf(cmd.OutOrStdout(), "github.com/switchboardpay/switchboard %s\n", version)
			}
			if !noTidy {
				var tidyOut strings.Builder
				tidy := exec.CommandContext(cmd.Context(), "go", "mod", "tidy")
				tidy.Dir = dir
				tidy.Stdout, tidy.Stderr = &tidyOut, &tidyOut
				if err := tidy.Run(); err != nil {
					why := ""
					if replace == "" {
						why = "\ngo.mod requires a published github.com/switchboardpay/switchboard; without one, point it at a checkout:\n  cd " + abs + " && go mod edit -replace github.com/switchboardpay/switchboard=PATH && go mod tidy"
					}
					return fmt.Errorf("go mod tidy in %s failed (%v):\n%s%s", abs, err, strings.TrimSpace(tidyOut.String()), why)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "next: cd %s && go test ./... && switchboard serve --connector .\n", dir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "directory to write (default ./NAME)")
	f.StringVar(&module, "module", "", "module path (default NAME)")
	f.StringVar(&replace, "replace", "", `Switchboard checkout for go.mod's replace directive, or "none" (default: the checkout around the current directory or the binary)`)
	f.BoolVar(&noTidy, "no-tidy", false, "do not run go mod tidy")
	return cmd
}
