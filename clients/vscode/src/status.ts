import type { StatusBarItemLike, VscodeApi } from './api';

/** The daemon connection as the status bar shows it. */
export type DaemonState = 'stopped' | 'starting' | 'connected' | 'failed';

/**
 * The status-bar item: the daemon's state, its sessions, the walks
 * (fetch all, sync) running and failed builds. Clicking it shows the
 * output channel.
 */
export class StatusItem {
  private readonly item: StatusBarItemLike;
  private state: DaemonState = 'stopped';
  private readonly walks = new Map<number, string>();
  private walkSeq = 0;
  private sessions = 0;
  private failedBuilds = 0;

  constructor(vscode: VscodeApi) {
    this.item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
    this.item.command = 'switchboard.showOutput';
    this.render();
    this.item.show();
  }

  setState(s: DaemonState): void {
    this.state = s;
    this.render();
  }

  setSessions(n: number): void {
    this.sessions = n;
    this.render();
  }

  setFailedBuilds(n: number): void {
    this.failedBuilds = n;
    this.render();
  }

  /** Counts a walk as running until the returned function is called. */
  beginWalk(title: string): () => void {
    const id = ++this.walkSeq;
    this.walks.set(id, title);
    this.render();
    return () => {
      this.walks.delete(id);
      this.render();
    };
  }

  /** The text shown, for tests. */
  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const icon = this.walks.size > 0 ? '$(sync~spin)' : this.state === 'connected' ? '$(plug)' : this.state === 'failed' ? '$(error)' : '$(debug-disconnect)';
    const parts = [`${icon} Switchboard: ${this.state}`];
    if (this.state === 'connected') parts.push(`${this.sessions} session${this.sessions === 1 ? '' : 's'}`);
    if (this.walks.size > 0) parts.push(`${this.walks.size} running`);
    if (this.failedBuilds > 0) parts.push(`${this.failedBuilds} build failed`);
    this.item.text = parts.join(' · ');
    this.item.tooltip = [
      `daemon: ${this.state}`,
      ...[...this.walks.values()].map((w) => `running: ${w}`),
      this.failedBuilds ? `${this.failedBuilds} workspace connector build(s) failed: see Problems` : '',
    ]
      .filter(Boolean)
      .join('\n');
  }

  dispose(): void {
    this.item.dispose();
  }
}
