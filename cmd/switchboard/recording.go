package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/internal/testgen"
	"github.com/switchboardpay/switchboard/protocol"
)

func newRecordCmd(g *globalOptions) *cobra.Command {
	var (
		cf        connFlags
		to        string
		config    string
		pageSize  int
		maxPages  int
		session   string
		stop      bool
		overwrite bool
	)
	cmd := &cobra.Command{
		Use:   "record [PROVIDER] --to CASSETTE.yaml",
		Short: "Record a sync (or a running session) into a go-vcr cassette",
		Long: `Create a session of PROVIDER recording into CASSETTE.yaml and run one sync
cycle (as "switchboard sync" does): every HTTP exchange, redacted, and every
connector call with its page, page size and the states before and after it go
into the cassette, in go-vcr v4's format. Credentials (Authorization and other
credential headers, secret query parameters and body fields, the config's
secret values anywhere) are replaced by the same placeholder every time, so
a replay that redacts its requests the same way still matches them.

With --session, start (--to) or stop (--stop) recording a session of a
running daemon instead (needs --connect or --url).

The cassette replays offline: "switchboard replay", "switchboard check
--replay", "switchboard testgen" and "switchboard diff".`,
		Example: `  switchboard record demo --to demo.yaml
  switchboard record stripe --config @stripe.json --to stripe.yaml
  switchboard record --connect --session 5d1c... --to live.yaml
  switchboard record --connect --session 5d1c... --stop`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if session != "" {
				return recordSession(cmd, g, &cf, protocol.SessionRecordParams{SessionID: session, Path: to, Stop: stop, Overwrite: overwrite})
			}
			if len(args) != 1 || to == "" {
				return errors.New("record needs PROVIDER and --to CASSETTE.yaml (or --session ID with --to or --stop)")
			}
			cfg, err := jsonArg("config", config)
			if err != nil {
				return err
			}
			if err := runSync(cmd, g, &cf, protocol.SessionCreateParams{Provider: args[0], Config: cfg, PageSize: pageSize, Record: to, Overwrite: overwrite}, maxPages, false); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recorded into %s\n", to)
			return nil
		},
	}
	f := cmd.Flags()
	cf.register(f)
	f.StringVar(&to, "to", "", "the cassette to write, ending in .yaml")
	f.StringVar(&config, "config", "", "provider config as JSON, or @file to read it from a file")
	f.IntVar(&pageSize, "page-size", 0, "items per page (default: the provider's)")
	f.IntVar(&maxPages, "max-pages-per-task", 0, "stop each task run after this many pages (0: no limit)")
	f.StringVar(&session, "session", "", "record a session of a running daemon instead of running a sync")
	f.BoolVar(&stop, "stop", false, "with --session: stop the recording and save the cassette")
	f.BoolVar(&overwrite, "overwrite", false, "replace the cassette if it exists")
	return cmd
}

func recordSession(cmd *cobra.Command, g *globalOptions, cf *connFlags, p protocol.SessionRecordParams) error {
	if !cf.remote(cmd) {
		return errors.New("--session needs a running daemon: add --connect or --url")
	}
	if p.Path == "" && !p.Stop {
		return errors.New("--session needs --to CASSETTE.yaml or --stop")
	}
	c, err := openConn(cmd, g, cf, false)
	if err != nil {
		return err
	}
	defer c.Close()
	var res protocol.SessionRecordResult
	if err := c.Call(cmd.Context(), protocol.MethodSessionRecord, p, &res); err != nil {
		return fmt.Errorf("session/record: %w", err)
	}
	if res.Recording {
		fmt.Fprintf(cmd.OutOrStdout(), "recording session %s into %s\n", p.SessionID, res.Path)
	} else {
		fmt.Fprintf(cmd.OutOrStdout(), "saved %s: %d HTTP exchanges, %d calls\n", res.Path, res.Interactions, res.Calls)
	}
	return nil
}

func newReplayCmd(g *globalOptions) *cobra.Command {
	var (
		cf       connFlags
		config   string
		pageSize int
		maxPages int
		lenient  bool
	)
	cmd := &cobra.Command{
		Use:   "replay CASSETTE.yaml",
		Short: "Run a sync of the recorded connector against a cassette, with no network",
		Long: `Create a session replaying CASSETTE.yaml (its provider, config and page size
are the recorded ones unless given) and run one sync cycle: the real
connector runs, and every request it makes is answered from the cassette.
Nothing goes to the network.

Matching is strict by default: the method, the URL's path and query, and the
body (the host is not compared, so a bank that listened on another port
replays). --lenient matches the method and path only, in recorded order. A
request the cassette lacks fails its task with a replay-miss error naming the
request and the nearest recorded one (with another --page-size, the pages the
recording never asked for).`,
		Example: `  switchboard replay demo.yaml
  switchboard replay demo.yaml --page-size 50
  switchboard replay stripe.yaml --lenient`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := jsonArg("config", config)
			if err != nil {
				return err
			}
			p := protocol.SessionCreateParams{Replay: args[0], Config: cfg, PageSize: pageSize}
			if lenient {
				p.ReplayMatch = protocol.ReplayLenient
			}
			return runSync(cmd, g, &cf, p, maxPages, false)
		},
	}
	f := cmd.Flags()
	cf.register(f)
	f.StringVar(&config, "config", "", "provider config (default: the recorded one, secrets redacted)")
	f.IntVar(&pageSize, "page-size", 0, "items per page (default: the recorded one)")
	f.IntVar(&maxPages, "max-pages-per-task", 0, "stop each task run after this many pages (0: no limit)")
	f.BoolVar(&lenient, "lenient", false, "match requests on method and path only")
	return cmd
}

func newTestgenCmd(g *globalOptions) *cobra.Command {
	var o testgen.Options
	cmd := &cobra.Command{
		Use:   "testgen --from CASSETTE.yaml --dir DIR",
		Short: "Write a Go test that replays a cassette through the connector and compares with golden files",
		Long: `Write into the connector package at DIR a Go test that replays CASSETTE.yaml
through connector/connectortest: every fetch call of the recording is made
again from its recorded state, with no network, and its items and states are
compared with a golden file. The cassette is copied to
DIR/testdata/recordings/, and the test runs once with -update to write the
golden file (--no-golden skips that). Later, "go test" fails when the
connector's mapping or pagination changes; "go test -update" accepts the
change.`,
		Example: `  switchboard testgen --from demo.yaml --dir ./acme
  switchboard testgen --from stripe.yaml --dir ./connectors/stripe --name sync`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.From == "" || o.Dir == "" {
				return errors.New("testgen needs --from CASSETTE.yaml and --dir DIR")
			}
			res, err := testgen.Generate(o)
			if err != nil {
				return err
			}
			for _, f := range res.Files {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", f)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run it: (cd %s && go test -run %s)\n", o.Dir, res.TestName)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.From, "from", "", "the cassette to replay")
	f.StringVar(&o.Dir, "dir", "", "the connector's package directory")
	f.StringVar(&o.Name, "name", "", "name of the test and its files (default: the cassette's)")
	f.StringVar(&o.Provider, "provider", "", "Go expression of the *connector.Provider (default: Provider, else a registry lookup)")
	f.BoolVar(&o.NoGolden, "no-golden", false, "do not run the test to write the golden file")
	return cmd
}

// recordedPageSizes returns the page sizes a cassette's fetch calls used:
// the ones a check can replay. A cassette of a check (check --record)
// holds exchanges but no session fetch call: nil then, the check's own
// defaults, which are what it recorded.
func recordedPageSizes(path string) ([]int, error) {
	tape, err := cassette.Load(path)
	if err != nil {
		return nil, err
	}
	return tape.PageSizes(), nil
}

// errDrifted makes diff exit non-zero once the report is out.
var errDrifted = errors.New("drift found")

func newDiffCmd(g *globalOptions) *cobra.Command {
	var (
		cf        connFlags
		from      string
		against   string
		config    string
		save      string
		overwrite bool
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "diff --from CASSETTE.yaml",
		Short: "Run a recorded session again and report schema and data drift",
		Long: `Run every fetch call of CASSETTE.yaml again from its recorded state: once
replayed from the cassette, once live (the recorded provider, with --config
for the real credentials, the recorded config otherwise) or from a newer
cassette (--against). Then report:

  schema drift  per endpoint (ids in paths folded into {id}), from a JSON
                schema inferred from the response bodies: fields added,
                removed or retyped, and new values of enum-like fields
  data drift    per item by reference: items added or removed, and every
                field changed, added or removed

--save keeps the live run as a cassette: a baseline to compare a later run
with, offline, as --against. Each drift is printed as it is found; the
command exits with status 1 when there is any.`,
		Example: `  switchboard diff --from demo.yaml
  switchboard diff --from stripe.yaml --config @stripe.json --save stripe-today.yaml
  switchboard diff --from stripe.yaml --against stripe-today.yaml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" {
				return errors.New("diff needs --from CASSETTE.yaml")
			}
			cfg, err := jsonArg("config", config)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var opts []client.Option
			if !asJSON {
				opts = append(opts, client.WithNotificationHandler(func(method string, params json.RawMessage) {
					var p protocol.RecordingDriftParams
					if method == protocol.NotifyRecordingDrift && json.Unmarshal(params, &p) == nil {
						fmt.Fprintf(out, "%-17s %s\n", p.Drift.Kind, p.Drift.Message)
					}
				}))
			}
			c, err := openConn(cmd, g, &cf, false, opts...)
			if err != nil {
				return err
			}
			defer c.Close()
			var res protocol.RecordingDiffResult
			err = c.Call(cmd.Context(), protocol.MethodRecordingDiff, protocol.RecordingDiffParams{From: from, Against: against, Config: cfg, Save: save, Overwrite: overwrite}, &res)
			fctx, cancel := cleanupContext()
			_ = c.Flush(fctx)
			cancel()
			if err != nil {
				return fmt.Errorf("recording/diff: %w", err)
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				against := res.Against
				if against == "" {
					against = "the live API"
				}
				fmt.Fprintf(out, "%s against %s: %d calls, %d endpoints, %d schema drifts, %d data drifts in %s\n",
					res.From, against, res.Calls, len(res.Endpoints), len(res.Schema), len(res.Data)+res.DataTruncated, seconds(msDuration(res.DurationMs)))
				if res.Saved != "" {
					fmt.Fprintf(out, "saved the live run as %s\n", res.Saved)
				}
			}
			if res.Drifted {
				return errDrifted
			}
			return nil
		},
	}
	f := cmd.Flags()
	cf.register(f)
	f.StringVar(&from, "from", "", "the recorded cassette")
	f.StringVar(&against, "against", "", "a newer cassette to compare with instead of running live")
	f.StringVar(&config, "config", "", "provider config for the live run (default: the recorded one, secrets redacted)")
	f.StringVar(&save, "save", "", "save the live run as this cassette, a baseline for a later --against")
	f.BoolVar(&overwrite, "overwrite", false, "let --save replace an existing cassette")
	f.BoolVar(&asJSON, "json", false, "print the recording/diff result as JSON")
	return cmd
}
