// A small fake of the VS Code APIs in src/api.ts, for tests. It behaves as
// VS Code does where the logic can tell: input boxes refuse an answer their
// validateInput rejects, withProgress hands the task a cancellation token
// that only the notification's cancel button (cancel()) fires, tree item and
// event emitter shapes match. The user is scripted: each quick pick and
// input box is answered by the next scripted answer.

import type {
  CancellationTokenLike,
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
  readonly documents: Array<{ language?: string; content?: string }> = [];
  readonly shownDocuments: TextDocumentLike[] = [];

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
  };

  commands: VscodeApi['commands'] = {
    registerCommand: (command: string, callback: (...args: any[]) => any): Disposable => {
      if (this.commandHandlers.has(command)) throw new Error(`command '${command}' already exists`);
      this.commandHandlers.set(command, callback);
      return { dispose: () => this.commandHandlers.delete(command) };
    },
  };

  workspace: VscodeApi['workspace'] = {
    get workspaceFolders() {
      return undefined;
    },
    openTextDocument: async (options: { language?: string; content?: string }) => {
      this.documents.push(options);
      const content = options.content ?? '';
      return { getText: () => content };
    },
    getConfiguration: (section?: string) => ({
      get: <T>(key: string): T | undefined => this.config[section ? `${section}.${key}` : key] as T | undefined,
    }),
    onDidChangeConfiguration: (listener: (e: { affectsConfiguration(section: string): boolean }) => unknown): Disposable =>
      this.configEmitter.event(listener),
  };

  // The folders are read through the instance, as VS Code's are live.
  private readonly foldersGetter = Object.defineProperty(this.workspace, 'workspaceFolders', { get: () => this.folders });

  private readonly configEmitter = new FakeEventEmitter<{ affectsConfiguration(section: string): boolean }>();

  /** Changes a setting, as the user does in the settings editor. */
  setConfig(key: string, value: unknown): void {
    this.config[key] = value;
    this.configEmitter.fire({ affectsConfiguration: (section: string) => key === section || key.startsWith(section + '.') });
  }

  EventEmitter = FakeEventEmitter;
  TreeItem = FakeTreeItem;
  TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 } as const;
  ProgressLocation = { Notification: 15 } as const;
}
