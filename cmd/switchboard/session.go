package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// resolveSession turns what the user typed into a session id: the whole
// id, or any prefix of it that names one session only, like the short ids
// the web console shows (43b21ce8). An ambiguous prefix is an error
// listing the sessions it matches.
func resolveSession(ctx context.Context, c *conn, arg string) (string, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return "", fmt.Errorf("no session id given (switchboard session list shows them)")
	}
	list, err := c.ListSessions(ctx)
	if err != nil {
		return "", fmt.Errorf("session/list: %w", err)
	}
	var matches []protocol.Session
	for _, s := range list.Sessions {
		if s.ID == arg {
			return s.ID, nil
		}
		if strings.HasPrefix(s.ID, arg) {
			matches = append(matches, s)
		}
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("session %q not found: no session id starts with it (switchboard session list shows them)", arg)
	case 1:
		return matches[0].ID, nil
	}
	ids := make([]string, len(matches))
	for i, s := range matches {
		ids[i] = s.ID + " (" + s.Provider + ", " + s.Name + ")"
	}
	sort.Strings(ids)
	return "", fmt.Errorf("session prefix %q is ambiguous: it matches %s; give more of the id", arg, strings.Join(ids, ", "))
}

// sessionHint ends the "no daemon running" message of the session commands.
const sessionHint = `or read a store file without one: "switchboard sessions --store FILE"`

func newSessionCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "Create, list, show and close sessions of the running daemon",
		Long: `Manage the sessions of the daemon "switchboard serve" runs (found through
daemon.json in the state directory): a session created here stays open, so
export, import, transfer --session and the web console can use it.

Every command that takes a session id accepts any prefix of it that names
one session only, such as the short id the web console shows.`,
		Example: `  switchboard session create demo --name first --page-size 20
  switchboard session list
  switchboard session get 43b21ce8
  switchboard session close 43b21ce8`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newSessionCreateCmd(g), newSessionListCmd(g, "list"), newSessionGetCmd(g), newSessionCloseCmd(g))
	return cmd
}

// daemonSessionConn connects a session command to the running daemon.
func daemonSessionConn(cmd *cobra.Command, g *globalOptions, f *connFlags) (*conn, error) {
	f.connect = true
	if f.hint == "" {
		f.hint = sessionHint
	}
	return openConn(cmd, g, f, false)
}

func newSessionCreateCmd(g *globalOptions) *cobra.Command {
	var (
		f        connFlags
		name     string
		config   string
		pageSize int
	)
	cmd := &cobra.Command{
		Use:   "create PROVIDER",
		Short: "Create a session on the running daemon and print its id",
		Long: `Create a session of PROVIDER on the running daemon (session/create) and
print its id on stdout, alone on its line, for scripts. The session stays
open until "switchboard session close ID" (or session/close), and is kept
across daemon restarts.`,
		Example: `  switchboard session create demo
  ID=$(switchboard session create demo --name nightly --page-size 50)
  switchboard session create acme --config '{"apiKey":"demo-key","baseUrl":"http://127.0.0.1:8081"}'
  switchboard session create stripe --config @stripe.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := jsonArg("config", config)
			if err != nil {
				return err
			}
			c, err := daemonSessionConn(cmd, g, &f)
			if err != nil {
				return err
			}
			defer c.Close()
			s, err := c.CreateSession(cmd.Context(), protocol.SessionCreateParams{Provider: args[0], Name: name, Config: cfg, PageSize: pageSize})
			if err != nil {
				return fmt.Errorf("session/create: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), s.ID)
			fmt.Fprintf(cmd.ErrOrStderr(), "session %s (%s, %s, page size %d) is open on the daemon\n", s.ID[:min(8, len(s.ID))], s.Provider, s.Name, s.PageSize)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&name, "name", "", "the session's name (default PROVIDER-SHORTID)")
	cmd.Flags().StringVar(&config, "config", "", "provider config as JSON, or @file to read it from a file")
	cmd.Flags().IntVar(&pageSize, "page-size", 0, "the session's page size (default: the provider's)")
	return cmd
}

// newSessionListCmd is "session list", and with use "sessions" the
// top-level command of the same name.
func newSessionListCmd(g *globalOptions, use string) *cobra.Command {
	var (
		f         connFlags
		storeFile string
	)
	path, same := "session list", `"switchboard sessions" is the same command.`
	if use != "list" {
		path, same = use, `The same as "switchboard session list".`
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: "List the sessions of the running daemon (or of a store file)",
		Long: `List the sessions the daemon holds, with their states: the ids that export,
import and the other commands take (any unique prefix of one will do).
` + same,
		Example: fmt.Sprintf(`  switchboard %[1]s
  switchboard %[1]s --store ./switchboard.db`, path),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return listSessions(cmd, g, &f, storeFile)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&storeFile, "store", "", "read this store file in-process instead of asking the running daemon")
	return cmd
}

// listSessions prints the sessions table of session list and sessions.
func listSessions(cmd *cobra.Command, g *globalOptions, f *connFlags, storeFile string) error {
	if f.hint == "" {
		f.hint = sessionHint
	}
	c, err := storeConn(cmd, g, f, storeFile)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := c.ListSessions(cmd.Context())
	if err != nil {
		return err
	}
	if len(list.Sessions) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), `no sessions (create one with "switchboard session create PROVIDER")`)
		return nil
	}
	tw := newTable(cmd.OutOrStdout())
	fmt.Fprintln(tw, "ID\tPROVIDER\tNAME\tCREATED\tSTATES")
	for _, s := range list.Sessions {
		d, err := c.GetSession(cmd.Context(), s.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", s.ID, s.Provider, s.Name, s.CreatedAt.Format("2006-01-02 15:04:05"), len(d.States))
	}
	return tw.Flush()
}

func newSessionGetCmd(g *globalOptions) *cobra.Command {
	var (
		f         connFlags
		storeFile string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a session: provider, config (secrets masked) and every pagination state",
		Long: `Show one session of the running daemon (session/get): its provider, name,
page size, capabilities, config with every secret replaced by "***", and
each cached pagination state with its page and item counts. ID may be any
prefix of the session id that names one session only.`,
		Example: `  switchboard session get 43b21ce8
  switchboard session get 43b21ce8 --json | jq .states`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := openSession(cmd, g, &f, storeFile, args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			d, err := c.GetSession(cmd.Context(), id)
			if err != nil {
				return fmt.Errorf("session/get: %w", err)
			}
			if asJSON {
				return writeIndentedJSON(cmd.OutOrStdout(), d)
			}
			return writeSessionDetail(cmd.OutOrStdout(), d)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&storeFile, "store", "", "read this store file in-process instead of asking the running daemon")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the session/get result as JSON")
	return cmd
}

func newSessionCloseCmd(g *globalOptions) *cobra.Command {
	var f connFlags
	cmd := &cobra.Command{
		Use:   "close ID",
		Short: "Close a session of the running daemon, deleting its states and stored items",
		Long: `Close one session of the running daemon (session/close): its connector is
closed and its pagination states and stored items are deleted. ID may be any
prefix of the session id that names one session only.`,
		Example: `  switchboard session close 43b21ce8`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.connect, f.hint = true, sessionHint
			c, id, err := openSession(cmd, g, &f, "", args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.CloseSession(cmd.Context(), id); err != nil {
				return fmt.Errorf("session/close: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "closed %s\n", id)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// openSession connects as storeConn does (the running daemon, or the
// store file) and resolves the session id or prefix arg.
func openSession(cmd *cobra.Command, g *globalOptions, f *connFlags, storeFile, arg string) (*conn, string, error) {
	c, err := storeConn(cmd, g, f, storeFile)
	if err != nil {
		return nil, "", err
	}
	id, err := resolveSession(cmd.Context(), c, arg)
	if err != nil {
		return nil, "", errors.Join(err, c.Close())
	}
	return c, id, nil
}

// writeSessionDetail prints session/get as a field list and a table of
// states.
func writeSessionDetail(w io.Writer, d protocol.SessionDetail) error {
	tw := newTable(w)
	rows := [][2]string{
		{"id", d.ID}, {"provider", d.Provider}, {"name", d.Name},
		{"created", d.CreatedAt.Format("2006-01-02 15:04:05")},
		{"page size", fmt.Sprint(d.PageSize)},
		{"config", string(compactJSON(d.Config))},
	}
	for i, l := range capabilityLines(d.Capabilities, providerWidth-14) {
		name := ""
		if i == 0 {
			name = "capabilities"
		}
		rows = append(rows, [2]string{name, l})
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.States) == 0 {
		_, err := fmt.Fprintln(w, "\nno states yet (fetch a page: switchboard fetch ... --connect, or fetch/next)")
		return err
	}
	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintln(tw, "KEY\tPAGES\tITEMS\tHAS MORE\tUPDATED\tSTATE")
	for _, s := range d.States {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\n", s.Key, count(s.Pages), count(s.Items), s.HasMore, s.UpdatedAt.Format("2006-01-02 15:04:05"), clip(string(compactJSON(s.State)), 80))
	}
	return tw.Flush()
}

// sessionFor opens the connection of a client command and finds its
// session: the existing one named by session (any unique prefix, on the
// running daemon, left open), or a new one made with p and closed when
// the returned conn is closed.
func sessionFor(ctx context.Context, cmd *cobra.Command, g *globalOptions, f *connFlags, session string, pageItems bool, p protocol.SessionCreateParams, opts ...client.Option) (*conn, string, error) {
	if session != "" {
		if len(f.connectors) > 0 {
			return nil, "", errors.New("--session names a session of the running daemon, which loads connectors itself (serve --connector): leave out --connector")
		}
		if p.Config != nil {
			return nil, "", errors.New("--session uses the session's own config: leave out --config")
		}
		f.connect = true // a session lives in the running daemon only
	}
	c, err := openConn(cmd, g, f, pageItems, opts...)
	if err != nil {
		return nil, "", err
	}
	if session != "" {
		id, err := resolveSession(ctx, c, session)
		if err != nil {
			return nil, "", errors.Join(err, c.Close())
		}
		return c, id, nil
	}
	s, err := c.CreateSession(ctx, p)
	if err != nil {
		return nil, "", errors.Join(fmt.Errorf("session/create: %w", err), c.Close())
	}
	stop := c.stop
	c.stop = func() error {
		cctx, cancel := cleanupContext()
		defer cancel()
		_ = c.CloseSession(cctx, s.ID)
		return stop()
	}
	return c, s.ID, nil
}
