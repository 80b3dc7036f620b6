package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/switchboardpay/switchboard/daemon/store"
)

// newStoreCmd is `switchboard store`: what to run when the store is
// damaged. Both subcommands open it read-only and change nothing.
func newStoreCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Check a store for damage, or salvage its readable items",
		Long: `Inspect the daemon's store (stop the daemon first: a store is one process's at
a time). Neither command changes the store.`,
		Example: `  switchboard store check
  switchboard store salvage --out rescued.jsonl`,
		Args: cobra.NoArgs,
	}
	var storeFlag string
	check := &cobra.Command{
		Use:   "check",
		Short: "Read every entry of the store and report what is damaged",
		Long: `Read every session, state and item of the store, verifying the engine's
checksums, and report what is damaged. Exits 1 when something is.`,
		Example: `  switchboard store check
  switchboard store check --store ./switchboard.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := storePath(g, storeFlag)
			if err != nil {
				return err
			}
			r, err := store.Check(path)
			if err != nil {
				return err
			}
			printReport(cmd.OutOrStdout(), r)
			if !r.OK() {
				return fmt.Errorf("the store at %s is damaged: `switchboard store salvage --store %s --out FILE` exports every readable item", path, path)
			}
			return nil
		},
	}
	check.Flags().StringVar(&storeFlag, "store", "", storeHelp)
	var out string
	salvage := &cobra.Command{
		Use:   "salvage --out FILE",
		Short: "Export every readable item as JSON Lines, and say how many were lost",
		Long: `Write every item of the store that reads back whole to FILE, one JSON object a
line: {"session": ID, "resource": "payments", "item": {...}}, stepping over
damaged parts, and say how many items were lost. The lines are export lines
with their session: "switchboard import" reads them into a session.`,
		Example: `  switchboard store salvage --out rescued.jsonl
  grep '"session":"3f1c' rescued.jsonl > one.jsonl && switchboard import NEW-SESSION one.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out FILE is required")
			}
			path, err := storePath(g, storeFlag)
			if err != nil {
				return err
			}
			f, err := os.CreateTemp(filepath.Dir(out), ".salvage-*")
			if err != nil {
				return err
			}
			defer os.Remove(f.Name())
			w := bufio.NewWriterSize(f, 1<<20)
			r, err := store.Salvage(path, w)
			if err == nil {
				err = w.Flush()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(f.Name(), out)
			}
			if err != nil {
				return err
			}
			printReport(cmd.OutOrStdout(), r)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d items to %s; %d lost\n", r.Readable, out, r.Lost())
			return nil
		},
	}
	salvage.Flags().StringVar(&storeFlag, "store", "", storeHelp)
	salvage.Flags().StringVar(&out, "out", "", "the JSON Lines file to write")
	cmd.AddCommand(check, salvage)
	return cmd
}

func printReport(w io.Writer, r store.Report) {
	fmt.Fprintf(w, "store %s: %d sessions, %d states, %d of %d items readable\n", r.Path, r.Sessions, r.States, r.Readable, r.Expected)
	if r.Ballast.Size > 0 {
		fmt.Fprintf(w, "ballast %s: %d MiB\n", r.Ballast.Path, r.Ballast.Size>>20)
	} else {
		fmt.Fprintf(w, "ballast %s: missing (the disk was nearly full, or is too small for it; the daemon makes it again once space is back)\n", r.Ballast.Path)
	}
	for _, d := range r.Damage {
		fmt.Fprintf(w, "damaged: %s\n", d)
	}
	if r.OK() {
		fmt.Fprintln(w, "no damage found")
	}
}
