package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/protocol"
)

// pathResult is what one way of running the sync measured.
type pathResult struct {
	WallMs         float64 `json:"wallMs"`
	Pages          int     `json:"pages"`
	Items          int     `json:"items"`
	Payments       int     `json:"payments"`
	PaymentsPerSec float64 `json:"paymentsPerSec"`
	PagesPerSec    float64 `json:"pagesPerSec"`
	// CPU time used during the run: by the bench process (the bank, and
	// the connector or the subscribers) and by the daemon process.
	BenchCPUMs  float64 `json:"benchCpuMs,omitempty"`
	DaemonCPUMs float64 `json:"daemonCpuMs,omitempty"`
}

func newPathResult(wall time.Duration, pages, items, payments int) pathResult {
	return pathResult{
		WallMs: float64(wall) / float64(time.Millisecond), Pages: pages, Items: items, Payments: payments,
		PaymentsPerSec: rate(payments, wall), PagesPerSec: rate(pages, wall),
	}
}

// directSync is the baseline: the demo connector opened in this process and
// driven over the same task tree the daemon's sync/run walks, with no
// daemon, no JSON-RPC and no notifications in between.
type directSync struct {
	c                      connector.Connector
	pageSize               int
	pages, items, payments int
}

// benchDirect syncs the bank at endpoint by calling the demo connector
// directly.
func benchDirect(ctx context.Context, endpoint, apiKey string, pageSize int) (pathResult, error) {
	p, ok := connector.Default().Lookup("demo")
	if !ok {
		return pathResult{}, fmt.Errorf("provider demo is not registered")
	}
	cfg, err := json.Marshal(map[string]string{"endpoint": endpoint, "apiKey": apiKey})
	if err != nil {
		return pathResult{}, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	c, err := p.Open(ctx, cfg, connector.Env{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		return pathResult{}, fmt.Errorf("open demo connector: %w", err)
	}
	if cl, ok := c.(io.Closer); ok {
		defer cl.Close()
	}
	inst, ok := c.(connector.Installer)
	if !ok {
		return pathResult{}, fmt.Errorf("demo connector has no task tree")
	}
	tasks, err := inst.Install(ctx)
	if err != nil {
		return pathResult{}, err
	}
	d := &directSync{c: c, pageSize: pageSize}
	cpu0, _ := procCPU(0)
	start := time.Now()
	for _, t := range tasks {
		if err := d.run(ctx, t, nil); err != nil {
			return pathResult{}, err
		}
	}
	r := newPathResult(time.Since(start), d.pages, d.items, d.payments)
	if cpu1, err := procCPU(0); err == nil {
		r.BenchCPUMs = ms(cpu1 - cpu0)
	}
	return r, nil
}

// run pages one task to its end, running its children for every parent
// item as each page arrives, the way the daemon's engine does.
func (d *directSync) run(ctx context.Context, t connector.Task, from json.RawMessage) error {
	var state json.RawMessage
	for {
		req := connector.FetchRequest{State: state, FromPayload: from, Name: t.Name, PageSize: d.pageSize}
		parents, n, newState, hasMore, err := d.fetch(ctx, t.Resource, req)
		if err != nil {
			return fmt.Errorf("direct %s: %w", t.Resource, err)
		}
		d.pages++
		d.items += n
		if t.Resource == protocol.ResourcePayments {
			d.payments += n
		}
		for _, parent := range parents {
			for _, child := range t.Next {
				if err := d.run(ctx, child, parent); err != nil {
					return err
				}
			}
		}
		if !hasMore || string(newState) == string(state) {
			return nil
		}
		state = newState
	}
}

// fetch calls the connector's fetcher of resource and returns the raw
// items that child tasks take as their parent, and the item count.
func (d *directSync) fetch(ctx context.Context, resource string, req connector.FetchRequest) (parents []json.RawMessage, n int, newState json.RawMessage, hasMore bool, err error) {
	switch resource {
	case protocol.ResourceAccounts, protocol.ResourceExternalAccounts:
		var p connector.Page[connector.Account]
		if resource == protocol.ResourceAccounts {
			p, err = d.c.(connector.AccountsFetcher).FetchAccounts(ctx, req)
		} else {
			p, err = d.c.(connector.ExternalAccountsFetcher).FetchExternalAccounts(ctx, req)
		}
		for _, a := range p.Items {
			parents = append(parents, a.Raw)
		}
		return parents, len(p.Items), p.NewState, p.HasMore, err
	case protocol.ResourceBalances:
		p, err := d.c.(connector.BalancesFetcher).FetchBalances(ctx, req)
		return nil, len(p.Items), p.NewState, p.HasMore, err
	case protocol.ResourcePayments:
		p, err := d.c.(connector.PaymentsFetcher).FetchPayments(ctx, req)
		return nil, len(p.Items), p.NewState, p.HasMore, err
	case protocol.ResourceOrders:
		p, err := d.c.(connector.OrdersFetcher).FetchOrders(ctx, req)
		return nil, len(p.Items), p.NewState, p.HasMore, err
	case protocol.ResourceConversions:
		p, err := d.c.(connector.ConversionsFetcher).FetchConversions(ctx, req)
		return nil, len(p.Items), p.NewState, p.HasMore, err
	}
	return nil, 0, nil, false, fmt.Errorf("resource %q is not part of the demo sync", resource)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
