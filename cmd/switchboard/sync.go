package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

func newSyncCmd(g *globalOptions) *cobra.Command {
	var (
		cf       connFlags
		config   string
		pageSize int
		maxPages int
		everyRun bool
		session  string
		ff       ruleFlags
	)
	cmd := &cobra.Command{
		Use:   "sync [PROVIDER]",
		Short: "Run one production-like sync cycle over the connector's task tree",
		Long: `Create a session of PROVIDER and run sync/run: every task of the connector's
task tree pages to its end, and every child task runs once per item its parent
fetched (for the demo provider: accounts, then balances and payments of each
account, and beneficiaries), as a production sync cycle does.

While it runs you see one line per task with its runs, pages, items and rate,
redrawn in place on a terminal; when stdout is not a terminal, a line per
finished run and a progress line every few seconds instead. At the end a
summary table lists every task run: its path, the parent it ran for, pages,
items, whether more remained, and any error. A failing child task is reported
there and the rest of the cycle goes on.

Ctrl-C cancels the sync (the daemon stops between pages and inside the
connector call) and prints what completed.`,
		Example: `  switchboard sync demo
  switchboard sync demo --config '{"accounts":20,"paymentsPerAccount":5000}'
  switchboard sync demo --max-pages-per-task 2
  switchboard sync --session 43b21ce8
  switchboard sync demo --config @bank.json --connect
  switchboard sync acme --connector ./acme --config @acme.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (session == "") == (len(args) == 0) {
				return errors.New("name a PROVIDER, or an existing session of the running daemon with --session ID, not both")
			}
			provider := ""
			if len(args) == 1 {
				provider = args[0]
			}
			cfg, err := jsonArg("config", config)
			if err != nil {
				return err
			}
			rules, err := ff.rules()
			if err != nil {
				return err
			}
			ctx, stop := interruptible(cmd)
			defer stop()

			out := cmd.OutOrStdout()
			disp := newDisplay(out)
			c, sessionID, err := sessionFor(ctx, cmd, g, &cf, session, false,
				protocol.SessionCreateParams{Provider: provider, Config: cfg, PageSize: pageSize}, client.OnFetchPage(disp.page))
			if err != nil {
				return err
			}
			defer c.Close()
			defer func() {
				cctx, cancel := cleanupContext()
				defer cancel()
				ff.report(cctx, cmd.ErrOrStderr(), c, sessionID)
			}()
			if err := ff.apply(ctx, c, sessionID, rules); err != nil {
				return err
			}
			return syncAndSummarize(ctx, out, c, disp, sessionID, maxPages, everyRun)
		},
	}
	f := cmd.Flags()
	cf.register(f)
	cf.registerConnector(f)
	ff.register(f)
	f.StringVar(&config, "config", "", "provider config as JSON, or @file to read it from a file")
	f.IntVar(&pageSize, "page-size", 0, "items per page (default: the provider's)")
	f.IntVar(&maxPages, "max-pages-per-task", 0, "stop each task run after this many pages (0: no limit)")
	f.StringVar(&session, "session", "", "sync this session of the running daemon (any unique prefix of its id); it stays open")
	f.BoolVar(&everyRun, "every-run", false, fmt.Sprintf("list every task run in the summary even when there are more than %d", groupAbove))
	return cmd
}

// runSync creates a session with params, runs sync/run on it with the
// live display, prints the summary and closes the session.
func runSync(cmd *cobra.Command, g *globalOptions, cf *connFlags, params protocol.SessionCreateParams, maxPages int, everyRun bool) error {
	ctx, stop := interruptible(cmd)
	defer stop()

	out := cmd.OutOrStdout()
	disp := newDisplay(out)
	c, err := openConn(cmd, g, cf, false, client.OnFetchPage(disp.page))
	if err != nil {
		return err
	}
	defer c.Close()
	sess, err := c.CreateSession(ctx, params)
	if err != nil {
		return fmt.Errorf("session/create: %w", err)
	}
	defer func() {
		cctx, cancel := cleanupContext()
		defer cancel()
		_ = c.CloseSession(cctx, sess.ID)
	}()
	return syncAndSummarize(ctx, out, c, disp, sess.ID, maxPages, everyRun)
}

// interruptible gives cmd a context cancelled by Ctrl-C or SIGTERM; a
// second signal kills at once.
func interruptible(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	cmd.SetContext(ctx)
	return ctx, stop
}

// syncAndSummarize runs sync/run on a session with the live display disp
// and prints the summary, or on a cancel the pages completed before it.
func syncAndSummarize(ctx context.Context, out io.Writer, c *conn, disp *display, sessionID string, maxPages int, everyRun bool) error {
	res, err := c.SyncRun(ctx, protocol.SyncRunParams{SessionID: sessionID, MaxPagesPerTask: maxPages})
	fctx, cancel := cleanupContext()
	_ = c.Flush(fctx)
	cancel()
	disp.finish()
	if err != nil {
		if cancelled(err) {
			fmt.Fprintln(out, "\ncancelled; pages completed before the cancel:")
			_ = disp.writeSeen(out)
			return errors.New("sync cancelled")
		}
		return fmt.Errorf("sync/run: %w", err)
	}
	return writeSyncSummary(out, res, everyRun)
}

// groupAbove is the number of task runs above which the summary shows one
// row per task instead of one per run: a row for each of a hundred
// accounts' payments buries what matters, the failures.
const groupAbove = 30

// writeSyncSummary prints the task runs of a sync and the totals. Above
// groupAbove runs, and unless every is set, runs that finished cleanly are
// folded into one row per task path; runs with an error or more to fetch
// keep their own rows.
func writeSyncSummary(w io.Writer, res protocol.SyncRunResult, every bool) error {
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "TASK\tFROM\tPAGES\tITEMS\tHAS MORE\tERROR")
	group := !every && len(res.Tasks) > groupAbove
	type folded struct{ runs, pages, items int }
	var order []string
	groups := map[string]*folded{}
	pages, items, failed := 0, 0, 0
	for _, t := range res.Tasks {
		pages += t.Pages
		items += t.Items
		if t.Error != "" {
			failed++
		}
		if group && t.Error == "" && !t.HasMore {
			g := groups[t.Path]
			if g == nil {
				g = &folded{}
				groups[t.Path] = g
				order = append(order, t.Path)
			}
			g.runs++
			g.pages += t.Pages
			g.items += t.Items
			continue
		}
		from := payloadRef(t.FromPayload)
		if from == "" {
			from = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\n", t.Path, from, count(t.Pages), count(t.Items), t.HasMore, clip(t.Error, 120))
	}
	for _, p := range order {
		g := groups[p]
		from := "-"
		if g.runs > 1 {
			from = fmt.Sprintf("(%s runs)", count(g.runs))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tfalse\t\n", p, from, count(g.pages), count(g.items))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	d := msDuration(res.DurationMs)
	_, err := fmt.Fprintf(w, "\n%s task runs (%s failed): %s pages, %s items in %s (%s items/s)\n",
		count(len(res.Tasks)), count(failed), count(pages), count(items), seconds(d), count(int(rate(items, d))))
	return err
}
