import * as path from 'node:path';
import type { CheckFinding, ConnectorMethods, SourceMethod } from '@switchboard/client';

import type { CancellationTokenLike, CodeLensLike, CodeLensProviderLike, EventEmitterLike, TextDocumentLike, VscodeApi } from './api';

/** What a lens's command gets: the provider and resource of the method under it. */
export interface LensTarget {
  kind: 'lens';
  provider: string;
  resource?: string;
  capability: string;
}

/** The lenses above one method: title and command, in order. */
export function lensesFor(m: SourceMethod): Array<{ title: string; command: string }> {
  if (m.resource) {
    return [
      { title: 'Fetch next page', command: 'switchboard.fetchNext' },
      { title: 'Fetch all', command: 'switchboard.fetchAll' },
      { title: 'Reset state', command: 'switchboard.resetState' },
    ];
  }
  switch (m.capability) {
    case 'create:transfer':
      return [{ title: 'Create transfer', command: 'switchboard.createTransfer' }];
    case 'create:payout':
      return [{ title: 'Create payout', command: 'switchboard.createPayout' }];
  }
  return [];
}

/**
 * CodeLens above each fetch and initiation method of the workspace
 * connectors, from the daemon's connectors/methods (it parses the Go files;
 * no language server needed). Replay lenses wait for recordings.
 */
export class SourceLenses implements CodeLensProviderLike {
  private byFile = new Map<string, { provider: string; methods: SourceMethod[] }>();
  private readonly emitter: EventEmitterLike<void>;
  readonly onDidChangeCodeLenses;

  constructor(private readonly vscode: VscodeApi) {
    this.emitter = new vscode.EventEmitter<void>();
    this.onDidChangeCodeLenses = this.emitter.event;
  }

  /** Replaces what is known with a connectors/methods result. */
  set(connectors: ConnectorMethods[]): void {
    const m = new Map<string, { provider: string; methods: SourceMethod[] }>();
    for (const c of connectors) {
      if (!c.provider) continue; // never built: nothing to run yet
      for (const x of c.methods) {
        const f = path.resolve(x.file);
        const e = m.get(f) ?? { provider: c.provider, methods: [] };
        e.methods.push(x);
        m.set(f, e);
      }
    }
    this.byFile = m;
    this.emitter.fire();
  }

  /** The fetch method of a provider's resource, for check findings. */
  methodOf(provider: string, resource: string): SourceMethod | undefined {
    for (const e of this.byFile.values()) {
      if (e.provider !== provider) continue;
      const m = e.methods.find((x) => x.resource === resource);
      if (m) return m;
    }
    return undefined;
  }

  /** Whether a file belongs to a workspace connector's directory. */
  knows(file: string): boolean {
    return this.byFile.has(path.resolve(file));
  }

  provideCodeLenses(doc: TextDocumentLike, _token?: CancellationTokenLike): CodeLensLike[] {
    const e = this.byFile.get(path.resolve(doc.uri.fsPath));
    if (!e) return [];
    const out: CodeLensLike[] = [];
    for (const m of e.methods) {
      const range = new this.vscode.Range(m.line - 1, 0, m.line - 1, 0);
      const target: LensTarget = { kind: 'lens', provider: e.provider, resource: m.resource, capability: m.capability };
      for (const l of lensesFor(m)) out.push(new this.vscode.CodeLens(range, { title: l.title, command: l.command, arguments: [target] }));
    }
    return out;
  }
}

/** A check finding's resource without its "#name" task suffix. */
export function findingResource(f: CheckFinding): string {
  const i = f.resource.indexOf('#');
  return i < 0 ? f.resource : f.resource.slice(0, i);
}
