package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboardpay/switchboard/demobank"
)

// newDemobankAdvanceCmd is "demobank advance": it moves a running bank's
// clock and adds payments (POST /admin/clock).
func newDemobankAdvanceCmd() *cobra.Command {
	var (
		url, apiKey string
		by          time.Duration
		payments    int
		sameTime    int
	)
	cmd := &cobra.Command{
		Use:   "advance",
		Short: "Move a running demo bank's clock forward and add payments, for incremental syncs",
		Long: `Advance the clock of a demo bank started with "switchboard demobank": growth
set with --grow-every that falls due is applied, then --payments new
transactions are added at the new time, in groups of --same-time sharing one
created_at within one account (a group larger than a connector's page size
is what breaks a connector that pages by timestamp). A second sync/run of
the same session should then fetch exactly the new payments.`,
		Example: `  switchboard demobank advance --url http://127.0.0.1:8081 --by 1h --payments 10
  switchboard demobank advance --url http://127.0.0.1:8081 --payments 12 --same-time 6`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if by < 0 || payments < 0 || sameTime < 0 {
				return fmt.Errorf("--by, --payments and --same-time must not be negative")
			}
			body, _ := json.Marshal(map[string]any{"advanceMs": by.Milliseconds(), "payments": payments, "sameTime": sameTime})
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, strings.TrimRight(url, "/")+"/admin/clock", bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+apiKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("demo bank answered %s: %s", resp.Status, strings.TrimSpace(string(raw)))
			}
			var res demobank.AdvanceResult
			if err := json.Unmarshal(raw, &res); err != nil {
				return fmt.Errorf("demo bank answer %q: %w", raw, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "clock %s: %d payments added in %d groups; %d transactions in all\n", res.Now.Format(time.RFC3339), res.Added, res.Groups, res.Total)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "http://127.0.0.1:8081", "the bank's URL")
	f.StringVar(&apiKey, "api-key", demobank.DefaultAPIKey, "the bank's API key")
	f.DurationVar(&by, "by", 0, "how far to move the clock, e.g. 1h")
	f.IntVar(&payments, "payments", 0, "payments to add at the new time")
	f.IntVar(&sameTime, "same-time", 1, "payments per group sharing one timestamp")
	return cmd
}
