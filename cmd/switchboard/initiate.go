package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboardpay/switchboard/protocol"
)

// initiateOptions are the flags of transfer and payout.
type initiateOptions struct {
	conn        connFlags
	config      string
	session     string
	reference   string
	from, to    string
	amount      string
	asset       string
	description string
	wait        time.Duration
	asJSON      bool
}

// initiation is what differs between a transfer and a payout.
type initiation struct {
	name, method, poll string
	long, example      string
}

var (
	transferKind = initiation{
		name: "transfer", method: protocol.MethodTransferCreate, poll: protocol.MethodTransferPoll,
		// The references are the default demo bank's (seed 0).
		long: `Create a transfer between two accounts of the provider (transfer/create),
through the connector, and show the payment it made. A transfer the
provider settles later comes back with a polling id: the command polls
(transfer/poll) until it settles or --wait passes.`,
		example: `  switchboard fetch demo accounts --json | jq -r '.reference + " " + .defaultAsset'
  switchboard transfer demo --from acc_e220a8397b1dcdaf --to acc_f14c4df09bb9a32e --amount 1250 --asset EUR/2
  switchboard transfer --session 43b21ce8 --from acc_e220a8397b1dcdaf --to acc_f14c4df09bb9a32e --amount 1250 --asset EUR/2 --json
  switchboard transfer acme --connector ./acme --config @acme.json --from ... --to ... --amount 1250 --asset EUR/2`,
	}
	payoutKind = initiation{
		name: "payout", method: protocol.MethodPayoutCreate, poll: protocol.MethodPayoutPoll,
		long: `Pay a beneficiary (an external account) from an account of the provider
(payout/create), through the connector, and show the payment. A payout
the provider settles later comes back with a polling id: the command polls
(payout/poll) until it settles, fails, or --wait passes.`,
		example: `  switchboard fetch demo externalAccounts --json | jq -r .reference
  switchboard payout demo --from acc_e220a8397b1dcdaf --to ben_06c45d188009454f --amount 5000 --asset EUR/2
  switchboard payout --session 43b21ce8 --from acc_e220a8397b1dcdaf --to ben_06c45d188009454f --amount 5000 --asset EUR/2`,
	}
)

func newTransferCmd(g *globalOptions) *cobra.Command { return newInitiateCmd(g, transferKind) }
func newPayoutCmd(g *globalOptions) *cobra.Command   { return newInitiateCmd(g, payoutKind) }

func newInitiateCmd(g *globalOptions, k initiation) *cobra.Command {
	var o initiateOptions
	cmd := &cobra.Command{
		Use:   k.name + " [PROVIDER]",
		Short: "Create a " + k.name + " through a connector and wait for it to settle",
		Long: k.long + `

Either name PROVIDER (a session is created with --config and closed at the
end; the demo provider needs no config, it starts its own demo bank), or
use an existing session of the running daemon: --session ID (any unique
prefix of the id). Amounts are in minor units of the asset ("1250" of
EUR/2 is 12.50 EUR).`,
		Example: k.example,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			provider := ""
			if len(args) == 1 {
				provider = args[0]
			}
			return runInitiate(cmd, g, &o, k, provider)
		},
	}
	f := cmd.Flags()
	o.conn.register(f)
	o.conn.registerConnector(f)
	f.StringVar(&o.config, "config", "", "provider config as JSON, or @file to read it from a file")
	f.StringVar(&o.session, "session", "", "use this session of the running daemon (any unique prefix of its id) instead of creating one")
	f.StringVar(&o.reference, "reference", "", "the "+k.name+"'s own reference, for idempotency (default: a random sb-... one)")
	f.StringVar(&o.from, "from", "", "source account reference")
	f.StringVar(&o.to, "to", "", "destination account reference (a beneficiary for a payout)")
	f.StringVar(&o.amount, "amount", "", "amount in minor units of the asset, e.g. 1250")
	f.StringVar(&o.asset, "asset", "", "asset, e.g. EUR/2")
	f.StringVar(&o.description, "description", "", "free text for the provider")
	f.DurationVar(&o.wait, "wait", time.Minute, "how long to poll a pending "+k.name+" before giving up")
	f.BoolVar(&o.asJSON, "json", false, "print the payment as JSON")
	return cmd
}

func runInitiate(cmd *cobra.Command, g *globalOptions, o *initiateOptions, k initiation, provider string) error {
	switch {
	case provider == "" && o.session == "":
		return errors.New("name a PROVIDER, or an existing session of the running daemon with --session ID")
	case provider != "" && o.session != "":
		return errors.New("name a PROVIDER or --session, not both")
	case o.to == "" || o.amount == "" || o.asset == "":
		return errors.New("--to, --amount and --asset are required")
	}
	config, err := jsonArg("config", o.config)
	if err != nil {
		return err
	}
	if o.reference == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		o.reference = "sb-" + hex.EncodeToString(b[:])
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, sessionID, err := sessionFor(ctx, cmd, g, &o.conn, o.session, false, protocol.SessionCreateParams{Provider: provider, Config: config})
	if err != nil {
		return err
	}
	defer c.Close()
	in := protocol.InitiationParams{SessionID: sessionID, Initiation: protocol.Initiation{
		Reference: o.reference, Amount: o.amount, Asset: o.asset,
		SourceAccountReference: o.from, DestinationAccountReference: o.to, Description: o.description,
	}}
	var res protocol.InitiationResult
	if err := c.Call(ctx, k.method, in, &res); err != nil {
		return fmt.Errorf("%s: %w", k.method, err)
	}
	errOut := cmd.ErrOrStderr()
	payment := res.Payment
	if payment == nil && res.PollingID != "" {
		fmt.Fprintf(errOut, "%s %s is pending; polling %s\n", k.name, o.reference, res.PollingID)
		payment, err = pollInitiation(ctx, c, k, sessionID, res.PollingID, o.wait, errOut)
		if err != nil {
			return err
		}
	}
	if payment == nil {
		return fmt.Errorf("%s: the connector answered with neither a payment nor a polling id", k.method)
	}
	return writePayment(cmd.OutOrStdout(), *payment, o.asJSON)
}

// pollInitiation polls until the payment settles, fails, or wait passes.
func pollInitiation(ctx context.Context, c *conn, k initiation, sessionID, pollingID string, wait time.Duration, log io.Writer) (*protocol.Payment, error) {
	deadline := time.Now().Add(wait)
	for {
		var r protocol.PollResult
		if err := c.Call(ctx, k.poll, protocol.PollParams{SessionID: sessionID, PollingID: pollingID}, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", k.poll, err)
		}
		switch {
		case r.Error != "":
			return nil, fmt.Errorf("%s %s failed: %s", k.name, pollingID, r.Error)
		case r.Payment != nil:
			return r.Payment, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s %s still pending after %s (poll it again with %s)", k.name, pollingID, wait, k.poll)
		}
		fmt.Fprintf(log, "still pending\n")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// writePayment prints one payment, as a field list or JSON.
func writePayment(w io.Writer, p protocol.Payment, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	tw := newTable(w)
	for _, row := range [][2]string{
		{"reference", p.Reference}, {"type", p.Type}, {"status", p.Status},
		{"amount", formatAmount(p.Amount, p.Asset) + " " + p.Asset + " (" + p.Amount + " in minor units)"}, {"from", p.SourceAccountReference}, {"to", p.DestinationAccountReference},
		{"created", p.CreatedAt.Format(time.RFC3339)},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}
