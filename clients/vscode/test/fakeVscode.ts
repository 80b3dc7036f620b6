// A small fake of the VS Code APIs in src/api.ts, for tests. It behaves as
// VS Code does where the logic can tell: input boxes refuse an answer their
// validateInput rejects, withProgress hands the task a cancellation token
// that only the notification's cancel button (cancel()) fires, tree item and
// event emitter shapes match. The user is scripted: each quick pick and
// input box is answered by the next scripted answer.

import * as fs from 'node:fs';

import type {
  CancellationTokenLike,
  CodeLensLike,
  CodeLensProviderLike,
  CommandLike,
  DiagnosticCollectionLike,
  DiagnosticLike,
  PositionLike,
  RangeLike,
  StatusBarItemLike,
  TestControllerLike,
  TestItemCollectionLike,
  TestItemLike,
  TestRunLike,
  TestRunRequestLike,
  TextDocumentContentProviderLike,
  UriLike,
  Disposable,
  Event,
  EventEmitterLike,
  InputBoxOptionsLike,
  OutputChannelLike,
  ProgressLike,
  ProgressOptionsLike,
  QuickPickItemLike,
  QuickPickOptionsLike,
  TextDocumentLike,
  TreeDataProviderLike,
  TreeItemLike,
  VscodeApi,
} from '../src/api';

export class FakeEventEmitter<T> implements EventEmitterLike<T> {
  private listeners: Array<(e: T) => unknown> = [];
  readonly event: Event<T> = (listener) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(data: T): void {
    for (const l of [...this.listeners]) l(data);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class FakeTreeItem implements TreeItemLike {
  id?: string;
  description?: string | boolean;
  tooltip?: string;
  contextValue?: string;
  command?: TreeItemLike['command'];
  constructor(
    public label: string,
    public collapsibleState: number = 0,
  ) {}
}

export class FakeUri implements UriLike {
  constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}:${this.scheme === 'file' ? '//' : ''}${this.path}`;
  }
  static file(path: string): FakeUri {
    return new FakeUri('file', path);
  }
  static parse(value: string): FakeUri {
    const i = value.indexOf(':');
    return new FakeUri(value.slice(0, i), value.slice(i + 1).replace(/^\/\//, ''));
  }
}

export class FakeRange implements RangeLike {
  readonly start: PositionLike;
  readonly end: PositionLike;
  constructor(sl: number, sc: number, el: number, ec: number) {
    this.start = { line: sl, character: sc };
    this.end = { line: el, character: ec };
  }
}

export class FakeDiagnostic implements DiagnosticLike {
  source?: string;
  constructor(
    public range: RangeLike,
    public message: string,
    public severity: number = 0,
  ) {}
}

export class FakeCodeLens implements CodeLensLike {
  constructor(
    public range: RangeLike,
    public command?: CommandLike,
  ) {}
}

/** A diagnostic collection: what the Problems panel would show, by file path. */
export class FakeDiagnosticCollection implements DiagnosticCollectionLike {
  readonly byFile = new Map<string, readonly DiagnosticLike[]>();
  constructor(readonly name: string) {}
  set(uri: UriLike, diagnostics: readonly DiagnosticLike[] | undefined): void {
    if (diagnostics && diagnostics.length) this.byFile.set(uri.fsPath, diagnostics);
    else this.byFile.delete(uri.fsPath);
  }
  clear(): void {
    this.byFile.clear();
  }
  dispose(): void {}
}

export class FakeStatusBarItem implements StatusBarItemLike {
  text = '';
  tooltip?: string | unknown;
  command?: string | CommandLike;
  shown = false;
  show(): void {
    this.shown = true;
  }
  dispose(): void {}
}

export class FakeTestItemCollection implements TestItemCollectionLike {
  private items: TestItemLike[] = [];
  replace(items: readonly TestItemLike[]): void {
    this.items = [...items];
  }
  get(id: string): TestItemLike | undefined {
    return this.items.find((i) => i.id === id);
  }
  forEach(callback: (item: TestItemLike) => unknown): void {
    for (const i of this.items) callback(i);
  }
  all(): TestItemLike[] {
    return [...this.items];
  }
}

/** One test run: what the Test Explorer would show for each item. */
export class FakeTestRun implements TestRunLike {
  readonly results = new Map<string, { state: 'started' | 'passed' | 'failed' | 'errored'; messages: unknown[] }>();
  output = '';
  ended = false;
  started(t: TestItemLike): void {
    this.results.set(t.id, { state: 'started', messages: [] });
  }
  passed(t: TestItemLike): void {
    this.results.set(t.id, { state: 'passed', messages: [] });
  }
  failed(t: TestItemLike, message: unknown): void {
    this.results.set(t.id, { state: 'failed', messages: Array.isArray(message) ? message : [message] });
  }
  errored(t: TestItemLike, message: unknown): void {
    this.results.set(t.id, { state: 'errored', messages: [message] });
  }
  appendOutput(output: string): void {
    this.output += output;
  }
  end(): void {
    this.ended = true;
  }
}

export class FakeTestController implements TestControllerLike {
  readonly items = new FakeTestItemCollection();
  readonly runs: FakeTestRun[] = [];
  runHandler?: (request: TestRunRequestLike, token: CancellationTokenLike) => Thenable<void> | void;
  constructor(
    readonly id: string,
    readonly label: string,
  ) {}
  createTestItem(id: string, label: string): TestItemLike {
    return { id, label, children: new FakeTestItemCollection() };
  }
  createRunProfile(_label: string, _kind: number, runHandler: (request: TestRunRequestLike, token: CancellationTokenLike) => Thenable<void> | void): Disposable {
    this.runHandler = runHandler;
    return { dispose: () => (this.runHandler = undefined) };
  }
  createTestRun(): TestRunLike {
    const r = new FakeTestRun();
    this.runs.push(r);
    return r;
  }
  /** Presses the run button of some items (all when none). */
  async run(include?: TestItemLike[]): Promise<FakeTestRun> {
    await this.runHandler!({ include, exclude: undefined }, neverCancelled);
    return this.runs.at(-1)!;
  }
  dispose(): void {}
}

export class FakeOutputChannel implements OutputChannelLike {
  readonly lines: string[] = [];
  shown = false;
  constructor(readonly name: string) {}
  appendLine(value: string): void {
    this.lines.push(value);
  }
  show(): void {
    this.shown = true;
  }
  dispose(): void {}
}

/** A progress notification on screen: its reports, and its cancel button. */
export class FakeProgress implements ProgressLike {
  readonly reports: Array<{ message?: string; increment?: number }> = [];
  private readonly cancelEmitter = new FakeEventEmitter<void>();
  cancelled = false;
  readonly token: CancellationTokenLike;
  constructor(
    readonly options: ProgressOptionsLike,
    private readonly onReport?: (p: FakeProgress) => void,
  ) {
    const self = this;
    this.token = {
      get isCancellationRequested() {
        return self.cancelled;
      },
      onCancellationRequested: this.cancelEmitter.event,
    };
  }
  report(value: { message?: string; increment?: number }): void {
    this.reports.push(value);
    this.onReport?.(this);
  }
  /** Presses the cancel button (VS Code shows one only when cancellable). */
  cancel(): void {
    if (!this.options.cancellable) throw new Error('this progress notification has no cancel button');
    if (this.cancelled) return;
    this.cancelled = true;
    this.cancelEmitter.fire();
  }
}

type PickAnswer = (items: readonly QuickPickItemLike[], options?: QuickPickOptionsLike) => QuickPickItemLike | undefined;
type InputAnswer = (options: InputBoxOptionsLike) => string | undefined;

export class FakeVscode implements VscodeApi {
  readonly pickAnswers: PickAnswer[] = [];
  readonly inputAnswers: InputAnswer[] = [];
  readonly inputsShown: InputBoxOptionsLike[] = [];
  readonly messages: Array<{ level: 'info' | 'warning' | 'error'; text: string }> = [];
  readonly progresses: FakeProgress[] = [];
  onProgressReport?: (p: FakeProgress) => void;
  readonly outputs = new Map<string, FakeOutputChannel>();
  readonly commandHandlers = new Map<string, (...args: any[]) => any>();
  readonly treeProviders = new Map<string, TreeDataProviderLike<any>>();
  readonly documents: Array<{ language?: string; content?: string; uri?: UriLike }> = [];
  readonly shownDocuments: TextDocumentLike[] = [];
  readonly executed: Array<{ command: string; args: unknown[] }> = [];
  readonly contentProviders = new Map<string, TextDocumentContentProviderLike>();
  readonly codeLensProviders: Array<{ selector: { language: string; scheme?: string }; provider: CodeLensProviderLike }> = [];
  readonly diagnostics = new Map<string, FakeDiagnosticCollection>();
  readonly statusItems: FakeStatusBarItem[] = [];
  clipboardText = '';

  /** The open workspace folders (vscode.workspace.workspaceFolders). */
  folders?: { uri: { fsPath: string } }[];

  constructor(private readonly config: Record<string, unknown> = {}) {}

  /** Scripts the next quick pick: choose the item with this label. */
  pick(label: string): void {
    this.pickAnswers.push((items) => {
      const it = items.find((i) => i.label === label);
      if (!it) throw new Error(`no quick pick item ${label} among ${items.map((i) => i.label).join(', ')}`);
      return it;
    });
  }

  /** Scripts the next input box. */
  input(answer: string | undefined | InputAnswer): void {
    this.inputAnswers.push(typeof answer === 'function' ? answer : () => answer);
  }

  /** Runs a registered command, as the command palette or a tree item does. */
  executeCommand<T = unknown>(id: string, ...args: unknown[]): Promise<T> {
    const h = this.commandHandlers.get(id);
    if (!h) throw new Error(`command ${id} is not registered`);
    return Promise.resolve(h(...args));
  }

  window: VscodeApi['window'] = {
    showQuickPick: async <T extends QuickPickItemLike>(items: readonly T[], options?: QuickPickOptionsLike): Promise<T | undefined> => {
      const answer = this.pickAnswers.shift();
      if (!answer) throw new Error(`unexpected quick pick ${options?.placeHolder ?? options?.title ?? ''}`);
      return answer(items, options) as T | undefined;
    },
    showInputBox: async (options?: InputBoxOptionsLike): Promise<string | undefined> => {
      const o = options ?? {};
      this.inputsShown.push(o);
      const answer = this.inputAnswers.shift();
      if (!answer) throw new Error(`unexpected input box ${o.title ?? o.prompt ?? ''}`);
      const value = answer(o);
      if (value !== undefined && o.validateInput) {
        const problem = o.validateInput(value);
        if (problem) throw new Error(`input box ${o.title ?? ''} refuses ${JSON.stringify(value)}: ${problem}`);
      }
      return value;
    },
    showInformationMessage: async (text: string) => void this.messages.push({ level: 'info', text }),
    showWarningMessage: async (text: string) => void this.messages.push({ level: 'warning', text }),
    showErrorMessage: async (text: string) => void this.messages.push({ level: 'error', text }),
    withProgress: async <R>(options: ProgressOptionsLike, task: (progress: ProgressLike, token: CancellationTokenLike) => Thenable<R>): Promise<R> => {
      const p = new FakeProgress(options, (x) => this.onProgressReport?.(x));
      this.progresses.push(p);
      return task(p, p.token);
    },
    createOutputChannel: (name: string) => {
      const c = new FakeOutputChannel(name);
      this.outputs.set(name, c);
      return c;
    },
    registerTreeDataProvider: <T>(viewId: string, provider: TreeDataProviderLike<T>): Disposable => {
      this.treeProviders.set(viewId, provider);
      return { dispose: () => this.treeProviders.delete(viewId) };
    },
    showTextDocument: async (document: TextDocumentLike) => {
      this.shownDocuments.push(document);
    },
    createStatusBarItem: () => {
      const item = new FakeStatusBarItem();
      this.statusItems.push(item);
      return item;
    },
  };

  commands: VscodeApi['commands'] = {
    registerCommand: (command: string, callback: (...args: any[]) => any): Disposable => {
      if (this.commandHandlers.has(command)) throw new Error(`command '${command}' already exists`);
      this.commandHandlers.set(command, callback);
      return { dispose: () => this.commandHandlers.delete(command) };
    },
    executeCommand: async (command: string, ...args: unknown[]) => {
      this.executed.push({ command, args });
      return this.commandHandlers.get(command)?.(...args);
    },
  };

  workspace: VscodeApi['workspace'] = {
    get workspaceFolders() {
      return undefined;
    },
    openTextDocument: async (arg: { language?: string; content?: string } | UriLike | string): Promise<TextDocumentLike> => {
      // An untitled document, a document of a registered scheme, or a file.
      if (typeof arg === 'string') arg = FakeUri.file(arg);
      if ('scheme' in arg) {
        const uri = arg;
        const p = this.contentProviders.get(uri.scheme);
        const content = p ? p.provideTextDocumentContent(uri, neverCancelled) : uri.scheme === 'file' ? fs.readFileSync(uri.fsPath, 'utf8') : undefined;
        if (content === undefined) throw new Error(`cannot open ${uri.toString()}`);
        this.documents.push({ uri, content, language: uri.path.endsWith('.json') ? 'json' : undefined });
        return { uri, getText: () => content };
      }
      this.documents.push(arg);
      const content = arg.content ?? '';
      return { uri: new FakeUri('untitled', `Untitled-${this.documents.length}`), getText: () => content };
    },
    registerTextDocumentContentProvider: (scheme: string, provider: TextDocumentContentProviderLike): Disposable => {
      this.contentProviders.set(scheme, provider);
      return { dispose: () => this.contentProviders.delete(scheme) };
    },
    onDidSaveTextDocument: (listener: (d: TextDocumentLike) => unknown): Disposable => this.saveEmitter.event(listener),
    getConfiguration: (section?: string) => ({
      get: <T>(key: string): T | undefined => this.config[section ? `${section}.${key}` : key] as T | undefined,
    }),
    onDidChangeConfiguration: (listener: (e: { affectsConfiguration(section: string): boolean }) => unknown): Disposable =>
      this.configEmitter.event(listener),
  };

  // The folders are read through the instance, as VS Code's are live.
  private readonly foldersGetter = Object.defineProperty(this.workspace, 'workspaceFolders', { get: () => this.folders });

  private readonly configEmitter = new FakeEventEmitter<{ affectsConfiguration(section: string): boolean }>();
  private readonly saveEmitter = new FakeEventEmitter<TextDocumentLike>();

  /** Saves a file, as the user does in an editor: its listeners see the new text. */
  save(path: string, text: string): void {
    fs.writeFileSync(path, text);
    this.saveEmitter.fire({ uri: FakeUri.file(path), getText: () => text });
  }

  /** The lenses VS Code would show on a file. */
  async codeLenses(path: string): Promise<CodeLensLike[]> {
    const doc = { uri: FakeUri.file(path), getText: () => fs.readFileSync(path, 'utf8') };
    const out: CodeLensLike[] = [];
    for (const { selector, provider } of this.codeLensProviders) {
      if (selector.language === 'go' && path.endsWith('.go')) out.push(...((await provider.provideCodeLenses(doc, neverCancelled)) ?? []));
    }
    return out;
  }

  languages: VscodeApi['languages'] = {
    createDiagnosticCollection: (name?: string) => {
      const c = new FakeDiagnosticCollection(name ?? '');
      this.diagnostics.set(c.name, c);
      return c;
    },
    registerCodeLensProvider: (selector: { language: string; scheme?: string }, provider: CodeLensProviderLike): Disposable => {
      const e = { selector, provider };
      this.codeLensProviders.push(e);
      return { dispose: () => this.codeLensProviders.splice(this.codeLensProviders.indexOf(e), 1) };
    },
  };

  readonly testControllers = new Map<string, FakeTestController>();
  tests: VscodeApi['tests'] = {
    createTestController: (id: string, label: string) => {
      const c = new FakeTestController(id, label);
      this.testControllers.set(id, c);
      return c;
    },
  };
  TestRunProfileKind = { Run: 1 } as const;
  TestMessage = class {
    location?: unknown;
    constructor(readonly message: string) {}
  };
  Location = class {
    constructor(
      readonly uri: UriLike,
      readonly range: RangeLike,
    ) {}
  };

  env: VscodeApi['env'] = {
    clipboard: {
      writeText: async (value: string) => {
        this.clipboardText = value;
      },
    },
  };

  /** Changes a setting, as the user does in the settings editor. */
  setConfig(key: string, value: unknown): void {
    this.config[key] = value;
    this.configEmitter.fire({ affectsConfiguration: (section: string) => key === section || key.startsWith(section + '.') });
  }

  EventEmitter = FakeEventEmitter;
  Uri = FakeUri;
  Range = FakeRange;
  Diagnostic = FakeDiagnostic;
  DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2 } as const;
  CodeLens = FakeCodeLens;
  StatusBarAlignment = { Left: 1 } as const;
  TreeItem = FakeTreeItem;
  TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 } as const;
  ProgressLocation = { Notification: 15 } as const;
}

const neverCancelled: CancellationTokenLike = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
