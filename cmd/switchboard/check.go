package main

import (
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

// checkOptions are the flags of check.
type checkOptions struct {
	conn       connFlags
	config     string
	resources  []string
	pageSizes  []int
	pageSize   int
	maxPages   int
	maxParents int
	verbose    bool
	asJSON     bool
	replay     string
	record     string
	lenient    bool
	overwrite  bool
	skipReview bool
}

// errCheckFailed makes the command exit non-zero once the report is out.
var errCheckFailed = errors.New("conformance check failed")

func newCheckCmd(g *globalOptions) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check PROVIDER",
		Short: "Check a connector's pagination: every resource, several page sizes, resumed and rerun",
		Long: `Create a session of PROVIDER and run the conformance check (the daemon's
connector/check) on it: each fetch resource is paged to its end with several
page sizes (default 1, 2, 3, 7 and the provider's default), and the check
reports, per resource:

  same-references  every page size returns the same set of references
  no-duplicates    no reference twice within one run
  page-size        no page holds more items than asked for
  termination      a run ends without repeating a state, within --max-pages
  resume           resuming from an intermediate state returns the same remainder
  rerun            a second run from the final state returns nothing already
                   seen (items seen again with other content are only a warning)
  timestamp-groups a same-references failure where the lost items share the
                   timestamp the state pages by: an equal-timestamp group
                   larger than the page is split at a page boundary
  asset-decimals   an asset's decimals are its currency's (JPY/0, KWD/3)

Then the review rules break the connector on purpose, injecting faults into
the session's HTTP transport for single pages of payments (or the resource
named first), from the state after a first page of one item:

  failed-page         a 503, a connection reset or a cut body is an error,
                      never a page whose state would skip the failed items
  auth-not-retryable  a 401 is reported with its status, not retryable
  rate-limit          a 429 is retried no sooner than its Retry-After, or
                      reported retryable with its status
  unknown-status      a status field rewritten to one never seen gives OTHER
                      (or an error), never a known status
  amount-exact        an amount field rewritten beyond int64 is kept exactly
                      (or refused with an error)
  incremental         (a connector whose source grows on demand, like the
                      demo's bank) a second run from the final state returns
                      nothing, and after 3 new payments exactly those 3

A connector that makes no HTTP request through the client the daemon hands
it cannot be reviewed this way (reported as SKIP); --skip-review leaves the
rules out.

Child resources (the balances or payments of an account) are checked for the
first --max-parents items of their parent task. Each finding names the page
size, the state and the references involved: fetch from that state with
"switchboard fetch --state" to reproduce it.

The check calls the connector directly: the session's pagination states are
not touched. --connector DIR builds the connector being written and checks
it in the private daemon. The command exits with status 1 when a check fails.`,
		Example: `  switchboard check demo
  switchboard check demo --resources payments --page-sizes 1,3,50
  switchboard check demo --config '{"accounts":3,"paymentsPerAccount":40}' --verbose
  switchboard check stripe --config @stripe.json --json
  switchboard check demo --connect
  switchboard check acme --connector ./acme --config '{"apiKey":"demo-key","baseUrl":"http://127.0.0.1:8081"}'`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && o.replay == "" {
				return errors.New("check needs PROVIDER (or --replay CASSETTE.yaml)")
			}
			provider := ""
			if len(args) == 1 {
				provider = args[0]
			}
			return runCheck(cmd, g, &o, provider)
		},
	}
	f := cmd.Flags()
	o.conn.register(f)
	o.conn.registerConnector(f)
	f.StringVar(&o.config, "config", "", "provider config as JSON, or @file to read it from a file")
	f.StringSliceVar(&o.resources, "resources", nil, "resources to check, e.g. payments,balances (default: every fetch capability)")
	f.IntSliceVar(&o.pageSizes, "page-sizes", nil, "page sizes to run with (default 1,2,3,7 and the provider's)")
	f.IntVar(&o.pageSize, "page-size", 0, "the session's page size, the default of --page-sizes (default: the provider's)")
	f.IntVar(&o.maxPages, "max-pages", 0, "most pages of one run before it fails the termination check (default 1000)")
	f.IntVar(&o.maxParents, "max-parents", 0, "parents a child resource is checked for (default 3)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print every page the check fetches (on stderr)")
	f.BoolVar(&o.asJSON, "json", false, "print the connector/check result as JSON")
	f.StringVar(&o.replay, "replay", "", "run the check offline against this cassette (default page sizes: the recorded ones)")
	f.StringVar(&o.record, "record", "", "record the check's traffic into this cassette, for a later --replay")
	f.BoolVar(&o.lenient, "lenient", false, "with --replay: match requests on method and path only")
	f.BoolVar(&o.overwrite, "overwrite", false, "with --record: replace the cassette if it exists")
	f.BoolVar(&o.skipReview, "skip-review", false, "leave out the review rules (failed-page, auth-not-retryable, rate-limit, unknown-status, amount-exact), which inject faults into the session's HTTP")
	return cmd
}

func runCheck(cmd *cobra.Command, g *globalOptions, o *checkOptions, provider string) error {
	for _, r := range o.resources {
		if !slices.Contains(protocol.Resources, strings.SplitN(r, "#", 2)[0]) {
			return fmt.Errorf("unknown resource %q: want one of %s", r, strings.Join(protocol.Resources, ", "))
		}
	}
	config, err := jsonArg("config", o.config)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errOut := cmd.ErrOrStderr()
	var opts []client.Option
	if o.verbose {
		opts = append(opts, client.WithNotificationHandler(func(method string, params json.RawMessage) {
			if method != protocol.NotifyCheckPage {
				return
			}
			var p protocol.CheckPageParams
			if json.Unmarshal(params, &p) != nil {
				return
			}
			writeCheckPage(errOut, p)
		}))
	}
	c, err := openConn(cmd, g, &o.conn, false, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	create := protocol.SessionCreateParams{Provider: provider, Config: config, PageSize: o.pageSize, Record: o.record, Replay: o.replay, Overwrite: o.overwrite}
	pageSizes := o.pageSizes
	if o.replay != "" {
		if o.lenient {
			create.ReplayMatch = protocol.ReplayLenient
		}
		if pageSizes == nil {
			if pageSizes, err = recordedPageSizes(o.replay); err != nil {
				return err
			}
		}
	}
	sess, err := c.CreateSession(ctx, create)
	if err != nil {
		return fmt.Errorf("session/create: %w", err)
	}
	if provider == "" {
		provider = sess.Provider
	}
	defer func() {
		cctx, cancel := cleanupContext()
		defer cancel()
		_ = c.CloseSession(cctx, sess.ID)
	}()
	var res protocol.ConnectorCheckResult
	err = c.Call(ctx, protocol.MethodConnectorCheck, protocol.ConnectorCheckParams{
		SessionID: sess.ID, Resources: o.resources, PageSizes: pageSizes, MaxPages: o.maxPages, MaxParents: o.maxParents, SkipReview: o.skipReview,
	}, &res)
	fctx, cancel := cleanupContext()
	_ = c.Flush(fctx)
	cancel()
	if err != nil {
		if cancelled(err) {
			return errors.New("check cancelled")
		}
		return fmt.Errorf("connector/check: %w", err)
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		if err := writeIndentedJSON(out, res); err != nil {
			return err
		}
	} else {
		writeCheckReport(out, provider, res)
	}
	if !res.Passed {
		return errCheckFailed
	}
	return nil
}

func writeCheckPage(w io.Writer, p protocol.CheckPageParams) {
	of := ""
	if p.Parent != "" {
		of = " of " + p.Parent
	}
	fmt.Fprintf(w, "%s%s  size %d  %s run %d  page %d: %d items, hasMore %t, state %s\n",
		p.Resource, of, p.PageSize, p.Kind, p.Run, p.Page, p.ItemCount, p.HasMore, compactJSON(p.State))
}

// writeCheckReport prints a verdict per resource and each finding under it.
func writeCheckReport(w io.Writer, provider string, res protocol.ConnectorCheckResult) {
	failed := 0
	for _, r := range res.Resources {
		verdict := "PASS"
		if !r.Passed {
			verdict = "FAIL"
			failed++
		}
		sizes := make([]string, len(r.PageSizes))
		for i, n := range r.PageSizes {
			sizes[i] = fmt.Sprint(n)
		}
		fmt.Fprintf(w, "%s  %s: %s items; page sizes %s; %s runs, %s pages", verdict, r.Resource, count(r.Items), strings.Join(sizes, ","), count(r.Runs), count(r.Pages))
		if len(r.Parents) > 0 {
			fmt.Fprintf(w, "; parents %s", strings.Join(r.Parents, ", "))
		}
		fmt.Fprintln(w)
		for _, f := range r.Findings {
			kind := "FAIL"
			if f.Warning {
				kind = "WARN"
			}
			of := ""
			if f.Parent != "" {
				of = " of " + f.Parent
			}
			fmt.Fprintf(w, "      %s %s%s: %s\n", kind, f.Check, of, f.Message)
		}
	}
	if rv := res.Review; rv != nil {
		of := ""
		if rv.Parent != "" {
			of = " of " + rv.Parent
		}
		if len(rv.Rules) > 0 {
			fmt.Fprintf(w, "      review rules %s ran on %s%s\n", strings.Join(rv.Rules, ", "), rv.Resource, of)
		}
		if rv.Skipped != "" {
			fmt.Fprintf(w, "SKIP  fault rules: %s\n", rv.Skipped)
		}
	}
	verdict := "passed"
	if !res.Passed {
		verdict = fmt.Sprintf("FAILED (%d of %d resources)", failed, len(res.Resources))
	}
	fmt.Fprintf(w, "%s: conformance check %s in %s\n", provider, verdict, seconds(msDuration(res.DurationMs)))
}
