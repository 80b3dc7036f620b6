import * as path from 'node:path';
import type { CheckFinding, Diagnostic as BuildDiagnostic, WorkspaceConnector } from '@switchboard/client';

import type { DiagnosticCollectionLike, DiagnosticLike, VscodeApi } from './api';
import { SourceLenses, findingResource } from './lenses';

/**
 * The Problems of the workspace connectors: the compiler's messages of a
 * failed build (connectors/list, provider/buildFailed), and the findings of
 * the pagination check (connector/check) on the fetch method they concern.
 */
export class ConnectorProblems {
  private readonly build: DiagnosticCollectionLike;
  private readonly check: DiagnosticCollectionLike;
  private readonly buildFiles = new Map<string, Set<string>>(); // by connector dir
  private readonly checkFiles = new Map<string, Set<string>>(); // by provider

  constructor(
    private readonly vscode: VscodeApi,
    private readonly lenses: SourceLenses,
  ) {
    this.build = vscode.languages.createDiagnosticCollection('switchboard-build');
    this.check = vscode.languages.createDiagnosticCollection('switchboard-check');
  }

  /**
   * Shows a connector's last build messages (none after a good build). A
   * failed build without a message on a line (go could not run, the new
   * process would not start) shows its output on the first line of go.mod.
   */
  setBuild(dir: string, diags: BuildDiagnostic[], output?: string): void {
    const byFile = new Map<string, DiagnosticLike[]>();
    if (diags.length === 0 && output?.trim()) {
      const x = new this.vscode.Diagnostic(new this.vscode.Range(0, 0, 0, 1), `build failed: ${output.trim()}`, this.vscode.DiagnosticSeverity.Error);
      x.source = 'switchboard';
      byFile.set(path.join(dir, 'go.mod'), [x]);
    }
    for (const d of diags) {
      const file = path.isAbsolute(d.file) ? d.file : path.join(dir, d.file);
      const line = Math.max(0, d.line - 1);
      const col = Math.max(0, d.column - 1);
      const x = new this.vscode.Diagnostic(new this.vscode.Range(line, col, line, col + 1), d.message, this.vscode.DiagnosticSeverity.Error);
      x.source = 'go build';
      byFile.set(file, [...(byFile.get(file) ?? []), x]);
    }
    this.replace(this.build, this.buildFiles, dir, byFile);
  }

  setConnectors(list: WorkspaceConnector[]): void {
    for (const c of list) {
      const failed = c.lastBuild && !c.lastBuild.ok;
      this.setBuild(c.dir, failed ? c.diagnostics : [], failed ? c.lastBuild?.output : undefined);
    }
  }

  /**
   * Shows the findings of a check of provider on the line of the fetch
   * method of each finding's resource; a finding whose method is not in
   * the workspace is returned (the caller reports it elsewhere).
   */
  setCheck(provider: string, findings: CheckFinding[]): CheckFinding[] {
    const byFile = new Map<string, DiagnosticLike[]>();
    const unplaced: CheckFinding[] = [];
    for (const f of findings) {
      const m = this.lenses.methodOf(provider, findingResource(f));
      if (!m) {
        unplaced.push(f);
        continue;
      }
      const sev = f.warning ? this.vscode.DiagnosticSeverity.Warning : this.vscode.DiagnosticSeverity.Error;
      const msg = `${f.resource} ${f.check} (page size ${f.pageSize}${f.parent ? `, parent ${f.parent}` : ''}): ${f.message}\nfrom state ${JSON.stringify(f.state)}`;
      const x = new this.vscode.Diagnostic(new this.vscode.Range(m.line - 1, 0, m.line - 1, 200), msg, sev);
      x.source = 'switchboard check';
      byFile.set(m.file, [...(byFile.get(m.file) ?? []), x]);
    }
    this.replace(this.check, this.checkFiles, provider, byFile);
    return unplaced;
  }

  private replace(coll: DiagnosticCollectionLike, owned: Map<string, Set<string>>, owner: string, byFile: Map<string, DiagnosticLike[]>): void {
    for (const f of owned.get(owner) ?? []) if (!byFile.has(f)) coll.set(this.vscode.Uri.file(f), undefined);
    for (const [f, ds] of byFile) coll.set(this.vscode.Uri.file(f), ds);
    owned.set(owner, new Set(byFile.keys()));
  }

  dispose(): void {
    this.build.dispose();
    this.check.dispose();
  }
}
