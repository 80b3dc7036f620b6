// The few VS Code APIs the extension's logic uses. The real `vscode` module
// is checked against this interface where the extension activates
// (src/extension.ts), and the tests' fake (test/fakeVscode.ts) implements
// it too, so the two cannot drift apart silently.

export interface Disposable {
  dispose(): unknown;
}

export interface Event<T> {
  (listener: (e: T) => unknown): Disposable;
}

export interface EventEmitterLike<T> {
  readonly event: Event<T>;
  fire(data: T): void;
  dispose(): void;
}

export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  readonly onCancellationRequested: Event<unknown>;
}

export interface QuickPickItemLike {
  label: string;
  description?: string;
  detail?: string;
}

export interface QuickPickOptionsLike {
  title?: string;
  placeHolder?: string;
  ignoreFocusOut?: boolean;
}

export interface InputBoxOptionsLike {
  title?: string;
  prompt?: string;
  placeHolder?: string;
  value?: string;
  password?: boolean;
  ignoreFocusOut?: boolean;
  validateInput?(value: string): string | undefined | null;
}

export interface ProgressOptionsLike {
  location: number;
  title?: string;
  cancellable?: boolean;
}

export interface ProgressLike {
  report(value: { message?: string; increment?: number }): void;
}

export interface OutputChannelLike {
  appendLine(value: string): void;
  show(preserveFocus?: boolean): void;
  dispose(): void;
}

export interface UriLike {
  readonly scheme: string;
  readonly path: string;
  readonly fsPath: string;
  toString(): string;
}

export interface TextDocumentLike {
  readonly uri: UriLike;
  getText(): string;
}

export interface PositionLike {
  readonly line: number;
  readonly character: number;
}

export interface RangeLike {
  readonly start: PositionLike;
  readonly end: PositionLike;
}

export interface DiagnosticLike {
  range: RangeLike;
  message: string;
  severity: number;
  source?: string;
}

/** A named set of diagnostics, by file (vscode.DiagnosticCollection). */
export interface DiagnosticCollectionLike {
  set(uri: UriLike, diagnostics: readonly DiagnosticLike[] | undefined): void;
  clear(): void;
  dispose(): void;
}

export interface CodeLensLike {
  range: RangeLike;
  command?: CommandLike;
}

export interface CodeLensProviderLike {
  onDidChangeCodeLenses?: Event<void>;
  // The lenses are made with the host's CodeLens class (VscodeApi.CodeLens);
  // the result is left untyped because that class is wider than
  // CodeLensLike and VS Code's provider type asks for it exactly.
  provideCodeLenses(document: TextDocumentLike, token: CancellationTokenLike): any;
}

/** Documents of a URI scheme; each path's content is fixed once opened. */
export interface TextDocumentContentProviderLike {
  provideTextDocumentContent(uri: UriLike, token: CancellationTokenLike): string | undefined;
}

export interface StatusBarItemLike {
  text: string;
  tooltip?: string | unknown;
  command?: string | CommandLike;
  show(): void;
  dispose(): void;
}

export interface CommandLike {
  command: string;
  title: string;
  arguments?: unknown[];
}

export interface TreeItemLike {
  label?: string | { label: string };
  id?: string;
  description?: string | boolean;
  contextValue?: string;
  command?: CommandLike;
  collapsibleState?: number;
}

/**
 * Sets a tree item's tooltip. (tooltip is left out of TreeItemLike: VS Code
 * types it string | MarkdownString, which no small interface can mirror both
 * ways; a string is what both the real TreeItem and the fake take.)
 */
export function setTooltip(item: TreeItemLike, tooltip: string): void {
  (item as TreeItemLike & { tooltip?: string }).tooltip = tooltip;
}

export interface TreeDataProviderLike<T> {
  onDidChangeTreeData?: Event<T | undefined | null | void>;
  getTreeItem(element: T): TreeItemLike | Thenable<TreeItemLike>;
  getChildren(element?: T): T[] | undefined | null | Thenable<T[] | undefined | null>;
}

export interface ConfigurationLike {
  get<T>(section: string): T | undefined;
}

export interface TestItemLike {
  readonly id: string;
  label: string;
  description?: string;
  readonly children: TestItemCollectionLike;
}

export interface TestItemCollectionLike {
  replace(items: readonly TestItemLike[]): void;
  get(id: string): TestItemLike | undefined;
  forEach(callback: (item: TestItemLike) => unknown): void;
}

export interface TestRunLike {
  started(test: TestItemLike): void;
  passed(test: TestItemLike, duration?: number): void;
  failed(test: TestItemLike, message: unknown, duration?: number): void;
  errored(test: TestItemLike, message: unknown, duration?: number): void;
  appendOutput(output: string): void;
  end(): void;
}

export interface TestRunRequestLike {
  readonly include: readonly TestItemLike[] | undefined;
  readonly exclude: readonly TestItemLike[] | undefined;
}

/** The Test Explorer's controller (vscode.TestController), as far as the extension uses it. */
export interface TestControllerLike {
  readonly items: TestItemCollectionLike;
  createTestItem(id: string, label: string, uri?: UriLike): TestItemLike;
  createRunProfile(
    label: string,
    kind: number,
    runHandler: (request: TestRunRequestLike, token: CancellationTokenLike) => Thenable<void> | void,
    isDefault?: boolean,
  ): Disposable;
  createTestRun(request: TestRunRequestLike, name?: string, persist?: boolean): TestRunLike;
  dispose(): void;
}

/** The subset of the `vscode` module the extension uses. */
export interface VscodeApi {
  window: {
    showQuickPick<T extends QuickPickItemLike>(items: readonly T[], options?: QuickPickOptionsLike): Thenable<T | undefined>;
    showInputBox(options?: InputBoxOptionsLike): Thenable<string | undefined>;
    showInformationMessage(message: string): Thenable<unknown>;
    showWarningMessage(message: string): Thenable<unknown>;
    showErrorMessage(message: string): Thenable<unknown>;
    withProgress<R>(
      options: ProgressOptionsLike,
      task: (progress: ProgressLike, token: CancellationTokenLike) => Thenable<R>,
    ): Thenable<R>;
    createOutputChannel(name: string): OutputChannelLike;
    registerTreeDataProvider<T>(viewId: string, provider: TreeDataProviderLike<T>): Disposable;
    showTextDocument(document: TextDocumentLike): Thenable<unknown>;
    createStatusBarItem(alignment?: number, priority?: number): StatusBarItemLike;
  };
  commands: {
    registerCommand(command: string, callback: (...args: any[]) => any): Disposable;
    /** Runs a command, e.g. vscode.diff. */
    executeCommand(command: string, ...rest: any[]): Thenable<unknown>;
  };
  workspace: {
    /** The open folders (vscode.workspace.workspaceFolders). */
    readonly workspaceFolders?: readonly { readonly uri: { readonly fsPath: string } }[];
    openTextDocument(options: { language?: string; content?: string }): Thenable<TextDocumentLike>;
    openTextDocument(uri: UriLike): Thenable<TextDocumentLike>;
    openTextDocument(path: string): Thenable<TextDocumentLike>;
    registerTextDocumentContentProvider(scheme: string, provider: TextDocumentContentProviderLike): Disposable;
    onDidSaveTextDocument(listener: (document: TextDocumentLike) => unknown): Disposable;
    getConfiguration(section?: string): ConfigurationLike;
    onDidChangeConfiguration(listener: (e: { affectsConfiguration(section: string): boolean }) => unknown): Disposable;
  };
  languages: {
    createDiagnosticCollection(name?: string): DiagnosticCollectionLike;
    registerCodeLensProvider(selector: { language: string; scheme?: string }, provider: CodeLensProviderLike): Disposable;
  };
  env: {
    clipboard: { writeText(value: string): Thenable<void> };
  };
  tests: {
    createTestController(id: string, label: string): TestControllerLike;
  };
  TestRunProfileKind: { readonly Run: number };
  // location is a Location made with Location below (typed any for the
  // same reason as Diagnostic's range).
  TestMessage: new (message: string) => { message: unknown; location?: any };
  Location: new (uri: any, range: any) => unknown;
  Uri: {
    file(path: string): UriLike;
    parse(value: string): UriLike;
  };
  Range: new (startLine: number, startCharacter: number, endLine: number, endCharacter: number) => RangeLike;
  // range is one made with Range above; typed any because the host's
  // constructors take its own Range class, wider than RangeLike.
  Diagnostic: new (range: any, message: string, severity?: number) => DiagnosticLike;
  DiagnosticSeverity: { readonly Error: number; readonly Warning: number; readonly Information: number };
  CodeLens: new (range: any, command?: CommandLike) => CodeLensLike;
  StatusBarAlignment: { readonly Left: number };
  EventEmitter: new <T>() => EventEmitterLike<T>;
  TreeItem: new (label: string, collapsibleState?: number) => TreeItemLike;
  TreeItemCollapsibleState: { readonly None: number; readonly Collapsed: number; readonly Expanded: number };
  ProgressLocation: { readonly Notification: number };
}
