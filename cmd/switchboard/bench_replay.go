package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/demobank"
	"github.com/switchboardpay/switchboard/protocol"
)

// replayBenchResult is the outcome of bench --replay.
type replayBenchResult struct {
	Payments int `json:"payments"`
	Accounts int `json:"accounts"`
	PageSize int `json:"pageSize"`
	Rounds   int `json:"rounds"`
	// RecordMs is the recorded sync (once); CassetteBytes its cassette.
	RecordMs      float64 `json:"recordMs"`
	CassetteBytes int64   `json:"cassetteBytes"`
	// LiveMs and ReplayMs are medians over the rounds of session/create
	// plus sync/run: live against the demo bank, and replayed from the
	// cassette (its loading included).
	LiveMs      float64   `json:"liveMs"`
	ReplayMs    float64   `json:"replayMs"`
	Ratio       float64   `json:"ratio"` // live / replay
	RoundRatios []float64 `json:"roundRatios"`
	Items       int       `json:"items"`
}

// runReplayBench records a sync of the demo bank through a child daemon,
// then times, alternating, the live sync and its offline replay.
func runReplayBench(ctx context.Context, log io.Writer, o benchOptions) (res replayBenchResult, err error) {
	perAccount := (o.payments + o.accounts - 1) / o.accounts
	bank := demobank.New(demobank.Config{Seed: o.seed, Accounts: o.accounts, PaymentsPerAccount: perAccount, ExternalAccounts: 10})
	url, err := bank.Start("127.0.0.1:0")
	if err != nil {
		return res, err
	}
	defer bank.Close()
	res = replayBenchResult{Payments: bank.TotalTransactions(), Accounts: o.accounts, PageSize: o.pageSize, Rounds: o.rounds}
	dir, err := os.MkdirTemp("", "switchboard-bench-replay-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bench.yaml")
	d, err := startChildDaemon(ctx, "memory")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, d.stop()) }()
	// Pages without their items, as the CLI asks for them: the bench
	// times the sync, not a subscriber decoding it.
	c, err := client.Dial(ctx, d.info.URL, d.info.Token)
	if err != nil {
		return res, err
	}
	defer c.Close()
	withItems := false
	if _, err := c.Initialize(ctx, protocol.InitializeParams{
		ClientInfo: &protocol.ClientInfo{Name: "switchboard-bench"}, Capabilities: &protocol.ClientCapabilities{PageItems: &withItems},
	}); err != nil {
		return res, err
	}
	if err := c.Initialized(ctx); err != nil {
		return res, err
	}
	cfg, err := json.Marshal(map[string]string{"endpoint": url, "apiKey": bank.APIKey()})
	if err != nil {
		return res, err
	}
	syncOnce := func(p protocol.SessionCreateParams) (float64, int, error) {
		start := time.Now()
		sess, err := c.CreateSession(ctx, p)
		if err != nil {
			return 0, 0, fmt.Errorf("session/create: %w", err)
		}
		created := time.Since(start)
		run, err := c.SyncRun(ctx, protocol.SyncRunParams{SessionID: sess.ID})
		fmt.Fprintf(log, "bench:   session/create %s (a replay loads its cassette here), sync/run %s\n", created.Round(time.Millisecond), (time.Since(start) - created).Round(time.Millisecond))
		wall := float64(time.Since(start).Microseconds()) / 1000
		if cerr := c.CloseSession(ctx, sess.ID); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, 0, fmt.Errorf("sync/run: %w", err)
		}
		items := 0
		for _, t := range run.Tasks {
			if t.Error != "" {
				return 0, 0, fmt.Errorf("task %s failed: %s", t.Path, t.Error)
			}
			items += t.Items
		}
		return wall, items, nil
	}
	fmt.Fprintf(log, "bench: recording a sync of %s payments into %s...\n", count(res.Payments), path)
	res.RecordMs, res.Items, err = syncOnce(protocol.SessionCreateParams{Provider: "demo", Config: cfg, PageSize: o.pageSize, Record: path})
	if err != nil {
		return res, err
	}
	if fi, err := os.Stat(path); err == nil {
		res.CassetteBytes = fi.Size()
	}
	var lives, replays []float64
	for r := 1; r <= o.rounds; r++ {
		fmt.Fprintf(log, "bench: live sync, round %d of %d...\n", r, o.rounds)
		live, n, err := syncOnce(protocol.SessionCreateParams{Provider: "demo", Config: cfg, PageSize: o.pageSize})
		if err != nil {
			return res, err
		}
		if n != res.Items {
			return res, fmt.Errorf("the live sync fetched %d items, the recorded one %d", n, res.Items)
		}
		fmt.Fprintf(log, "bench: replay, round %d of %d...\n", r, o.rounds)
		replay, n, err := syncOnce(protocol.SessionCreateParams{Replay: path, Config: cfg})
		if err != nil {
			return res, err
		}
		if n != res.Items {
			return res, fmt.Errorf("the replay fetched %d items, the recorded sync %d", n, res.Items)
		}
		lives, replays = append(lives, live), append(replays, replay)
		res.RoundRatios = append(res.RoundRatios, live/replay)
	}
	res.LiveMs, res.ReplayMs = medianMs(lives), medianMs(replays)
	res.Ratio = res.LiveMs / res.ReplayMs
	return res, nil
}

func medianMs(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func writeReplayBench(w io.Writer, r replayBenchResult) {
	fmt.Fprintf(w, "\n%s payments over %s accounts, page size %d, %d round(s); %s items per sync\n",
		count(r.Payments), count(r.Accounts), r.PageSize, r.Rounds, count(r.Items))
	fmt.Fprintf(w, "recorded once in %s into a cassette of %s bytes\n", seconds(msDuration(r.RecordMs)), count(int(r.CassetteBytes)))
	fmt.Fprintf(w, "live sync  %s\nreplay     %s (cassette loading included)\nratio      %.2fx live/replay (rounds %v)\n",
		seconds(msDuration(r.LiveMs)), seconds(msDuration(r.ReplayMs)), r.Ratio, r.RoundRatios)
}
