package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// MaxPageSize is the largest page size a command accepts; the web console
// has the same bound (clients/web/static/app.js, MAX_PAGE_SIZE).
const MaxPageSize = 100_000

// intRange is the values a numeric flag accepts.
type intRange struct{ lo, hi int64 }

// flagRanges bound every numeric flag by name: a value out of range is
// refused with the flag and the range, never replaced by a default.
var flagRanges = map[string]intRange{
	"page-size":            {1, MaxPageSize},
	"page-sizes":           {1, MaxPageSize},
	"pages":                {1, 1_000_000},
	"max-pages":            {1, 1_000_000},
	"max-pages-per-task":   {0, 1_000_000},
	"max-parents":          {1, 10_000},
	"rounds":               {1, 100},
	"payments":             {1, 100_000_000},
	"accounts":             {1, 100_000},
	"subscribers":          {1, 1_000},
	"stalled":              {0, 1_000},
	"payments-per-account": {0, 10_000_000},
	"external-accounts":    {0, 100_000},
	"grow-by":              {0, 1_000_000},
	"payout-pending-polls": {0, 1_000},
	"error-every":          {0, 1_000_000},
	"error-status":         {400, 599},
	"malformed-every":      {0, 1_000_000},
	"max-message-size":     {1 << 10, 1 << 30},
	"queue-size":           {1, 1 << 20},
}

// logLevels are the names --log-level takes.
var logLevels = []string{"debug", "info", "warn", "error"}

// checkFlags refuses out-of-range numbers among the flags given on the
// command line, and an unknown --log-level.
func checkFlags(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err != nil {
			return
		}
		if f.Name == "log-level" {
			if !containsFold(logLevels, f.Value.String()) {
				err = fmt.Errorf("--log-level %q: want one of %s", f.Value.String(), strings.Join(logLevels, ", "))
			}
			return
		}
		r, ok := flagRanges[f.Name]
		if !ok {
			return
		}
		// fetch --all --pages 0 means no limit.
		if f.Name == "pages" && cmd.Flags().Lookup("all") != nil && cmd.Flags().Lookup("all").Changed {
			r.lo = 0
		}
		var values []int64
		switch f.Value.Type() {
		case "int", "int64":
			var n int64
			if _, e := fmt.Sscan(f.Value.String(), &n); e != nil {
				return
			}
			values = []int64{n}
		case "intSlice":
			list, _ := cmd.Flags().GetIntSlice(f.Name)
			for _, n := range list {
				values = append(values, int64(n))
			}
		default:
			return
		}
		for _, n := range values {
			if n < r.lo || n > r.hi {
				err = fmt.Errorf("--%s %d is out of range: want %s to %s", f.Name, n, count(r.lo), count(r.hi))
				return
			}
		}
	})
	return err
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
