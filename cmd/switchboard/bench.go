package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// benchOptions are the flags of bench.
type benchOptions struct {
	payments    int
	accounts    int
	pageSize    int
	subscribers int
	rounds      int
	seed        int64
	asJSON      bool
	store       string // disk, memory or both
	stalled     int    // subscribers that never read

	// connector, when set, is a connector directory synced through the
	// daemon as a child process, beside the built-in demo connector
	// (bench_connector.go).
	connector         string
	connectorProvider string
	connectorConfig   string

	replay bool // bench the offline replay against the live sync
}

// benchResult is the bench's outcome; --json prints it as is.
type benchResult struct {
	Payments           int                `json:"payments"`
	Accounts           int                `json:"accounts"`
	PageSize           int                `json:"pageSize"`
	Direct             pathResult         `json:"direct"`
	Daemon             pathResult         `json:"daemon"`
	Ratio              float64            `json:"ratio"` // daemon wall time / direct wall time, medians over the rounds
	Rounds             int                `json:"rounds"`
	RoundRatios        []float64          `json:"roundRatios,omitempty"` // daemon / direct of each round
	DaemonRSSBefore    int64              `json:"daemonRssBeforeBytes,omitempty"`
	DaemonPeakRSS      int64              `json:"daemonPeakRssBytes,omitempty"`
	Subscribers        []SubscriberResult `json:"subscribers"`
	AllReceived        bool               `json:"allReceived"`
	DaemonTaskFailures int                `json:"daemonTaskFailures"`
	// Store is the daemon run's store: disk or memory. With --store both,
	// DaemonMemory is the same run with --store memory.
	Stalled      int         `json:"stalled,omitempty"`
	Store        string      `json:"store"`
	StoreBytes   int64       `json:"storeBytes,omitempty"`
	DaemonMemory *pathResult `json:"daemonMemory,omitempty"`
	StoreRatio   float64     `json:"storeRatio,omitempty"` // disk wall time / memory wall time
	// CloseMs is how long session/close took: the session's stored items
	// are deleted before it answers.
	CloseMs float64 `json:"closeMs,omitempty"`
	// StoreBench is data/list and data/export on the synced store (the
	// last round's).
	StoreBench *storeResult `json:"storeBench,omitempty"`
	// Connector is the same sync through the --connector child process;
	// ConnectorRatio its wall time over the built-in daemon run's.
	Connector       *pathResult `json:"connector,omitempty"`
	ConnectorRatio  float64     `json:"connectorRatio,omitempty"`
	ConnectorRatios []float64   `json:"connectorRoundRatios,omitempty"`
}

func newBenchCmd(g *globalOptions) *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a full sync through the daemon against calling the connector directly",
		Long: `Benchmark the daemon on the demo connector. A demo bank of the chosen size is
started in this process, then synced twice over the demo task tree (accounts,
then balances and payments of every account, and beneficiaries):

  direct  the demo connector opened in this process and called in a loop:
          the baseline, with no daemon in between;
  daemon  "switchboard serve" started as a separate process of this binary,
          driven over websocket with sync/run while subscribers (one per
          --subscribers, each its own websocket connection) receive every
          page as a fetch/page notification, items included.

It prints payments/s and pages/s of both, the ratio of daemon to direct wall
time, the daemon's peak resident memory (VmHWM from /proc) and what each
subscriber received, which must equal what the sync fetched. The daemon is
stopped at the end, on error and on Ctrl-C.

The default is the benchmark of record (1,000,000 payments, tens of seconds);
--payments 100000 takes a few seconds.`,
		Example: `  switchboard bench
  switchboard bench --payments 100000
  switchboard bench --payments 100000 --subscribers 50
  switchboard bench --json | jq .ratio`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.payments < 1 || o.accounts < 1 || o.pageSize < 1 || o.subscribers < 1 || o.rounds < 1 {
				return errors.New("--payments, --accounts, --page-size, --subscribers and --rounds must be at least 1")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if o.replay {
				res, err := runReplayBench(ctx, cmd.ErrOrStderr(), o)
				if err != nil {
					return err
				}
				if o.asJSON {
					b, err := json.MarshalIndent(res, "", "  ")
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
				} else {
					writeReplayBench(cmd.OutOrStdout(), res)
				}
				return nil
			}
			res, err := runBench(ctx, cmd.ErrOrStderr(), o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.asJSON {
				b, err := json.MarshalIndent(res, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s\n", b)
			} else {
				writeBench(out, res)
			}
			if !res.AllReceived {
				return errors.New("a subscriber did not receive every item")
			}
			if res.DaemonTaskFailures > 0 {
				return fmt.Errorf("%d task runs failed in the daemon's sync", res.DaemonTaskFailures)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.payments, "payments", 1_000_000, "payments in the demo bank, spread evenly over the accounts")
	f.IntVar(&o.accounts, "accounts", 100, "accounts in the demo bank")
	f.IntVar(&o.pageSize, "page-size", 100, "items per page, in both runs")
	f.IntVar(&o.rounds, "rounds", 1, "run both paths this many times, alternating, and report the median of each (these machines are noisy)")
	f.IntVar(&o.subscribers, "subscribers", 1, "websocket connections receiving the session's pages (the first creates the session)")
	f.Int64Var(&o.seed, "seed", 1, "seed of the demo bank's data")
	f.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	f.IntVar(&o.stalled, "stalled", 0, "extra subscribers that never read a byte (the daemon must drop them without slowing the others)")
	f.BoolVar(&o.replay, "replay", false, "record a sync, then time the live sync against its offline replay (both through a daemon with --store memory)")
	f.StringVar(&o.store, "store", "disk", "the daemon's store: disk (a file in a temporary state directory), memory, or both (the daemon run twice, to compare)")
	f.StringVar(&o.connector, "connector", "", "also sync through the connector in `DIR` run as a child process (as serve --connector runs it), beside the built-in demo connector, and print the ratio")
	f.StringVar(&o.connectorProvider, "connector-provider", "", "provider name of --connector (default: the directory's base name)")
	f.StringVar(&o.connectorConfig, "connector-config", `{"baseUrl":"$URL","apiKey":"$API_KEY"}`, "session config of --connector; $URL and $API_KEY are the demo bank's")
	return cmd
}

// runBench runs both syncs against one bank; progress notes go to log.
func runBench(ctx context.Context, log io.Writer, o benchOptions) (benchResult, error) {
	perAccount := (o.payments + o.accounts - 1) / o.accounts
	bank := demobank.New(demobank.Config{
		Seed: o.seed, Accounts: o.accounts, PaymentsPerAccount: perAccount, ExternalAccounts: 10,
	})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		return benchResult{}, err
	}
	defer bank.Close()
	// The bank, the direct run and the subscribers share this process:
	// its profile shows what the daemon run costs on this side.
	stopProfile, err := recordTo(os.Getenv("SWITCHBOARD_BENCH_SELF_CPUPROFILE"), pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return benchResult{}, err
	}
	defer stopProfile()
	res := benchResult{Payments: bank.TotalTransactions(), Accounts: o.accounts, PageSize: o.pageSize}
	fmt.Fprintf(log, "bench: demo bank at %s with %s payments over %s accounts\n", url, count(res.Payments), count(o.accounts))

	var directs, daemons, memories, connectors []pathResult
	allReceived := true
	for r := 1; r <= o.rounds; r++ {
		round := ""
		if o.rounds > 1 {
			round = fmt.Sprintf(" (round %d of %d)", r, o.rounds)
		}
		fmt.Fprintf(log, "bench: direct connector calls%s...\n", round)
		d, err := benchDirect(ctx, url, bank.APIKey(), o.pageSize)
		if err != nil {
			return res, err
		}
		directs = append(directs, d)
		fmt.Fprintf(log, "bench: through the daemon%s...\n", round)
		res.Subscribers = nil
		if err := benchDaemon(ctx, &res, builtinTarget(url, bank.APIKey()), o); err != nil {
			return res, err
		}
		allReceived = allReceived && res.AllReceived
		daemons = append(daemons, res.Daemon)
		if o.connector != "" {
			fmt.Fprintf(log, "bench: through the daemon, the connector in %s as a child process%s...\n", o.connector, round)
			c, err := benchConnector(ctx, url, bank.APIKey(), o)
			if err != nil {
				return res, err
			}
			allReceived = allReceived && c.AllReceived
			connectors = append(connectors, c.Daemon)
			if res.Daemon.WallMs > 0 {
				res.ConnectorRatios = append(res.ConnectorRatios, c.Daemon.WallMs/res.Daemon.WallMs)
			}
		}
		if d.WallMs > 0 {
			res.RoundRatios = append(res.RoundRatios, res.Daemon.WallMs/d.WallMs)
		}
		if o.store == "both" {
			fmt.Fprintf(log, "bench: through the daemon again, with --store memory%s...\n", round)
			mem := res
			mem.Subscribers = nil
			mo := o
			mo.store = "memory"
			if err := benchDaemon(ctx, &mem, builtinTarget(url, bank.APIKey()), mo); err != nil {
				return res, err
			}
			allReceived = allReceived && mem.AllReceived
			memories = append(memories, mem.Daemon)
		}
	}
	res.Rounds = o.rounds
	res.AllReceived = allReceived
	res.Direct, res.Daemon = median(directs), median(daemons)
	if res.Direct.WallMs > 0 {
		res.Ratio = res.Daemon.WallMs / res.Direct.WallMs
	}
	if len(memories) > 0 {
		m := median(memories)
		res.DaemonMemory = &m
		if m.WallMs > 0 {
			res.StoreRatio = res.Daemon.WallMs / m.WallMs
		}
	}
	if len(connectors) > 0 {
		c := median(connectors)
		res.Connector = &c
		if res.Daemon.WallMs > 0 {
			res.ConnectorRatio = c.WallMs / res.Daemon.WallMs
		}
		if c.Payments != res.Payments {
			return res, fmt.Errorf("the bank holds %d payments but the connector in %s synced %d", res.Payments, o.connector, c.Payments)
		}
	}
	if res.Daemon.Payments != res.Payments || res.Direct.Payments != res.Payments {
		return res, fmt.Errorf("the bank holds %d payments but direct synced %d and the daemon %d", res.Payments, res.Direct.Payments, res.Daemon.Payments)
	}
	return res, nil
}

// benchDaemon syncs through a child daemon over websocket and fills the
// daemon half of res.
func benchDaemon(ctx context.Context, res *benchResult, target benchTarget, o benchOptions) (err error) {
	store := o.store
	if store == "both" {
		store = "disk"
	}
	d, err := startChildDaemon(ctx, store, target.args...)
	if err != nil {
		return err
	}
	res.Store = store
	defer func() { err = errors.Join(err, d.stop()) }()
	pid := d.cmd.Process.Pid
	res.DaemonRSSBefore, _ = procMemory(pid, "VmRSS")

	subs := make([]*subscriber, 0, o.subscribers)
	defer func() {
		for _, s := range subs {
			s.c.Close()
		}
	}()
	for range o.subscribers {
		s, err := dialSubscriber(ctx, d.info)
		if err != nil {
			return fmt.Errorf("connecting a subscriber: %w", err)
		}
		subs = append(subs, s)
	}
	creator := subs[0]
	sess, err := creator.c.CreateSession(ctx, protocol.SessionCreateParams{Provider: target.provider, Name: "bench", Config: target.config, PageSize: o.pageSize})
	if err != nil {
		return fmt.Errorf("session/create: %w", err)
	}
	for _, s := range subs[1:] {
		if err := s.c.Subscribe(ctx, sess.ID); err != nil {
			return fmt.Errorf("session/subscribe: %w", err)
		}
	}
	for range o.stalled {
		c, err := stalledSubscriber(ctx, d.info, sess.ID)
		if err != nil {
			return fmt.Errorf("connecting a stalled subscriber: %w", err)
		}
		defer c.Close()
	}
	res.Stalled = o.stalled

	selfCPU0, _ := procCPU(0)
	daemonCPU0, _ := procCPU(pid)
	start := time.Now()
	run, err := creator.c.SyncRun(ctx, protocol.SyncRunParams{SessionID: sess.ID})
	if err != nil {
		return fmt.Errorf("sync/run: %w", err)
	}
	// The daemon sends a request's pages before its answer; the wall time
	// includes the creator having handled them all.
	if err := creator.c.Flush(ctx); err != nil {
		return err
	}
	wall := time.Since(start)
	selfCPU1, err1 := procCPU(0)
	daemonCPU1, err2 := procCPU(pid)

	pages, items, payments := 0, 0, 0
	for _, t := range run.Tasks {
		pages += t.Pages
		items += t.Items
		if t.Resource == protocol.ResourcePayments {
			payments += t.Items
		}
		if t.Error != "" {
			res.DaemonTaskFailures++
		}
	}
	res.Daemon = newPathResult(wall, pages, items, payments)
	if err1 == nil && err2 == nil {
		res.Daemon.BenchCPUMs = ms(selfCPU1 - selfCPU0)
		res.Daemon.DaemonCPUMs = ms(daemonCPU1 - daemonCPU0)
	}
	res.AllReceived = true
	for _, s := range subs {
		s.waitFor(int64(pages), 30*time.Second)
		r := s.result()
		res.Subscribers = append(res.Subscribers, r)
		if r.Items != int64(items) || r.Pages != int64(pages) {
			res.AllReceived = false
		}
	}
	// Read the peak after the sync, before the daemon goes.
	res.DaemonPeakRSS, _ = procMemory(pid, "VmHWM")
	res.StoreBytes = d.storeBytes()
	sb, err := benchStore(ctx, creator.c, d, sess.ID)
	if err != nil {
		return err
	}
	res.StoreBench = &sb
	closeStart := time.Now()
	if err := creator.c.CloseSession(ctx, sess.ID); err != nil {
		return fmt.Errorf("session/close: %w", err)
	}
	res.CloseMs = ms(time.Since(closeStart))
	return nil
}

// median returns the run with the median wall time (the lower middle one
// of an even count).
func median(runs []pathResult) pathResult {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b pathResult) int { return cmp.Compare(a.WallMs, b.WallMs) })
	return s[(len(s)-1)/2]
}

// writeBench prints the result for humans.
func writeBench(w io.Writer, r benchResult) {
	fmt.Fprintf(w, "\n%s payments over %s accounts, page size %d, %d subscriber(s)\n\n",
		count(r.Payments), count(r.Accounts), r.PageSize, len(r.Subscribers))
	tw := newTable(w)
	fmt.Fprintln(tw, "PATH\tWALL\tPAYMENTS/S\tPAGES/S\tPAGES\tITEMS")
	for _, p := range []struct {
		name string
		r    pathResult
	}{{"direct connector", r.Direct}, {"daemon + websocket", r.Daemon}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.name, seconds(msDuration(p.r.WallMs)),
			count(int(p.r.PaymentsPerSec)), count(int(p.r.PagesPerSec)), count(p.r.Pages), count(p.r.Items))
	}
	tw.Flush()
	if r.Direct.BenchCPUMs > 0 {
		fmt.Fprintf(w, "\nCPU time: direct %s; daemon run %s (daemon %s, bank and subscribers %s)\n",
			seconds(msDuration(r.Direct.BenchCPUMs)), seconds(msDuration(r.Daemon.BenchCPUMs+r.Daemon.DaemonCPUMs)),
			seconds(msDuration(r.Daemon.DaemonCPUMs)), seconds(msDuration(r.Daemon.BenchCPUMs)))
	}
	if r.Rounds > 1 {
		fmt.Fprintf(w, "\nmedians of %d rounds; daemon/direct of each round:", r.Rounds)
		for _, x := range r.RoundRatios {
			fmt.Fprintf(w, " %.2fx", x)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nratio daemon/direct: %.2fx (store: %s", r.Ratio, r.Store)
	if r.StoreBytes > 0 {
		fmt.Fprintf(w, ", file %s", mib(r.StoreBytes))
	}
	fmt.Fprintln(w, ")")
	if c := r.Connector; c != nil {
		fmt.Fprintf(w, "child-process connector: %s, %s payments/s, %s pages; child-process/built-in: %.2fx",
			seconds(msDuration(c.WallMs)), count(int(c.PaymentsPerSec)), count(c.Pages), r.ConnectorRatio)
		if len(r.ConnectorRatios) > 1 {
			fmt.Fprint(w, " (rounds:")
			for _, x := range r.ConnectorRatios {
				fmt.Fprintf(w, " %.2fx", x)
			}
			fmt.Fprint(w, ")")
		}
		fmt.Fprintln(w)
	}
	if m := r.DaemonMemory; m != nil {
		fmt.Fprintf(w, "same run with --store memory: %s, %s payments/s; disk/memory: %.2fx\n",
			seconds(msDuration(m.WallMs)), count(int(m.PaymentsPerSec)), r.StoreRatio)
	}
	writeStore(w, r.StoreBench)
	if r.CloseMs > 0 {
		fmt.Fprintf(w, "session/close, deleting the stored items: %s\n", seconds(msDuration(r.CloseMs)))
	}
	if r.DaemonPeakRSS > 0 {
		fmt.Fprintf(w, "daemon peak RSS (VmHWM): %s (RSS before the sync: %s)\n", mib(r.DaemonPeakRSS), mib(r.DaemonRSSBefore))
	} else {
		fmt.Fprintln(w, "daemon peak RSS: not available on this system")
	}
	if r.Stalled > 0 {
		fmt.Fprintf(w, "%d stalled subscriber(s) never read a byte\n", r.Stalled)
	}
	for i, s := range r.Subscribers {
		rel := "=="
		if s.Items != int64(r.Daemon.Items) || s.Pages != int64(r.Daemon.Pages) {
			rel = "!="
		}
		fmt.Fprintf(w, "subscriber %d: received %s items %s total %s (%s pages, %s payments)", i+1,
			count(s.Items), rel, count(r.Daemon.Items), count(s.Pages), count(s.Payments))
		if s.Dropped {
			fmt.Fprint(w, "; dropped by the daemon for falling behind")
		}
		fmt.Fprintln(w)
	}
	if r.DaemonTaskFailures > 0 {
		fmt.Fprintf(w, "%d task runs failed in the daemon's sync\n", r.DaemonTaskFailures)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
