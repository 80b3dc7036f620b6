package daemon

import (
	"context"

	"github.com/switchboardpay/switchboard/daemon/remote"
	"github.com/switchboardpay/switchboard/daemon/workspace"
)

// initConnectors makes the daemon's connector workspace and serves
// connectors/add and connectors/list with it.
func (d *Daemon) initConnectors() {
	d.connectors = workspace.New(workspace.Options{
		Registry:  d.opts.Registry,
		Broadcast: d.bus.Broadcast,
		Logger:    d.opts.Logger,
		Remote:    remote.Options{Logger: d.opts.Logger, DaemonName: "switchboard", DaemonVersion: Version},
	})
	d.server.SetConnectors(d.connectors)
}

// closeConnectors stops watching connector directories and kills what is
// left of their processes (sessions have closed theirs already).
func (d *Daemon) closeConnectors() {
	if d.connectors != nil {
		_ = d.connectors.Close()
	}
}

// Connectors returns the daemon's workspace connectors: connector
// directories built, served as processes and reloaded on change.
func (d *Daemon) Connectors() *workspace.Workspace { return d.connectors }

// RestoreSessions reopens the stored sessions not open yet: those whose
// provider a workspace connector registered after the daemon opened.
func (d *Daemon) RestoreSessions(ctx context.Context) (int, error) {
	return d.sessions.Restore(ctx)
}
