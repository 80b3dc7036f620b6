import type { CheckFinding, ConnectorCheckResult } from '@switchboard/client';

import type { CancellationTokenLike, Disposable, TestControllerLike, TestItemLike, TestRunRequestLike, VscodeApi } from './api';
import { SourceLenses, findingResource } from './lenses';
import { SessionStore, sessionResources } from './model';

/** Runs connector/check on a session for some resources (the controller's, with progress and cancellation). */
export type RunCheck = (sessionId: string, resources: string[], token: CancellationTokenLike) => Promise<ConnectorCheckResult | undefined>;

/**
 * The pagination check in VS Code's Test Explorer: one test item per
 * session, and under it one per resource it fetches; running one runs
 * connector/check for those resources, a finding failing its resource with
 * a message on the line of the connector's fetch method when that is in
 * the workspace.
 */
export class CheckTests implements Disposable {
  private readonly ctrl: TestControllerLike;
  private readonly subs: Disposable[] = [];

  constructor(
    private readonly vscode: VscodeApi,
    private readonly store: SessionStore,
    private readonly lenses: SourceLenses,
    private readonly runCheck: RunCheck,
  ) {
    this.ctrl = vscode.tests.createTestController('switchboard.checks', 'Switchboard pagination check');
    this.subs.push(this.ctrl.createRunProfile('Check pagination', vscode.TestRunProfileKind.Run, (req, token) => this.run(req, token), true));
    this.subs.push(store.onChange(() => this.sync()));
    this.sync();
  }

  /** The items, rebuilt from the sessions (ids are stable, so results stay on them). */
  private sync(): void {
    const items: TestItemLike[] = [];
    for (const st of this.store.list()) {
      const s = st.session;
      const item = this.ctrl.createTestItem(`session:${s.id}`, s.name || s.provider);
      item.description = `${s.provider} · ${s.id.slice(0, 8)}`;
      item.children.replace(sessionResources(s).map((r) => this.ctrl.createTestItem(`resource:${s.id}:${r}`, r)));
      items.push(item);
    }
    this.ctrl.items.replace(items);
  }

  /** The session and resources each requested item stands for. */
  private targets(req: TestRunRequestLike): Map<string, TestItemLike[]> {
    const out = new Map<string, TestItemLike[]>();
    const add = (sessionId: string, item: TestItemLike) => out.set(sessionId, [...(out.get(sessionId) ?? []), item]);
    const roots: TestItemLike[] = [];
    if (req.include) roots.push(...req.include);
    else this.ctrl.items.forEach((i) => void roots.push(i));
    const excluded = new Set((req.exclude ?? []).map((i) => i.id));
    for (const item of roots) {
      if (excluded.has(item.id)) continue;
      const [kind, sessionId] = item.id.split(':');
      if (kind === 'resource') add(sessionId, item);
      else item.children.forEach((c) => void (excluded.has(c.id) || add(sessionId, c)));
    }
    return out;
  }

  async run(req: TestRunRequestLike, token: CancellationTokenLike): Promise<void> {
    const run = this.ctrl.createTestRun(req);
    try {
      for (const [sessionId, items] of this.targets(req)) {
        if (token.isCancellationRequested) break;
        const provider = this.store.get(sessionId)?.session.provider ?? '';
        const byResource = new Map(items.map((i) => [i.label, i]));
        for (const i of items) run.started(i);
        let result: ConnectorCheckResult | undefined;
        try {
          result = await this.runCheck(sessionId, [...byResource.keys()], token);
        } catch (e) {
          for (const i of items) run.errored(i, new this.vscode.TestMessage((e as Error).message));
          continue;
        }
        if (!result) continue; // cancelled
        for (const r of result.resources) {
          const item = byResource.get(r.resource.split('#')[0]);
          if (!item) continue;
          const failing = r.findings.filter((f) => !f.warning);
          run.appendOutput(`${r.resource}: ${r.passed ? 'passed' : 'failed'} (${r.runs} runs, ${r.pages} pages, ${r.items} items)\r\n`);
          if (r.passed) run.passed(item, r.pages);
          else run.failed(item, failing.map((f) => this.message(provider, f)));
        }
      }
    } finally {
      run.end();
    }
  }

  private message(provider: string, f: CheckFinding): unknown {
    const m = new this.vscode.TestMessage(`${f.check} (page size ${f.pageSize}${f.parent ? `, parent ${f.parent}` : ''}): ${f.message}\nfrom state ${JSON.stringify(f.state)}`);
    const method = this.lenses.methodOf(provider, findingResource(f));
    if (method) m.location = new this.vscode.Location(this.vscode.Uri.file(method.file), new this.vscode.Range(method.line - 1, 0, method.line - 1, 0));
    return m;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.ctrl.dispose();
  }
}
