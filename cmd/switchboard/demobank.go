package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboardpay/switchboard/demobank"
)

func newDemobankCmd(g *globalOptions) *cobra.Command {
	var (
		cfg         demobank.Config
		listen      string
		allowRemote bool
		faults      faultFlags
	)
	cmd := &cobra.Command{
		Use:   "demobank",
		Short: "Run the demo bank (a fake PSP over HTTP) on its own",
		Long: `Run the demo bank standalone: a small HTTP API that behaves like a real
payment service provider (accounts, balances, beneficiaries, transactions,
transfers and payouts, with cursor pagination and API-key auth), generated
deterministically from --seed.

The demo connector starts a bank of its own when given no config; run one
here instead to share it between sessions, size it, make it grow, or inject
faults. Point a demo session at it with
  {"endpoint": "<URL>", "apiKey": "<API key>"}

The URL and API key are printed on stderr, and the URL alone on stdout as one
line, for scripts. Stop it with Ctrl-C (or SIGTERM).`,
		Example: `  switchboard demobank
  switchboard demobank --listen 127.0.0.1:0 --accounts 20 --payments-per-account 10000
  switchboard demobank --listen 127.0.0.1:0 > bank.url &   # a script reads the URL from bank.url
  switchboard demobank --grow-every 5s --error-every 10 --error-status 429
  switchboard fetch demo payments --config '{"endpoint":"http://127.0.0.1:8081","apiKey":"demo-key"}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return fmt.Errorf("--listen %q: %w", listen, err)
			}
			if !allowRemote && !isLoopback(host) {
				return fmt.Errorf("refusing to bind %s: not a loopback address; pass --allow-remote to expose the bank beyond this machine", listen)
			}
			cfg.Faults = faults.faults()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			bank := demobank.New(cfg)
			url, err := bank.Start(listen)
			if err != nil {
				return err
			}
			defer bank.Close()
			fmt.Fprintf(cmd.ErrOrStderr(), "demo bank listening\n  url:      %s\n  api key:  %s\n  data:     %d accounts × %d transactions, %d beneficiaries (seed %d)\n  config:   {\"endpoint\":%q,\"apiKey\":%q}\n",
				url, bank.APIKey(), max(cfg.Accounts, 1), cfg.PaymentsPerAccount, cfg.ExternalAccounts, cfg.Seed, url, bank.APIKey())
			fmt.Fprintln(cmd.OutOrStdout(), url)
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8081", "address to listen on (loopback unless --allow-remote); port 0 picks a free one")
	f.BoolVar(&allowRemote, "allow-remote", false, "allow a listen address that is not loopback")
	f.Int64Var(&cfg.Seed, "seed", 0, "seed of the generated data: the same seed gives the same bank")
	f.IntVar(&cfg.Accounts, "accounts", 5, "number of accounts")
	f.IntVar(&cfg.PaymentsPerAccount, "payments-per-account", 250, "generated transactions per account")
	f.IntVar(&cfg.ExternalAccounts, "external-accounts", 3, "number of beneficiaries (external accounts)")
	f.StringVar(&cfg.APIKey, "api-key", demobank.DefaultAPIKey, "API key clients must send as a bearer token")
	f.DurationVar(&cfg.GrowEvery, "grow-every", 0, "append new transactions at this interval (e.g. 5s), for incremental syncs to find")
	f.IntVar(&cfg.GrowBy, "grow-by", 0, "transactions appended each --grow-every (default: one per account)")
	f.IntVar(&cfg.PayoutPendingPolls, "payout-pending-polls", 0, "polls a new payout stays pending before it settles")
	faults.register(cmd)
	cmd.AddCommand(newDemobankAdvanceCmd())
	return cmd
}

// faultFlags are the demo bank's injected faults on the command line.
type faultFlags struct {
	latency        time.Duration
	errorEvery     int
	errorStatus    int
	malformedEvery int
}

func (f *faultFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.DurationVar(&f.latency, "latency", 0, "added before every API answer, e.g. 200ms")
	fs.IntVar(&f.errorEvery, "error-every", 0, "fail every Nth API request with --error-status")
	fs.IntVar(&f.errorStatus, "error-status", 500, "HTTP status of --error-every failures (429 answers carry Retry-After)")
	fs.IntVar(&f.malformedEvery, "malformed-every", 0, "answer every Nth API request with a truncated JSON body")
}

func (f *faultFlags) faults() demobank.Faults {
	return demobank.Faults{Latency: f.latency, ErrorEvery: f.errorEvery, ErrorStatus: f.errorStatus, MalformedEvery: f.malformedEvery}
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
