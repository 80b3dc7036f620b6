package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"

	"github.com/spf13/cobra"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/daemon/transport"
	"github.com/switchboardpay/switchboard/protocol"
)

// storeConn opens a connection for the commands that read stored data: to
// the running daemon, or, with --store, to an in-process daemon over that
// store file (no daemon needs to run).
func storeConn(cmd *cobra.Command, g *globalOptions, f *connFlags, storeFile string) (*conn, error) {
	if storeFile == "" {
		f.connect = true
		if f.hint == "" {
			f.hint = "or read a store file without one: --store FILE"
		}
		return openConn(cmd, g, f, false)
	}
	ctx := cmd.Context()
	if err := checkStoreFree(g, storeFile, false); err != nil {
		return nil, err
	}
	d, err := openDaemon(ctx, cmd.ErrOrStderr(), daemon.Options{Logger: g.logger(cmd.ErrOrStderr(), "warn"), StorePath: storeFile}, false)
	if err != nil {
		return nil, err
	}
	clientEnd, daemonEnd := net.Pipe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		d.ServeStream(context.Background(), transport.NewLSPStream(daemonEnd, daemonEnd, daemonEnd, 0))
	}()
	stop := func() error { daemonEnd.Close(); <-served; return d.Close() }
	c, err := client.NewStream(ctx, clientEnd)
	if err != nil {
		clientEnd.Close()
		return nil, errors.Join(err, stop())
	}
	if _, err := c.Init(ctx); err != nil {
		return nil, errors.Join(err, c.Close(), stop())
	}
	return &conn{Client: c, inProcess: true, stop: func() error { return errors.Join(c.Close(), stop()) }}, nil
}

func newExportCmd(g *globalOptions) *cobra.Command {
	var (
		f         connFlags
		resource  string
		out       string
		storeFile string
		overwrite bool
	)
	cmd := &cobra.Command{
		Use:   "export SESSION --out FILE",
		Short: "Write a session's fetched items to a JSON Lines file",
		Long: `Write every item a session has fetched (and the daemon stored) to FILE, one
JSON object per line: {"resource": "payments", "item": {...}}. The file is
written by the daemon, through a temporary file renamed at the end. An
existing FILE is replaced only with --overwrite, and never a read-only one.

By default the running daemon (switchboard serve) does it; with --store the
command opens that store file itself, so no daemon needs to run.`,
		Example: `  switchboard export 43b21ce8 --out payments.jsonl --resource payments
  switchboard export 43b21ce8 --out all.jsonl --store ~/.local/state/switchboard/switchboard.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out FILE is required")
			}
			abs, err := filepath.Abs(out)
			if err != nil {
				return err
			}
			c, id, err := openSession(cmd, g, &f, storeFile, args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			var res protocol.DataExportResult
			if err := c.Call(cmd.Context(), protocol.MethodDataExport, protocol.DataExportParams{SessionID: id, Resource: resource, Path: abs, Overwrite: overwrite}, &res); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %s items (%s bytes) to %s\n", count(res.Items), count(int(res.Bytes)), res.Path)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&resource, "resource", "", "only this resource (accounts, balances, externalAccounts, payments, others, orders, conversions)")
	cmd.Flags().StringVar(&out, "out", "", "the file to write")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace FILE if it exists (never a read-only one)")
	cmd.Flags().StringVar(&storeFile, "store", "", "read this store file in-process instead of asking the running daemon")
	return cmd
}

func newImportCmd(g *globalOptions) *cobra.Command {
	var (
		f         connFlags
		storeFile string
	)
	cmd := &cobra.Command{
		Use:   "import SESSION FILE",
		Short: "Load a JSON Lines export into a session's stored items",
		Long: `Load FILE, as written by "switchboard export", into the stored items of
SESSION: items are upserted by reference, so importing twice changes nothing.
A bad line fails the import with its line number before anything is written.`,
		Example: `  switchboard import 43b21ce8 payments.jsonl`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(args[1])
			if err != nil {
				return err
			}
			c, id, err := openSession(cmd, g, &f, storeFile, args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			var res protocol.DataImportResult
			if err := c.Call(cmd.Context(), protocol.MethodDataImport, protocol.DataImportParams{SessionID: id, Path: abs}, &res); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %s items into %s\n", count(res.Items), id)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&storeFile, "store", "", "write into this store file in-process instead of asking the running daemon")
	return cmd
}

func newSessionsCmd(g *globalOptions) *cobra.Command { return newSessionListCmd(g, "sessions") }
