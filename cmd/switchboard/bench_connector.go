package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// benchTarget is what a daemon run syncs: the provider, its session
// config, and the serve flags that make the provider exist.
type benchTarget struct {
	provider string
	config   json.RawMessage
	args     []string
}

// builtinTarget is the built-in demo connector on the bench's bank.
func builtinTarget(url, apiKey string) benchTarget {
	cfg, _ := json.Marshal(map[string]string{"endpoint": url, "apiKey": apiKey})
	return benchTarget{provider: "demo", config: cfg}
}

// benchConnector runs the same sync through the daemon with the connector
// of --connector as a child process (built by the daemon before it
// serves, outside the timing), and returns that run's result.
func benchConnector(ctx context.Context, url, apiKey string, o benchOptions) (benchResult, error) {
	dir, err := filepath.Abs(o.connector)
	if err != nil {
		return benchResult{}, err
	}
	provider := o.connectorProvider
	if provider == "" {
		provider = filepath.Base(dir)
	}
	cfg := strings.NewReplacer("$URL", url, "$API_KEY", apiKey).Replace(o.connectorConfig)
	if !json.Valid([]byte(cfg)) {
		return benchResult{}, fmt.Errorf("--connector-config is not JSON: %s", cfg)
	}
	var res benchResult
	mo := o
	if mo.store == "both" {
		mo.store = "disk"
	}
	err = benchDaemon(ctx, &res, benchTarget{provider: provider, config: json.RawMessage(cfg), args: []string{"--connector", dir}}, mo)
	if err != nil {
		return res, fmt.Errorf("the connector in %s: %w", o.connector, err)
	}
	return res, nil
}
