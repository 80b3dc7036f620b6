import type { Disposable, TextDocumentContentProviderLike, UriLike, VscodeApi } from './api';

/** The URI scheme of the extension's read-only documents. */
export const DocScheme = 'switchboard';

/**
 * Read-only JSON documents (pages, items, HTTP exchanges, states) under the
 * switchboard: scheme. VS Code opens them like files, offers no save, and
 * the diff editor compares two of them. A path's content never changes
 * (VS Code caches what it showed): callers put new content at new paths.
 */
export class JsonDocs implements TextDocumentContentProviderLike {
  private readonly contents = new Map<string, string>();

  constructor(private readonly vscode: VscodeApi) {}

  register(): Disposable {
    return this.vscode.workspace.registerTextDocumentContentProvider(DocScheme, this);
  }

  provideTextDocumentContent(uri: UriLike): string | undefined {
    return this.contents.get(uri.path);
  }

  /** Sets the document at path (e.g. /sessions/ID/page-3.json) to v as JSON; returns its URI. */
  put(path: string, v: unknown): UriLike {
    const uri = this.vscode.Uri.parse(`${DocScheme}:${path}`);
    this.contents.set(uri.path, JSON.stringify(v, null, 2) + '\n');
    return uri;
  }

  /** Opens v as a read-only JSON document in an editor. */
  async show(path: string, v: unknown): Promise<UriLike> {
    const uri = this.put(path, v);
    const doc = await this.vscode.workspace.openTextDocument(uri);
    await this.vscode.window.showTextDocument(doc);
    return uri;
  }

  /** Opens the diff editor on two values. */
  async diff(left: { path: string; value: unknown }, right: { path: string; value: unknown }, title: string): Promise<void> {
    const l = this.put(left.path, left.value);
    const r = this.put(right.path, right.value);
    await this.vscode.commands.executeCommand('vscode.diff', l, r, title);
  }
}

/** A path segment safe in a URI path. */
export function seg(s: string): string {
  return encodeURIComponent(s).replace(/%/g, '_');
}
