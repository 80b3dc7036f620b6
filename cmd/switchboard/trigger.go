package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboardpay/switchboard/protocol"
)

func newTriggerCmd(g *globalOptions) *cobra.Command {
	var (
		f       connFlags
		session string
	)
	cmd := &cobra.Command{
		Use:   "trigger PROVIDER EVENT",
		Short: "Make the provider of a session send a webhook event now, like stripe trigger",
		Long: `Ask the connector of a session of the running daemon to make its provider
send EVENT now (webhook/trigger). The demo bank makes the change itself
(payment.created: a payout made; payout.settled: a payout made and settled;
balance.updated: its account's balance moves) and delivers its events to the
webhooks the session created. Watch them arrive with "switchboard listen".
Without --session, the daemon's one session of PROVIDER is used.`,
		Example: `  switchboard trigger demo payout.settled
  switchboard trigger demo payment.created --session 43b21ce8`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.connect = true
			if f.hint == "" {
				f.hint = sessionHint
			}
			c, err := openConn(cmd, g, &f, false)
			if err != nil {
				return err
			}
			defer c.Close()
			id := ""
			if session != "" {
				if id, err = resolveSession(cmd.Context(), c, session); err != nil {
					return err
				}
			} else {
				l, err := c.ListSessions(cmd.Context())
				if err != nil {
					return fmt.Errorf("session/list: %w", err)
				}
				var ids []string
				for _, s := range l.Sessions {
					if s.Provider == args[0] {
						ids = append(ids, s.ID)
					}
				}
				switch len(ids) {
				case 0:
					return fmt.Errorf("the daemon has no %s session: create one (switchboard session create %s) and its webhooks (switchboard webhooks create ID)", args[0], args[0])
				case 1:
					id = ids[0]
				default:
					return fmt.Errorf("the daemon has %d %s sessions (%s): name one with --session", len(ids), args[0], strings.Join(ids, ", "))
				}
			}
			res, err := c.WebhookTrigger(cmd.Context(), protocol.WebhookTriggerParams{SessionID: id, Event: args[1]})
			if err != nil {
				return fmt.Errorf("webhook/trigger: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "triggered %s on session %s: %s\n", res.Event, id, res.Detail)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&session, "session", "", "the session (any unique prefix of its id); default the daemon's one session of PROVIDER")
	return cmd
}
