package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// The webhook commands talk to the running daemon: its ingress is where a
// provider delivers, so a private in-process daemon would receive nothing.

func newListenCmd(g *globalOptions) *cobra.Command {
	var (
		f      connFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "listen SESSION",
		Short: "Print a session's webhook deliveries as they arrive, with each step's verdict",
		Long: `Subscribe to a session of the running daemon and print every webhook
delivery its ingress receives (webhook/received) until interrupted: the
delivery id, its config, the HTTP status the ingress answered, the verdict
of trim, verify, translate and store, the idempotency keys, and why a step
failed (a signature mismatch, say). A duplicate names the delivery that
had its key first. SESSION may be any unique prefix of the session id.`,
		Example: `  switchboard listen 43b21ce8
  switchboard listen 43b21ce8 --json | jq .steps`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			var mu sync.Mutex // deliveries print whole, one at a time
			opts := []client.Option{client.WithNotificationHandler(func(method string, params json.RawMessage) {
				var d protocol.WebhookDelivery
				if method != protocol.NotifyWebhookReceived || json.Unmarshal(params, &d) != nil {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if asJSON {
					b, _ := json.Marshal(d)
					fmt.Fprintf(out, "%s\n", b)
					return
				}
				writeDelivery(out, d)
			})}
			c, id, err := webhookSession(cmd, g, &f, args[0], opts...)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := c.SessionSubscribe(ctx, protocol.SessionParams{SessionID: id}); err != nil {
				return fmt.Errorf("session/subscribe: %w", err)
			}
			if !asJSON {
				fmt.Fprintf(cmd.ErrOrStderr(), "listening for webhook deliveries to session %s (Ctrl-C to stop)\n", id)
			}
			<-ctx.Done()
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each delivery as one JSON line (webhook/received's params)")
	return cmd
}

func newWebhooksCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "List and replay a session's webhook deliveries",
		Long: `List the webhook deliveries a session of the running daemon kept
(webhook/list, kept across restarts), or replay one through trim, verify and
translate again (webhook/replay), optionally re-signed by the connector with
the session's current webhook secret.`,
		Example: `  switchboard webhooks create 43b21ce8
  switchboard webhooks list 43b21ce8
  switchboard webhooks replay 43b21ce8 w3 --resign`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newWebhooksCreateCmd(g), newWebhooksListCmd(g), newWebhooksReplayCmd(g))
	return cmd
}

func newWebhooksCreateCmd(g *globalOptions) *cobra.Command {
	var (
		f      connFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "create SESSION",
		Short: "Have the connector register its webhooks at the provider, and print their URLs",
		Long: `Call the connector's CreateWebhooks (webhook/create) with the session's
ingress URL on the running daemon, and print each config's name and the URL
the provider delivers to. A sync/run does it too when the connector's task
tree has a createWebhooks task.`,
		Example: `  switchboard webhooks create 43b21ce8
  switchboard webhooks create 43b21ce8 --json | jq -r '.configs[0].url'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := webhookSession(cmd, g, &f, args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.WebhookCreate(cmd.Context(), protocol.SessionParams{SessionID: id})
			if err != nil {
				return fmt.Errorf("webhook/create: %w", err)
			}
			if asJSON {
				return writeIndentedJSON(cmd.OutOrStdout(), res)
			}
			for _, cfg := range res.Configs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", cfg.Name, cfg.URL)
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the webhook/create result as JSON")
	return cmd
}

func newWebhooksListCmd(g *globalOptions) *cobra.Command {
	var (
		f      connFlags
		asJSON bool
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "list SESSION",
		Short: "List a session's kept webhook deliveries, oldest first",
		Long: `List the webhook deliveries a session of the running daemon kept
(webhook/list), oldest first, one line each with every step's verdict, as
listen prints them. The last 200 per session are kept, across restarts.`,
		Example: `  switchboard webhooks list 43b21ce8
  switchboard webhooks list 43b21ce8 --limit 5 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := webhookSession(cmd, g, &f, args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.WebhookList(cmd.Context(), protocol.WebhookListParams{SessionID: id, Limit: limit})
			if err != nil {
				return fmt.Errorf("webhook/list: %w", err)
			}
			if asJSON {
				return writeIndentedJSON(cmd.OutOrStdout(), res)
			}
			if len(res.Deliveries) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no webhook deliveries kept for this session")
			}
			for _, d := range res.Deliveries {
				writeDelivery(cmd.OutOrStdout(), d)
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the webhook/list result as JSON")
	cmd.Flags().IntVar(&limit, "limit", 0, "only the N most recent deliveries")
	return cmd
}

func newWebhooksReplayCmd(g *globalOptions) *cobra.Command {
	var (
		f      connFlags
		asJSON bool
		resign bool
	)
	cmd := &cobra.Command{
		Use:   "replay SESSION DELIVERY",
		Short: "Run a kept delivery through trim, verify and translate again",
		Long: `Replay a kept delivery (webhook/replay) as a new one, and print it. As it
came, a replay's idempotency key is flagged as seen; --resign has the
connector sign it again with the session's current secret and the time now,
so an old capture, or one signed before the secret rotated, passes verify.`,
		Example: `  switchboard webhooks replay 43b21ce8 w3
  switchboard webhooks replay 43b21ce8 w3 --resign`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := webhookSession(cmd, g, &f, args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			d, err := c.WebhookReplay(cmd.Context(), protocol.WebhookReplayParams{SessionID: id, ID: args[1], Resign: resign})
			if err != nil {
				return fmt.Errorf("webhook/replay: %w", err)
			}
			if asJSON {
				return writeIndentedJSON(cmd.OutOrStdout(), d)
			}
			writeDelivery(cmd.OutOrStdout(), d)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new delivery as JSON")
	cmd.Flags().BoolVar(&resign, "resign", false, "have the connector sign the delivery again with the session's current secret")
	return cmd
}

// webhookSession connects to the running daemon and resolves a session
// prefix.
func webhookSession(cmd *cobra.Command, g *globalOptions, f *connFlags, arg string, opts ...client.Option) (*conn, string, error) {
	f.connect = true
	if f.hint == "" {
		f.hint = sessionHint
	}
	c, err := openConn(cmd, g, f, false, opts...)
	if err != nil {
		return nil, "", err
	}
	id, err := resolveSession(cmd.Context(), c, arg)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, id, nil
}

// writeDelivery prints one delivery: a summary line, then a line per
// failed step saying why.
func writeDelivery(w io.Writer, d protocol.WebhookDelivery) {
	var steps []string
	for _, s := range d.Steps {
		steps = append(steps, s.Step+"="+s.Verdict)
	}
	line := fmt.Sprintf("%s %s %s %d %s", d.ReceivedAt.Format("15:04:05"), d.ID, d.Config, d.Status, strings.Join(steps, " "))
	if len(d.IdempotencyKeys) > 0 {
		line += " keys=" + strings.Join(d.IdempotencyKeys, ",")
	}
	if d.Duplicate {
		line += " duplicate-of=" + d.DuplicateOf
	}
	if d.ReplayOf != "" {
		line += " replay-of=" + d.ReplayOf
		if d.Resigned {
			line += " resigned"
		}
	}
	for _, resource := range protocol.Resources {
		if n := len(d.Items[resource]); n > 0 {
			line += fmt.Sprintf(" %s=%d", resource, n)
		}
	}
	if len(d.Deleted) > 0 {
		line += fmt.Sprintf(" deleted=%d", len(d.Deleted))
	}
	if len(d.Cancelled) > 0 {
		line += fmt.Sprintf(" cancelled=%d", len(d.Cancelled))
	}
	fmt.Fprintln(w, line)
	for _, s := range d.Steps {
		if s.Error != "" {
			fmt.Fprintf(w, "  %s: %s\n", s.Step, s.Error)
		}
	}
}
