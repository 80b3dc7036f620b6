package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// fetchOptions are the flags of fetch.
type fetchOptions struct {
	conn        connFlags
	config      string
	pageSize    int
	pages       int
	all         bool
	fromPayload string
	state       string
	name        string
	session     string
	asJSON      bool
	faults      ruleFlags
}

func newFetchCmd(g *globalOptions) *cobra.Command {
	var o fetchOptions
	cmd := &cobra.Command{
		Use:   "fetch [PROVIDER] RESOURCE",
		Short: "Fetch pages of one resource and show the items and the state after each page",
		Long: `Create a session of PROVIDER and fetch RESOURCE page by page, the way the
daemon's fetch/next does for an editor: after each page you see its items and
the connector's new pagination state, which the next page continues from.

RESOURCE is one of: accounts, balances, externalAccounts, payments, others, orders, conversions.
Balances (and other per-parent resources) need --from-payload naming the
parent item, e.g. '{"reference":"acc_e220a8397b1dcdaf"}' (an account of
the default demo bank).

The demo provider needs no config: it starts its own demo bank. To point it
at a bank started with "switchboard demobank", pass
--config '{"endpoint":"http://127.0.0.1:8081","apiKey":"demo-key"}'.

Output: a table per page (payments, accounts and balances) and the new state;
with --json one item per line on stdout and the per-page state on stderr,
ready for jq. With --all the whole resource is fetched in one fetch/all call
with a live progress display instead of the items (with --json the items of
every page are still printed, one per line).

By default a private in-process daemon does the work (--connector DIR builds
and loads the connector being written into it); --connect uses the running
daemon of "switchboard serve" (the session is closed at the end; for one
that stays, see "switchboard session create").
Ctrl-C cancels a running fetch.`,
		Example: `  switchboard fetch demo payments
  switchboard fetch demo payments --pages 3 --page-size 20
  switchboard fetch --session 43b21ce8 payments --pages 2      # continues on every run
  switchboard fetch demo payments --json | jq -r .reference
  switchboard fetch demo accounts --all
  switchboard fetch demo payments --state '{"cursor":"..."}'
  switchboard fetch demo balances --from-payload '{"reference":"acc_e220a8397b1dcdaf"}'
  switchboard fetch demo payments --config @bank.json --connect
  switchboard fetch acme accounts --connector ./acme --config @acme.json`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.session == "" && len(args) != 2:
				return errors.New("name a PROVIDER and a RESOURCE, or a RESOURCE of an existing session with --session ID")
			case o.session != "" && len(args) != 1:
				return errors.New("with --session name only the RESOURCE: the session has its provider")
			}
			if o.session != "" {
				return runFetch(cmd, g, &o, "", args[0])
			}
			return runFetch(cmd, g, &o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	o.conn.register(f)
	o.conn.registerConnector(f)
	o.faults.register(f)
	f.StringVar(&o.config, "config", "", "provider config as JSON, or @file to read it from a file")
	f.IntVar(&o.pageSize, "page-size", 0, "items per page (default: the provider's)")
	f.IntVar(&o.pages, "pages", 1, "number of pages to fetch (with --all: the most to fetch, 0 for no limit)")
	f.BoolVar(&o.all, "all", false, "fetch every page in one fetch/all call, with live progress")
	f.StringVar(&o.fromPayload, "from-payload", "", "parent item as JSON for per-parent resources, e.g. an account for balances")
	f.StringVar(&o.state, "state", "", "pagination state to start from, as JSON (default: from the beginning)")
	f.StringVar(&o.name, "name", "", "task name, to tell apart several tasks of one resource (others)")
	f.StringVar(&o.session, "session", "", "fetch in this session of the running daemon (any unique prefix of its id), continuing from its state; it stays open")
	f.BoolVar(&o.asJSON, "json", false, "print items as JSON lines on stdout (states go to stderr)")
	return cmd
}

// runFetch creates the session and runs fetch/next or fetch/all.
func runFetch(cmd *cobra.Command, g *globalOptions, o *fetchOptions, provider, resource string) error {
	if !slices.Contains(protocol.Resources, resource) {
		return fmt.Errorf("unknown resource %q: want one of %s", resource, strings.Join(protocol.Resources, ", "))
	}
	config, err := jsonArg("config", o.config)
	if err != nil {
		return err
	}
	from, err := jsonArg("from-payload", o.fromPayload)
	if err != nil {
		return err
	}
	state, err := jsonArg("state", o.state)
	if err != nil {
		return err
	}
	rules, err := o.faults.rules()
	if err != nil {
		return err
	}
	if o.all && !cmd.Flags().Changed("pages") {
		o.pages = 0 // --all means all unless told otherwise
	}
	if o.all && state != nil {
		return errors.New("--state applies to fetch/next only; set the state with a first fetch, or leave out --all")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A second Ctrl-C kills at once.
	context.AfterFunc(ctx, stop)
	cmd.SetContext(ctx)

	out := cmd.OutOrStdout()
	var disp *display
	var opts []client.Option
	if o.all {
		// With JSON the items own stdout; progress goes to stderr.
		if o.asJSON {
			disp = newDisplay(cmd.ErrOrStderr())
		} else {
			disp = newDisplay(out)
		}
		opts = append(opts, client.OnFetchPage(func(n protocol.FetchPageParams) {
			disp.page(n)
			if o.asJSON {
				_ = writeJSONLines(out, n.Page.Items)
			}
		}))
	}
	c, sessionID, err := sessionFor(ctx, cmd, g, &o.conn, o.session, o.all && o.asJSON,
		protocol.SessionCreateParams{Provider: provider, Config: config, PageSize: o.pageSize}, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	defer func() {
		cctx, cancel := cleanupContext()
		defer cancel()
		o.faults.report(cctx, cmd.ErrOrStderr(), c, sessionID)
	}()
	if err := o.faults.apply(ctx, c, sessionID, rules); err != nil {
		return err
	}
	if o.all {
		return fetchAll(ctx, cmd, c, disp, o, sessionID, resource, from)
	}
	return fetchPages(ctx, cmd, c, o, sessionID, resource, from, state)
}

// fetchPages calls fetch/next up to --pages times, printing every page.
func fetchPages(ctx context.Context, cmd *cobra.Command, c *conn, o *fetchOptions, sessionID, resource string, from, state json.RawMessage) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	for i := 0; i < o.pages; i++ {
		p := protocol.FetchNextParams{SessionID: sessionID, Resource: resource, PageSize: o.pageSize, FromPayload: from, Name: o.name}
		if i == 0 {
			p.State = state
		}
		page, err := c.FetchNext(ctx, p)
		if err != nil {
			return fmt.Errorf("fetch/next page %d: %w", i+1, err)
		}
		if o.asJSON {
			if err := writeJSONLines(out, page.Items); err != nil {
				return err
			}
			fmt.Fprintf(errOut, "page %d: %d items, hasMore %t, newState %s\n", page.Page, page.ItemCount, page.HasMore, compactJSON(page.NewState))
		} else if err := writePage(out, page); err != nil {
			return err
		}
		if !page.HasMore {
			fmt.Fprintln(errOut, "no more pages")
			break
		}
	}
	return nil
}

// fetchAll runs one fetch/all with the live display and prints its result.
func fetchAll(ctx context.Context, cmd *cobra.Command, c *conn, disp *display, o *fetchOptions, sessionID, resource string, from json.RawMessage) error {
	res, err := c.FetchAll(ctx, protocol.FetchAllParams{
		SessionID: sessionID, Resource: resource, FromPayload: from, Name: o.name,
		PageSize: o.pageSize, MaxPages: o.pages,
	})
	fctx, cancel := cleanupContext()
	_ = c.Flush(fctx)
	cancel()
	disp.finish()
	w := cmd.OutOrStdout()
	if o.asJSON {
		w = cmd.ErrOrStderr()
	}
	if err != nil {
		if cancelled(err) {
			fmt.Fprintln(w, "cancelled; pages completed before the cancel:")
			_ = disp.writeSeen(w)
			return errors.New("fetch cancelled")
		}
		return fmt.Errorf("fetch/all: %w", err)
	}
	fmt.Fprintf(w, "%s: %s pages, %s items in %s; hasMore %t", resource, count(res.Pages), count(res.Items), seconds(msDuration(res.DurationMs)), res.HasMore)
	switch {
	case res.Stalled:
		fmt.Fprintf(w, "; STALLED: %s", res.Diagnostic)
	case res.LimitReached:
		fmt.Fprint(w, " (stopped at --pages)")
	}
	fmt.Fprintln(w)
	return nil
}

// cancelled reports a request that ended because of Ctrl-C: the daemon's
// -32800 (or -32802 when it stopped the walk itself), or the context error
// when it did not answer in time.
func cancelled(err error) bool {
	var pe *protocol.Error
	if errors.As(err, &pe) && (pe.Code == protocol.CodeRequestCancelled || pe.Code == protocol.CodeServerCancelled) {
		return true
	}
	return errors.Is(err, context.Canceled)
}

// writeJSONLines prints each element of a JSON array of items on a line.
func writeJSONLines(w io.Writer, items json.RawMessage) error {
	if len(items) == 0 || string(items) == "null" {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(items, &list); err != nil {
		return fmt.Errorf("items: %w", err)
	}
	var b []byte
	for _, it := range list {
		b = append(b, compactJSON(it)...)
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}
