import { ChildProcess, spawn } from 'node:child_process';
import {
  CancellationToken,
  Disposable,
  Logger,
  MessageConnection,
  MessageReader,
  MessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

import { DaemonInfo, readDaemonInfo } from './discover';
import { SwitchboardError, toSwitchboardError } from './errors';
import * as P from './protocol';
import { WebSocketMessageReader, WebSocketMessageWriter, openWebSocket } from './websocket';

/** Options common to every transport. */
export interface ClientOptions {
  /** vscode-jsonrpc's logger (default: silent). */
  logger?: Logger;
}

/** Options of SwitchboardClient.stdio. */
export interface StdioOptions extends ClientOptions {
  /** The switchboard binary (default: "switchboard" on PATH). */
  bin?: string;
  /** Arguments after "stdio". */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives the daemon's stderr (its logs), line by line. */
  onStderr?: (line: string) => void;
}

/** Options of SwitchboardClient.websocket. */
export interface WebSocketOptions extends ClientOptions {
  /** How long to wait for the websocket to open (default 10 s). */
  timeoutMs?: number;
}

/** The item type of each resource. */
export interface ItemTypes {
  accounts: P.Account;
  balances: P.Balance;
  externalAccounts: P.Account;
  payments: P.Payment;
  others: P.Other;
}

/**
 * The items of a page (an empty array when the page carries none, as in
 * fetch/page notifications to clients that asked for pageItems: false).
 * Name the item type, or use ItemTypes: pageItems<ItemTypes['payments']>(page).
 */
export function pageItems<T = unknown>(page: P.Page): T[] {
  return Array.isArray(page.items) ? (page.items as T[]) : [];
}

type ParamsArgs<M extends P.MethodName> = P.MethodParams<M> extends undefined
  ? [params?: undefined, token?: CancellationToken]
  : [params: P.MethodParams<M>, token?: CancellationToken];

const silent: Logger = { error() {}, warn() {}, info() {}, log() {} };

/**
 * A connection to a Switchboard daemon: typed requests, typed notification
 * events and cancellation through vscode-jsonrpc's CancellationToken (which
 * sends $/cancelRequest; the request then rejects with a SwitchboardError of
 * code -32800). Every error response rejects with a SwitchboardError.
 *
 * Make one with SwitchboardClient.stdio (spawns `switchboard stdio`),
 * SwitchboardClient.websocket (a running `switchboard serve`),
 * SwitchboardClient.discover (the daemon of daemon.json) or
 * SwitchboardClient.fromStreams; then call initialize().
 */
export class SwitchboardClient implements Disposable {
  /** The underlying vscode-jsonrpc connection. */
  readonly connection: MessageConnection;
  /** The spawned daemon of a stdio client. */
  readonly process?: ChildProcess;
  /** The initialize result, once initialize() resolved. */
  serverInfo?: P.InitializeResult;

  private closed = false;
  private readonly closeHandlers: Array<() => void> = [];
  private readonly cleanup: () => Promise<void>;
  private progressSeq = 0;

  private constructor(reader: MessageReader, writer: MessageWriter, opts: ClientOptions, cleanup: () => Promise<void>, proc?: ChildProcess) {
    this.connection = createMessageConnection(reader, writer, opts.logger ?? silent);
    this.cleanup = cleanup;
    this.process = proc;
    // The daemon announces the progress tokens it makes; we accept them all.
    this.connection.onRequest(P.MethodWorkDoneProgressCreate, () => null);
    this.connection.onClose(() => {
      this.closed = true;
      for (const h of this.closeHandlers.splice(0)) h();
    });
    this.connection.listen();
  }

  /** Spawns `switchboard stdio` and talks to it over its stdin and stdout. */
  static stdio(opts: StdioOptions = {}): SwitchboardClient {
    const child = spawn(opts.bin ?? 'switchboard', ['stdio', ...(opts.args ?? [])], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        opts.onStderr?.(line);
      }
    });
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const client = new SwitchboardClient(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
      opts,
      async () => {
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      },
      child,
    );
    child.once('error', (err) => {
      opts.onStderr?.(`switchboard: cannot start ${opts.bin ?? 'switchboard'}: ${err.message}`);
      client.connection.dispose();
    });
    child.once('exit', () => {
      if (buf) opts.onStderr?.(buf);
      buf = '';
    });
    return client;
  }

  /** Connects to `switchboard serve` at url (ws://HOST:PORT/rpc) with its token. */
  static async websocket(url: string, token: string | undefined, opts: WebSocketOptions = {}): Promise<SwitchboardClient> {
    const socket = await openWebSocket(url, token, opts.timeoutMs);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return new SwitchboardClient(new WebSocketMessageReader(socket), new WebSocketMessageWriter(socket), opts, async () => {
      if (socket.readyState === socket.CLOSED) return;
      socket.close();
      const timer = setTimeout(() => socket.terminate(), 2000);
      await closed;
      clearTimeout(timer);
    });
  }

  /** Connects to the daemon that daemon.json in stateDir (default: the usual state directory) names. */
  static async discover(stateDir?: string, opts: WebSocketOptions = {}): Promise<SwitchboardClient> {
    const info: DaemonInfo = readDaemonInfo(stateDir);
    return SwitchboardClient.websocket(info.url, info.token, opts);
  }

  /** Wraps an existing reader and writer (tests, custom transports). */
  static fromStreams(reader: MessageReader, writer: MessageWriter, opts: ClientOptions = {}): SwitchboardClient {
    return new SwitchboardClient(reader, writer, opts, async () => {});
  }

  /** Whether the connection has closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls handler when the connection closes (the daemon exited or the socket closed). */
  onClose(handler: () => void): Disposable {
    if (this.closed) {
      handler();
      return Disposable.create(() => {});
    }
    this.closeHandlers.push(handler);
    return Disposable.create(() => {
      const i = this.closeHandlers.indexOf(handler);
      if (i >= 0) this.closeHandlers.splice(i, 1);
    });
  }

  // --- Generic, typed --------------------------------------------------------

  /**
   * Sends a request and resolves with its result. A cancelled token sends
   * $/cancelRequest; the request then rejects with code -32800.
   */
  async request<M extends P.MethodName>(method: M, ...args: ParamsArgs<M>): Promise<P.MethodResult<M>> {
    const [params, token] = args as [unknown, CancellationToken | undefined];
    const send: unknown[] = [];
    if (params !== undefined) send.push(params);
    if (token !== undefined) send.push(token);
    try {
      return (await this.connection.sendRequest(method, ...send)) as P.MethodResult<M>;
    } catch (e) {
      throw toSwitchboardError(e, method);
    }
  }

  /** Sends a notification to the daemon. */
  async notify<N extends keyof P.ClientNotifications>(method: N, ...args: P.ClientNotifications[N] extends undefined ? [] : [params: P.ClientNotifications[N]]): Promise<void> {
    if (args.length > 0) await this.connection.sendNotification(method, args[0]);
    else await this.connection.sendNotification(method);
  }

  /** Subscribes to a notification from the daemon. */
  onNotification<N extends P.NotificationName>(method: N, handler: (params: P.Notifications[N]) => void): Disposable {
    return this.connection.onNotification(method, handler as (params: unknown) => void);
  }

  onFetchPage(handler: (params: P.FetchPageParams) => void): Disposable {
    return this.onNotification(P.NotifyFetchPage, handler);
  }
  onStepPaused(handler: (params: P.StepPausedParams) => void): Disposable {
    return this.onNotification(P.NotifyStepPaused, handler);
  }
  onProgress(handler: (params: P.ProgressParams) => void): Disposable {
    return this.onNotification(P.NotifyProgress, handler);
  }
  onLog(handler: (params: P.LogParams) => void): Disposable {
    return this.onNotification(P.NotifyLog, handler);
  }
  onHttpExchange(handler: (params: P.HTTPExchangeParams) => void): Disposable {
    return this.onNotification(P.NotifyHTTPExchange, handler);
  }
  onSessionChanged(handler: (params: P.SessionChangedParams) => void): Disposable {
    return this.onNotification(P.NotifySessionChanged, handler);
  }

  /**
   * A fresh work-done progress token for fetchAll/syncRun: $/progress
   * notifications carrying it report that request's progress.
   */
  newProgressToken(): string {
    return `sb-client-${process.pid}-${++this.progressSeq}`;
  }

  // --- Lifecycle --------------------------------------------------------------

  /** Sends initialize, then the initialized notification. */
  async initialize(params: P.InitializeParams = {}): Promise<P.InitializeResult> {
    const res = await this.request(P.MethodInitialize, {
      clientInfo: params.clientInfo ?? { name: '@switchboard/client' },
      capabilities: params.capabilities ?? { workDoneProgress: true },
    });
    await this.notify(P.MethodInitialized, {});
    this.serverInfo = res;
    return res;
  }

  /** Sends shutdown; later requests get -32600. */
  shutdown(): Promise<null> {
    return this.request(P.MethodShutdown);
  }

  /** Sends exit: a stdio daemon exits, a websocket connection closes. */
  exit(): Promise<void> {
    return this.notify(P.MethodExit);
  }

  /**
   * Ends the connection: shutdown and exit when it is still open (best
   * effort, bounded), then closes the transport and, for stdio, waits for
   * the daemon to exit (killing it after 3 s).
   */
  async close(): Promise<void> {
    if (!this.closed) {
      try {
        await withTimeout(this.shutdown(), 2000);
        await this.exit();
      } catch {
        // closing anyway
      }
    }
    await this.cleanup();
    this.connection.dispose();
  }

  dispose(): void {
    void this.close();
  }

  // --- Providers and sessions -------------------------------------------------

  async providers(): Promise<P.Provider[]> {
    return (await this.request(P.MethodProvidersList, {})).providers;
  }
  createSession(params: P.SessionCreateParams): Promise<P.Session> {
    return this.request(P.MethodSessionCreate, params);
  }
  async listSessions(): Promise<P.Session[]> {
    return (await this.request(P.MethodSessionList, {})).sessions;
  }
  getSession(sessionId: string): Promise<P.SessionDetail> {
    return this.request(P.MethodSessionGet, { sessionId });
  }
  async closeSession(sessionId: string): Promise<void> {
    await this.request(P.MethodSessionClose, { sessionId });
  }
  async resetSession(sessionId: string, resource?: string, purge?: boolean): Promise<void> {
    await this.request(P.MethodSessionReset, { sessionId, resource, purge });
  }
  async install(sessionId: string): Promise<P.Task[]> {
    return (await this.request(P.MethodSessionInstall, { sessionId })).tasks;
  }
  async subscribe(sessionId: string): Promise<void> {
    await this.request(P.MethodSessionSubscribe, { sessionId });
  }
  async unsubscribe(sessionId: string): Promise<void> {
    await this.request(P.MethodSessionUnsubscribe, { sessionId });
  }

  // --- Fetching and state -----------------------------------------------------

  fetchNext(params: P.FetchNextParams, token?: CancellationToken): Promise<P.Page> {
    return this.request(P.MethodFetchNext, params, token);
  }
  fetchAll(params: P.FetchAllParams, token?: CancellationToken): Promise<P.FetchAllResult> {
    return this.request(P.MethodFetchAll, params, token);
  }
  syncRun(params: P.SyncRunParams, token?: CancellationToken): Promise<P.SyncRunResult> {
    return this.request(P.MethodSyncRun, params, token);
  }
  async getState(sessionId: string): Promise<P.StateEntry[]> {
    return (await this.request(P.MethodStateGet, { sessionId })).states;
  }
  async setState(params: P.StateSetParams): Promise<void> {
    await this.request(P.MethodStateSet, params);
  }

  // --- Payment initiation -----------------------------------------------------

  createBankAccount(params: P.BankAccountCreateParams): Promise<P.BankAccountCreateResult> {
    return this.request(P.MethodBankAccountCreate, params);
  }
  createTransfer(params: P.InitiationParams): Promise<P.InitiationResult> {
    return this.request(P.MethodTransferCreate, params);
  }
  createPayout(params: P.InitiationParams): Promise<P.InitiationResult> {
    return this.request(P.MethodPayoutCreate, params);
  }
  pollTransfer(params: P.PollParams): Promise<P.PollResult> {
    return this.request(P.MethodTransferPoll, params);
  }
  pollPayout(params: P.PollParams): Promise<P.PollResult> {
    return this.request(P.MethodPayoutPoll, params);
  }
  reverseTransfer(params: P.ReverseParams): Promise<P.ReverseResult> {
    return this.request(P.MethodTransferReverse, params);
  }
  reversePayout(params: P.ReverseParams): Promise<P.ReverseResult> {
    return this.request(P.MethodPayoutReverse, params);
  }

  // --- Inspection and stored data ----------------------------------------------

  httpList(params: P.HTTPListParams): Promise<P.HTTPListResult> {
    return this.request(P.MethodHTTPList, params);
  }
  logList(params: P.LogListParams): Promise<P.LogListResult> {
    return this.request(P.MethodLogList, params);
  }
  callsList(params: P.CallsListParams): Promise<P.CallsListResult> {
    return this.request(P.MethodCallsList, params);
  }
  dataList(params: P.DataListParams): Promise<P.DataListResult> {
    return this.request(P.MethodDataList, params);
  }

  // --- Breaking a connector on purpose -----------------------------------------

  faultsSet(params: P.FaultsSetParams): Promise<P.FaultsListResult> {
    return this.request(P.MethodFaultsSet, params);
  }
  faultsList(sessionId: string): Promise<P.FaultsListResult> {
    return this.request(P.MethodFaultsList, { sessionId });
  }
  async faultsClear(sessionId: string): Promise<void> {
    await this.request(P.MethodFaultsClear, { sessionId });
  }
  async stepNext(params: P.StepParams): Promise<void> {
    await this.request(P.MethodStepNext, params);
  }
  async stepContinue(params: P.StepParams): Promise<void> {
    await this.request(P.MethodStepContinue, params);
  }
  async stepAbort(params: P.StepParams): Promise<void> {
    await this.request(P.MethodStepAbort, params);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export { SwitchboardError };
