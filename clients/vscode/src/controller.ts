import * as os from 'node:os';
import * as path from 'node:path';
import {
  Account,
  CancellationTokenSource,
  CheckFinding,
  ConnectorCheckResult,
  FetchAllResult,
  Page,
  Payment,
  Session,
  StateEntry,
  SwitchboardClient,
  SwitchboardError,
  SyncRunResult,
  MethodConnectorsList,
  MethodConnectorsMethods,
  NotifyProviderBuildFailed,
  NotifyProviderReloaded,
} from '@switchboard/client';

import type { CancellationTokenLike, Disposable, OutputChannelLike, ProgressLike, QuickPickItemLike, TextDocumentLike, VscodeApi } from './api';
import { CheckTests } from './checks';
import { ConfigFiles, needsConfig, parseConfig } from './configdoc';
import { curlCommand } from './curl';
import { ConnectorProblems } from './diagnostics';
import { JsonDocs, seg } from './docs';
import { exchangeLine, logLine, plural } from './format';
import { LensTarget, SourceLenses } from './lenses';
import { SessionStore, sessionResources } from './model';
import { StatusItem } from './status';
import { Node, SessionsTree } from './tree';

/** The id of the Sessions view, as package.json declares it. */
export const SessionsViewId = 'switchboard.sessions';

/** Every command the extension registers, as package.json declares them. */
export const Commands = [
  'switchboard.createSession',
  'switchboard.refresh',
  'switchboard.fetchNext',
  'switchboard.fetchAll',
  'switchboard.runSync',
  'switchboard.resetState',
  'switchboard.editState',
  'switchboard.openPage',
  'switchboard.openExchange',
  'switchboard.createTransfer',
  'switchboard.createPayout',
  'switchboard.closeSession',
  'switchboard.showOutput',
  'switchboard.editConfig',
  'switchboard.diffState',
  'switchboard.openItems',
  'switchboard.copyCurl',
  'switchboard.checkSession',
] as const;

/** What createSession may be given instead of asking (a config document, a test). */
export interface CreateSessionArgs {
  provider: string;
  config?: Record<string, unknown>;
  name?: string;
}

export interface ControllerOptions {
  /** Starts the daemon connection; default spawns `<switchboard.path> stdio [args]`. */
  connect?: (bin: string, onStderr: (line: string) => void, args: string[]) => SwitchboardClient;
  /** Sent as clientInfo.version. */
  version?: string;
  /** Where config documents and their schemas are written (the extension's global storage). */
  storageDir?: string;
}

type SessionNode = Extract<Node, { kind: 'session' }>;
type ResourceNode = Extract<Node, { kind: 'resource' }>;
/** A tree node, or the target of a CodeLens above a connector method. */
type Target = Node | LensTarget;

/**
 * The extension's logic, over the small VscodeApi: the daemon connection,
 * the Sessions tree, the output channel and the commands.
 */
export class Controller {
  readonly store = new SessionStore();
  readonly tree: SessionsTree;
  readonly output: OutputChannelLike;
  readonly docs: JsonDocs;
  readonly lenses: SourceLenses;
  readonly problems: ConnectorProblems;
  readonly status: StatusItem;
  readonly configs: ConfigFiles;
  private client?: Promise<SwitchboardClient>;
  private readonly opts: ControllerOptions;
  private docSeq = 0;

  constructor(
    private readonly vscode: VscodeApi,
    opts: ControllerOptions = {},
  ) {
    this.opts = opts;
    this.tree = new SessionsTree(vscode, this.store);
    this.output = vscode.window.createOutputChannel('Switchboard');
    this.docs = new JsonDocs(vscode);
    this.lenses = new SourceLenses(vscode);
    this.problems = new ConnectorProblems(vscode, this.lenses);
    this.status = new StatusItem(vscode);
    this.configs = new ConfigFiles(opts.storageDir ?? path.join(os.tmpdir(), `switchboard-vscode-${process.pid}`));
    this.store.onChange(() => this.status.setSessions(this.store.list().length));
  }

  /** Registers the tree and the commands; dispose the result on deactivation. */
  register(): Disposable[] {
    const r = (id: (typeof Commands)[number], fn: (...args: any[]) => Promise<unknown> | unknown) =>
      this.vscode.commands.registerCommand(id, (...args: unknown[]) => this.run(id, () => fn(...args)));
    return [
      this.vscode.window.registerTreeDataProvider(SessionsViewId, this.tree),
      this.docs.register(),
      this.vscode.languages.registerCodeLensProvider({ language: 'go', scheme: 'file' }, this.lenses),
      this.vscode.workspace.onDidSaveTextDocument((d) => void this.saved(d)),
      r('switchboard.createSession', (a?: CreateSessionArgs) => this.createSession(a)),
      r('switchboard.refresh', () => this.refresh()),
      r('switchboard.fetchNext', (n?: Target) => this.fetchNext(n)),
      r('switchboard.fetchAll', (n?: Target) => this.fetchAll(n)),
      r('switchboard.runSync', (n?: Target) => this.runSync(n)),
      r('switchboard.resetState', (n?: Target) => this.resetState(n)),
      r('switchboard.editState', (n?: Target) => this.editState(n)),
      r('switchboard.openPage', (n?: Node) => this.openPage(n)),
      r('switchboard.openExchange', (n?: Node) => this.openExchange(n)),
      r('switchboard.createTransfer', (n?: Target) => this.initiate('transfer', n)),
      r('switchboard.createPayout', (n?: Target) => this.initiate('payout', n)),
      r('switchboard.closeSession', (n?: Node) => this.closeSession(n)),
      r('switchboard.showOutput', () => this.output.show(true)),
      r('switchboard.editConfig', (n?: Node | string) => this.editConfig(n)),
      r('switchboard.diffState', (n?: Node) => this.diffState(n)),
      r('switchboard.openItems', (n?: Node) => this.openItems(n)),
      r('switchboard.copyCurl', (n?: Node) => this.copyCurl(n)),
      r('switchboard.checkSession', (n?: Node) => this.checkSession(n)),
      // A new switchboard.path or list of connectors takes effect with the
      // next connection.
      this.vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('switchboard.path') || e.affectsConfiguration('switchboard.connectors')) void this.close();
      }),
      { dispose: () => void this.close() },
      this.problems,
      this.status,
      new CheckTests(this.vscode, this.store, this.lenses, (sessionId, resources, token) => this.check(sessionId, resources, token)),
    ];
  }

  /** Runs a command, turning a failure into an error message (and undefined). */
  private async run<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      const msg =
        e instanceof SwitchboardError ? `${e.message} (${e.codeName || 'code'} ${e.code})` : e instanceof Error ? e.message : String(e);
      this.output.appendLine(`[error] ${name}: ${msg}`);
      void this.vscode.window.showErrorMessage(`Switchboard: ${msg}`);
      return undefined;
    }
  }

  // --- Connection ---------------------------------------------------------------

  /** The daemon connection, started on first use and again after it closed. */
  getClient(): Promise<SwitchboardClient> {
    if (!this.client) {
      const holder: { p?: Promise<SwitchboardClient> } = {};
      const p = this.start(holder);
      holder.p = p;
      this.client = p;
      p.catch(() => {
        if (this.client === p) this.client = undefined;
      });
    }
    return this.client;
  }

  private async start(holder: { p?: Promise<SwitchboardClient> }): Promise<SwitchboardClient> {
    const config = this.vscode.workspace.getConfiguration('switchboard');
    const bin = config.get<string>('path') || 'switchboard';
    const args = connectorArgs(config.get<string[]>('connectors'), this.vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
    const onStderr = (line: string) => this.output.appendLine(`[daemon] ${line}`);
    this.output.appendLine(`starting ${[bin, 'stdio', ...args].join(' ')}`);
    this.status.setState('starting');
    const client = this.opts.connect
      ? this.opts.connect(bin, onStderr, args)
      : SwitchboardClient.stdio({ bin, args, onStderr });
    client.onFetchPage((n) => this.store.addPage(n));
    client.onLog((l) => this.output.appendLine(logLine(l)));
    client.onHttpExchange((x) => {
      this.output.appendLine(exchangeLine(x));
      this.store.addExchange(x);
    });
    client.onSessionChanged((c) => {
      if (c.reason === 'closed') this.store.remove(c.session.id);
      else this.store.upsert(c.session);
    });
    client.onNotification(NotifyProviderBuildFailed, (b) => {
      this.output.appendLine(`build of ${b.dir} failed: ${plural(b.diagnostics.length, 'message')}`);
      if (b.output) this.output.appendLine(b.output.trimEnd());
      this.problems.setBuild(b.dir, b.diagnostics, b.output);
      void this.refreshConnectors(client);
    });
    client.onNotification(NotifyProviderReloaded, (r) => {
      this.output.appendLine(`${r.provider} rebuilt and reloaded (${r.dir})`);
      this.problems.setBuild(r.dir, []);
      void this.refreshConnectors(client);
    });
    client.onClose(() => {
      this.output.appendLine('daemon connection closed');
      // Only this connection's: a newer one may have replaced it already.
      if (this.client === holder.p) {
        this.client = undefined;
        this.status.setState('stopped');
      }
    });
    try {
      const res = await client.initialize({
        clientInfo: { name: 'switchboard-vscode', version: this.opts.version },
        capabilities: { workDoneProgress: true },
      });
      this.output.appendLine(`connected to ${res.serverInfo.name} ${res.serverInfo.version} (protocol ${res.protocolVersion})`);
    } catch (e) {
      await client.close().catch(() => {});
      this.status.setState('failed');
      throw new Error(`cannot start the Switchboard daemon (${bin} stdio): ${(e as Error).message}`);
    }
    this.status.setState('connected');
    this.status.setSessions(this.store.list().length);
    await this.refreshConnectors(client);
    return client;
  }

  /**
   * Reloads the workspace connectors' build messages and method locations
   * (after a connection, a rebuild, a save of one of their files).
   */
  private async refreshConnectors(client: SwitchboardClient): Promise<void> {
    try {
      const list = (await client.request(MethodConnectorsList, {})).connectors;
      this.problems.setConnectors(list);
      this.status.setFailedBuilds(list.filter((c) => c.lastBuild && !c.lastBuild.ok).length);
      if (list.length === 0) return this.lenses.set([]);
      this.lenses.set((await client.request(MethodConnectorsMethods, {})).connectors);
    } catch (e) {
      this.output.appendLine(`[error] connectors: ${(e as Error).message}`);
    }
  }

  /** A saved config document creates a session; a saved connector file refreshes the lenses. */
  private async saved(doc: TextDocumentLike): Promise<void> {
    const provider = this.configs.providerOf(doc.uri.fsPath);
    if (provider) {
      const { config, error } = parseConfig(doc.getText());
      if (error) {
        void this.vscode.window.showErrorMessage(`Switchboard: ${provider} config: ${error}`);
        return;
      }
      await this.run('switchboard.createSession', () => this.createSession({ provider, config }));
      return;
    }
    if (doc.uri.fsPath.endsWith('.go') && this.client) void this.refreshConnectors(await this.client);
  }

  /** Closes the daemon connection (the daemon exits). */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await (await c.catch(() => undefined))?.close();
  }

  // --- Picking ----------------------------------------------------------------

  private async pickSession(n?: Target): Promise<string | undefined> {
    if (n?.kind === 'lens') return this.sessionOfProvider(n.provider);
    if (n) return n.sessionId;
    const sessions = this.store.list();
    if (sessions.length === 0) {
      void this.vscode.window.showInformationMessage('Switchboard: create a session first.');
      return undefined;
    }
    if (sessions.length === 1) return sessions[0].session.id;
    const items = sessions.map((s) => ({ label: s.session.name || s.session.provider, description: s.session.id, id: s.session.id }));
    return (await this.vscode.window.showQuickPick(items, { placeHolder: 'Session' }))?.id;
  }

  /**
   * The session a CodeLens acts on: the provider's only session, a pick
   * among several, or a new one (in one step when its config has defaults).
   */
  private async sessionOfProvider(provider: string): Promise<string | undefined> {
    const sessions = this.store.list().filter((s) => s.session.provider === provider);
    if (sessions.length === 1) return sessions[0].session.id;
    if (sessions.length > 1) {
      const items = sessions.map((s) => ({ label: s.session.name || s.session.provider, description: s.session.id, id: s.session.id }));
      return (await this.vscode.window.showQuickPick(items, { placeHolder: `Session of ${provider}` }))?.id;
    }
    return (await this.createSession({ provider }))?.id;
  }

  private async pickResource(n?: Target): Promise<{ sessionId: string; resource: string } | undefined> {
    if (n?.kind === 'lens' && n.resource) {
      const sessionId = await this.sessionOfProvider(n.provider);
      return sessionId ? { sessionId, resource: n.resource } : undefined;
    }
    if (n?.kind === 'resource' || n?.kind === 'page') return { sessionId: n.sessionId, resource: n.resource };
    const sessionId = await this.pickSession(n);
    if (!sessionId) return undefined;
    const st = this.store.get(sessionId);
    const items = (st ? sessionResources(st.session) : []).map((r) => ({ label: r }));
    const pick = await this.vscode.window.showQuickPick(items, { placeHolder: 'Resource' });
    return pick ? { sessionId, resource: pick.label } : undefined;
  }

  private async refreshStates(sessionId: string): Promise<StateEntry[]> {
    const client = await this.getClient();
    const states = await client.getState(sessionId);
    this.store.setStates(sessionId, states);
    return states;
  }

  // --- Commands ---------------------------------------------------------------

  /**
   * Creates a session in one pick: the provider, with its config's
   * defaults. A provider that needs config (a required field without a
   * default) opens its config document instead; saving it creates the
   * session. Given args (a saved config document), nothing is asked.
   */
  async createSession(args?: CreateSessionArgs): Promise<Session | undefined> {
    const client = await this.getClient();
    const providers = await client.providers();
    let provider = args ? providers.find((p) => p.name === args.provider) : undefined;
    if (args && !provider) throw new Error(`no provider ${args.provider} (providers: ${providers.map((p) => p.name).join(', ')})`);
    if (!provider) {
      const items = providers.map((p) => ({
        label: p.name,
        description: needsConfig(p.configSchema) ? 'opens its config' : 'defaults',
        detail: p.description,
        provider: p,
      }));
      const pick = await this.vscode.window.showQuickPick(items, { title: 'Create Switchboard session', placeHolder: 'Provider' });
      if (!pick) return undefined;
      provider = pick.provider;
    }
    if (!args?.config && needsConfig(provider.configSchema)) {
      await this.editConfig(provider.name);
      void this.vscode.window.showInformationMessage(`Switchboard: fill in the ${provider.name} config and save it to create the session.`);
      return undefined;
    }
    const config = args?.config ?? {};
    const names = new Set(this.store.list().map((s) => s.session.name));
    let name = args?.name ?? provider.name;
    for (let i = 2; !args?.name && names.has(name); i++) name = `${provider.name}-${i}`;
    const session = await client.createSession({ provider: provider.name, name, config });
    this.store.upsert(session, []);
    this.output.appendLine(`session ${session.id} created (${session.provider}${session.name ? ', ' + session.name : ''})`);
    return session;
  }

  /** Reloads the session list and their states from the daemon. */
  async refresh(): Promise<void> {
    const client = await this.getClient();
    const sessions = await client.listSessions();
    this.store.replaceAll(sessions);
    for (const s of sessions) {
      const d = await client.getSession(s.id);
      this.store.setStates(s.id, d.states);
    }
  }

  async fetchNext(n?: Target): Promise<Page | undefined> {
    const target = await this.pickResource(n);
    if (!target) return undefined;
    const client = await this.getClient();
    const page = await client.fetchNext(target);
    this.store.addPage({ sessionId: target.sessionId, page });
    this.output.appendLine(
      `fetch/next ${target.resource}: page ${page.page}, ${plural(page.itemCount, 'item')}, ${page.hasMore ? 'more to fetch' : 'no more'} (${Math.round(page.durationMs)} ms)`,
    );
    await this.refreshStates(target.sessionId);
    return page;
  }

  /**
   * Fetches every page of a resource under a cancellable progress
   * notification; its cancel button cancels the request ($/cancelRequest).
   */
  async fetchAll(n?: Target): Promise<FetchAllResult | undefined> {
    const target = await this.pickResource(n);
    if (!target) return undefined;
    const client = await this.getClient();
    let pages = 0;
    let items = 0;
    const result = await this.cancellable(`Fetching all ${target.resource}`, client, async (progress, token, workDoneToken) => {
      const sub = client.onFetchPage((p) => {
        if (p.sessionId !== target.sessionId || p.page.resource !== target.resource || p.task) return;
        pages++;
        items += p.page.itemCount;
        progress.report({ message: `${plural(pages, 'page')}, ${plural(items, 'item')}` });
      });
      try {
        return await client.fetchAll({ ...target, workDoneToken }, token);
      } finally {
        sub.dispose();
      }
    });
    await this.refreshStates(target.sessionId);
    if (result === 'cancelled') {
      const msg = `Fetch all of ${target.resource} cancelled after ${plural(pages, 'page')}.`;
      this.output.appendLine(msg);
      void this.vscode.window.showWarningMessage(msg);
      return undefined;
    }
    const msg =
      `Fetched ${plural(result.pages, 'page')}, ${plural(result.items, 'item')} of ${target.resource} in ${Math.round(result.durationMs)} ms` +
      (result.stalled ? ` (stalled: ${result.diagnostic ?? 'the state repeated'})` : result.hasMore ? ' (limit reached, more to fetch)' : '.');
    this.output.appendLine(msg);
    void this.vscode.window.showInformationMessage(msg);
    return result;
  }

  /** Runs a sync over the session's task tree, cancellable like fetchAll. */
  async runSync(n?: Target): Promise<SyncRunResult | undefined> {
    const sessionId = await this.pickSession(n);
    if (!sessionId) return undefined;
    const client = await this.getClient();
    let pages = 0;
    const result = await this.cancellable('Running sync', client, async (progress, token, workDoneToken) => {
      const sub = client.onFetchPage((p) => {
        if (p.sessionId !== sessionId) return;
        pages++;
        progress.report({ message: `${p.task ?? p.page.resource}: ${plural(pages, 'page')}` });
      });
      try {
        return await client.syncRun({ sessionId, workDoneToken }, token);
      } finally {
        sub.dispose();
      }
    });
    await this.refreshStates(sessionId);
    if (result === 'cancelled') {
      const msg = `Sync cancelled after ${plural(pages, 'page')}.`;
      this.output.appendLine(msg);
      void this.vscode.window.showWarningMessage(msg);
      return undefined;
    }
    const failed = result.tasks.filter((t) => t.error);
    const total = result.tasks.reduce((a, t) => ({ pages: a.pages + t.pages, items: a.items + t.items }), { pages: 0, items: 0 });
    const msg =
      `Sync: ${plural(result.tasks.length, 'task run')}, ${plural(total.pages, 'page')}, ${plural(total.items, 'item')} in ${Math.round(result.durationMs)} ms` +
      (failed.length ? `; ${failed.length} failed` : '.');
    this.output.appendLine(msg);
    for (const t of failed) this.output.appendLine(`  ${t.path}: ${t.error}`);
    void (failed.length ? this.vscode.window.showWarningMessage(msg) : this.vscode.window.showInformationMessage(msg));
    return result;
  }

  /**
   * Runs fn under a cancellable progress notification. The notification's
   * cancel button cancels the CancellationTokenSource handed to the client,
   * which sends $/cancelRequest; the -32800 answer becomes 'cancelled'.
   */
  private async cancellable<T>(
    title: string,
    client: SwitchboardClient,
    fn: (progress: ProgressLike, token: CancellationTokenSource['token'], workDoneToken: string) => Promise<T>,
  ): Promise<T | 'cancelled'> {
    const { window, ProgressLocation } = this.vscode;
    return window.withProgress({ location: ProgressLocation.Notification, title, cancellable: true }, async (progress, vsToken) => {
      const endWalk = this.status.beginWalk(title);
      const cts = new CancellationTokenSource();
      const onCancel = vsToken.onCancellationRequested(() => cts.cancel());
      if (vsToken.isCancellationRequested) cts.cancel();
      const workDoneToken = client.newProgressToken();
      const sub = client.onProgress((p) => {
        if (p.token === workDoneToken && p.value.kind === 'report' && p.value.message) progress.report({ message: p.value.message });
      });
      try {
        return await fn(progress, cts.token, workDoneToken);
      } catch (e) {
        if (e instanceof SwitchboardError && e.cancelled) return 'cancelled' as const;
        throw e;
      } finally {
        endWalk();
        sub.dispose();
        onCancel.dispose();
        cts.dispose();
      }
    });
  }

  /** Clears the cached state of a resource node, or of every resource of a session node. */
  async resetState(n?: Target): Promise<void> {
    let target: { sessionId: string; resource?: string } | undefined;
    if (n?.kind === 'lens') {
      const sessionId = await this.sessionOfProvider(n.provider);
      if (!sessionId) return;
      target = { sessionId, resource: n.resource };
    } else if (n?.kind === 'resource') target = { sessionId: n.sessionId, resource: n.resource };
    else if (n) target = { sessionId: n.sessionId };
    else {
      const sessionId = await this.pickSession();
      if (!sessionId) return;
      const st = this.store.get(sessionId);
      const items: QuickPickItemLike[] = [{ label: 'all resources' }, ...(st ? sessionResources(st.session) : []).map((r) => ({ label: r }))];
      const pick = await this.vscode.window.showQuickPick(items, { placeHolder: 'Reset the state of' });
      if (!pick) return;
      target = { sessionId, resource: pick.label === 'all resources' ? undefined : pick.label };
    }
    const client = await this.getClient();
    await client.resetSession(target.sessionId, target.resource);
    this.store.clearPages(target.sessionId, target.resource);
    await this.refreshStates(target.sessionId);
    this.output.appendLine(`state of ${target.resource ?? 'every resource'} reset (session ${target.sessionId})`);
  }

  /** Edits the cached state of one key of a resource as JSON in an input box; sets it with state/set. */
  async editState(n?: Target): Promise<StateEntry | undefined> {
    const target = await this.pickResource(n);
    if (!target) return undefined;
    const states = (await this.refreshStates(target.sessionId)).filter((e) => e.resource === target.resource);
    let entry: StateEntry | undefined = states[0];
    if (states.length > 1) {
      const pick = await this.vscode.window.showQuickPick(
        states.map((e) => ({ label: e.key, description: plural(e.pages, 'page'), entry: e })),
        { placeHolder: 'State key' },
      );
      if (!pick) return undefined;
      entry = pick.entry;
    }
    const raw = await this.vscode.window.showInputBox({
      title: `State of ${entry?.key ?? target.resource}`,
      prompt: 'The connector state as JSON; the next fetch/next continues from it (null starts over)',
      value: JSON.stringify(entry?.state ?? null),
      ignoreFocusOut: true,
      validateInput: (v: string) => {
        try {
          JSON.parse(v);
          return undefined;
        } catch (e) {
          return `not JSON: ${(e as Error).message}`;
        }
      },
    });
    if (raw === undefined) return undefined;
    const state = JSON.parse(raw) as unknown;
    const client = await this.getClient();
    await client.setState({ sessionId: target.sessionId, resource: target.resource, name: entry?.name, fromPayload: entry?.fromPayload, state });
    const after = await this.refreshStates(target.sessionId);
    this.output.appendLine(`state of ${entry?.key ?? target.resource} set to ${raw}`);
    return after.find((e) => e.resource === target.resource && (!entry || e.key === entry.key));
  }

  /** Opens a page of the tree as an untitled JSON document. */
  async openPage(n?: Node): Promise<void> {
    if (n?.kind !== 'page') throw new Error('pick a page in the Sessions view');
    const rec = this.store.findPage(n.sessionId, n.seq);
    if (!rec) throw new Error('that page is no longer kept');
    const p = rec.page;
    await this.docs.show(`/sessions/${seg(n.sessionId)}/${seg(p.key)}/page-${p.page}-${rec.seq}.json`, rec.task ? { task: rec.task, ...p } : p);
  }

  /** Opens the state before and after a page in the diff editor. */
  async diffState(n?: Node): Promise<void> {
    if (n?.kind !== 'page') throw new Error('pick a page in the Sessions view');
    const rec = this.store.findPage(n.sessionId, n.seq);
    if (!rec) throw new Error('that page is no longer kept');
    const p = rec.page;
    const base = `/sessions/${seg(n.sessionId)}/${seg(p.key)}/state-${rec.seq}`;
    await this.docs.diff(
      { path: `${base}-before.json`, value: rec.before ?? null },
      { path: `${base}-after.json`, value: p.newState ?? null },
      `${p.key}: state before ↔ after page ${p.page}`,
    );
  }

  /** Opens the items a session stored for a resource as a read-only JSON document. */
  async openItems(n?: Node): Promise<void> {
    const target = await this.pickResource(n);
    if (!target) return;
    const client = await this.getClient();
    const res = await client.dataList({ sessionId: target.sessionId, resource: target.resource as 'payments', limit: 500 });
    await this.docs.show(`/sessions/${seg(target.sessionId)}/${seg(target.resource)}/items-${++this.docSeq}.json`, res);
  }

  /** Copies an HTTP exchange's request as a curl command, secrets redacted. */
  async copyCurl(n?: Node): Promise<string> {
    const x = this.exchangeOf(n);
    const cmd = curlCommand(x);
    await this.vscode.env.clipboard.writeText(cmd);
    void this.vscode.window.showInformationMessage('Switchboard: curl command copied (secrets redacted).');
    return cmd;
  }

  private exchangeOf(n?: Node) {
    if (n?.kind !== 'exchange') throw new Error('pick an HTTP exchange in the Sessions view');
    const x = this.store.get(n.sessionId)?.exchanges.find((e) => e.id === n.id);
    if (!x) throw new Error('that exchange is no longer kept');
    return x;
  }

  /**
   * Opens a provider's config as a JSON document validated against its
   * config schema (on a session node: that session's config); saving it
   * creates a session with that config.
   */
  async editConfig(n?: Node | string): Promise<string | undefined> {
    const client = await this.getClient();
    const providers = await client.providers();
    let name: string | undefined;
    let config: Record<string, unknown> = {};
    if (typeof n === 'string') name = n;
    else if (n) {
      const s = this.store.get(n.sessionId)?.session;
      name = s?.provider;
      if (s?.config && typeof s.config === 'object') config = s.config as Record<string, unknown>;
    } else {
      name = (await this.vscode.window.showQuickPick(providers.map((p) => ({ label: p.name, detail: p.description })), { placeHolder: 'Config of' }))?.label;
    }
    const provider = providers.find((p) => p.name === name);
    if (!provider) return undefined;
    const file = this.configs.write(provider.name, provider.configSchema, config);
    const doc = await this.vscode.workspace.openTextDocument(file);
    await this.vscode.window.showTextDocument(doc);
    return file;
  }

  /**
   * Runs the pagination check (connector/check) on a session; findings go
   * to the Problems on the line of the fetch method they concern when the
   * connector is in the workspace, and to the output channel.
   */
  async checkSession(n?: Node): Promise<ConnectorCheckResult | undefined> {
    const sessionId = await this.pickSession(n);
    if (!sessionId) return undefined;
    const result = await this.check(sessionId);
    if (!result) return undefined;
    const findings = result.resources.flatMap((r) => r.findings);
    const msg = `Check: ${result.passed ? 'passed' : `${plural(findings.filter((f) => !f.warning).length, 'finding')}`} over ${plural(result.resources.length, 'resource')}`;
    void (result.passed ? this.vscode.window.showInformationMessage(msg) : this.vscode.window.showWarningMessage(msg + '; see Problems'));
    return result;
  }

  /**
   * Runs connector/check on a session (some resources, or all) under a
   * cancellable progress notification; its findings go to the Problems on
   * the fetch method they concern and to the output channel. Undefined
   * when cancelled (from the notification or token).
   */
  async check(sessionId: string, resources?: string[], outer?: CancellationTokenLike): Promise<ConnectorCheckResult | undefined> {
    const client = await this.getClient();
    const provider = this.store.get(sessionId)?.session.provider ?? '';
    const result = await this.cancellable('Checking pagination', client, (_progress, token, workDoneToken) => {
      // Cancelled from the notification or from the Test Explorer.
      const cts = new CancellationTokenSource();
      const sub = outer?.onCancellationRequested(() => cts.cancel());
      const inner = token.onCancellationRequested(() => cts.cancel());
      if (outer?.isCancellationRequested) cts.cancel();
      return client.request('connector/check', { sessionId, resources, workDoneToken }, cts.token).finally(() => {
        sub?.dispose();
        inner.dispose();
        cts.dispose();
      });
    });
    if (result === 'cancelled') return undefined;
    const findings: CheckFinding[] = result.resources.flatMap((r) => r.findings);
    this.problems.setCheck(provider, findings);
    for (const r of result.resources) {
      this.output.appendLine(`check ${r.resource}: ${r.passed ? 'passed' : 'FAILED'} (${plural(r.runs, 'run')}, ${plural(r.pages, 'page')}, ${plural(r.items, 'item')})`);
    }
    for (const f of findings) this.output.appendLine(`  ${f.warning ? 'warning' : 'finding'} ${f.resource} ${f.check}: ${f.message}`);
    return result;
  }

  /** Opens an HTTP exchange of the tree as an untitled JSON document. */
  async openExchange(n?: Node): Promise<void> {
    const x = this.exchangeOf(n);
    await this.docs.show(`/sessions/${seg(x.sessionId)}/http/${seg(x.id)}.json`, x);
  }

  /**
   * Creates a transfer (between two accounts) or a payout (to a
   * beneficiary) through the session's connector: source and destination
   * are picked from the accounts the session stored (or typed), then the
   * amount and asset. A pending one is polled, with a cancellable progress
   * notification, until it settles or fails; the payment opens as JSON.
   */
  async initiate(kind: 'transfer' | 'payout', n?: Target): Promise<Payment | undefined> {
    const sessionId = await this.pickSession(n);
    if (!sessionId) return undefined;
    const client = await this.getClient();
    const accounts = await this.storedAccounts(client, sessionId, 'accounts');
    const from = await this.pickAccount(accounts, `Source account of the ${kind}`);
    if (from === undefined) return undefined;
    const destinations = kind === 'payout' ? await this.storedAccounts(client, sessionId, 'externalAccounts') : accounts;
    const to = await this.pickAccount(destinations.filter((a) => a.reference !== from), kind === 'payout' ? 'Beneficiary' : 'Destination account');
    if (!to) return undefined;
    const amount = await this.vscode.window.showInputBox({
      title: `New ${kind}`,
      prompt: 'Amount, in minor units of the asset (1250 of EUR/2 is 12.50 EUR)',
      validateInput: (v) => (/^[0-9]+$/.test(v.trim()) ? undefined : 'a whole number of minor units'),
    });
    if (amount === undefined) return undefined;
    const asset = await this.vscode.window.showInputBox({
      title: `New ${kind}`,
      prompt: 'Asset, as CODE/decimals',
      value: accounts.find((a) => a.reference === from)?.defaultAsset ?? '',
      validateInput: (v) => (/^[A-Z0-9]+\/[0-9]+$/.test(v.trim()) ? undefined : 'like EUR/2 or JPY/0'),
    });
    if (asset === undefined) return undefined;
    const params = {
      sessionId,
      initiation: {
        reference: `vscode-${Date.now().toString(36)}`,
        amount: amount.trim(),
        asset: asset.trim(),
        sourceAccountReference: from || undefined,
        destinationAccountReference: to,
      },
    };
    const res = kind === 'transfer' ? await client.createTransfer(params) : await client.createPayout(params);
    let payment = res.payment;
    if (!payment && res.pollingId) {
      const pollingId = res.pollingId;
      this.output.appendLine(`${kind} ${params.initiation.reference} pending (polling id ${pollingId})`);
      const { window, ProgressLocation } = this.vscode;
      const polled = await window.withProgress(
        { location: ProgressLocation.Notification, title: `Switchboard: waiting for the ${kind} to settle`, cancellable: true },
        async (_progress, token) => {
          for (let i = 0; i < 120 && !token.isCancellationRequested; i++) {
            const r = kind === 'transfer' ? await client.pollTransfer({ sessionId, pollingId }) : await client.pollPayout({ sessionId, pollingId });
            if (r.error) throw new Error(`${kind} ${pollingId} failed: ${r.error}`);
            if (r.payment) return r.payment;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
          return undefined;
        },
      );
      if (!polled) {
        void this.vscode.window.showWarningMessage(`Switchboard: ${kind} ${pollingId} is still pending.`);
        return undefined;
      }
      payment = polled;
    }
    if (!payment) throw new Error(`the connector answered the ${kind} with neither a payment nor a polling id`);
    this.output.appendLine(`${kind} ${payment.reference}: ${payment.status}, ${payment.amount} ${payment.asset} from ${payment.sourceAccountReference ?? '-'} to ${payment.destinationAccountReference ?? '-'}`);
    void this.vscode.window.showInformationMessage(`Switchboard: ${kind} ${payment.reference} ${payment.status}`);
    await this.openJson(payment);
    return payment;
  }

  /** The accounts (or beneficiaries) the session stored, newest first. */
  private async storedAccounts(client: SwitchboardClient, sessionId: string, resource: 'accounts' | 'externalAccounts'): Promise<Account[]> {
    const res = await client.dataList({ sessionId, resource, limit: 200 });
    return res.items as Account[];
  }

  /** Picks an account among known ones, or asks for a reference ('' for none). */
  private async pickAccount(accounts: Account[], placeHolder: string): Promise<string | undefined> {
    const typeIt = 'Enter a reference…';
    if (accounts.length > 0) {
      const items: QuickPickItemLike[] = [
        ...accounts.map((a) => ({ label: a.reference, description: [a.name, a.defaultAsset].filter(Boolean).join(' · ') })),
        { label: typeIt },
      ];
      const pick = await this.vscode.window.showQuickPick(items, { placeHolder });
      if (!pick) return undefined;
      if (pick.label !== typeIt) return pick.label;
    }
    return this.vscode.window.showInputBox({ title: placeHolder, prompt: 'Account reference (fetch the accounts first to pick from them)' });
  }

  private async openJson(v: unknown): Promise<void> {
    const doc = await this.vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(v, null, 2) + '\n' });
    await this.vscode.window.showTextDocument(doc);
  }

  async closeSession(n?: Node): Promise<void> {
    const sessionId = await this.pickSession(n as SessionNode | ResourceNode | undefined);
    if (!sessionId) return;
    const client = await this.getClient();
    await client.closeSession(sessionId);
    this.store.remove(sessionId);
    this.output.appendLine(`session ${sessionId} closed`);
  }

  dispose(): void {
    void this.close();
    this.output.dispose();
    this.problems.dispose();
    this.status.dispose();
  }
}

/**
 * The daemon arguments for the switchboard.connectors setting: one
 * --connector per directory, relative ones resolved against root (the first
 * workspace folder) when there is one.
 */
export function connectorArgs(dirs: readonly string[] | undefined, root: string | undefined): string[] {
  if (!Array.isArray(dirs)) return [];
  return dirs
    .filter((d) => typeof d === 'string' && d.trim() !== '')
    .flatMap((d) => ['--connector', root && !path.isAbsolute(d) ? path.join(root, d) : d]);
}
