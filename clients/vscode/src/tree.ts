import { EventEmitterLike, TreeDataProviderLike, TreeItemLike, VscodeApi, setTooltip } from './api';
import { SessionStore, resourceTotals, sessionResources } from './model';
import { exchangeLabel, plural, short } from './format';

/** A node of the Sessions tree. */
export type Node =
  | { kind: 'session'; sessionId: string }
  | { kind: 'resource'; sessionId: string; resource: string }
  | { kind: 'page'; sessionId: string; resource: string; seq: number }
  | { kind: 'exchanges'; sessionId: string }
  | { kind: 'exchange'; sessionId: string; id: string };

/**
 * The Sessions tree: session, then its resources (state, page and item
 * counts), then each resource's last pages; and the session's recent HTTP
 * exchanges.
 */
export class SessionsTree implements TreeDataProviderLike<Node> {
  private readonly emitter: EventEmitterLike<Node | undefined>;
  readonly onDidChangeTreeData;

  constructor(
    private readonly vscode: VscodeApi,
    private readonly store: SessionStore,
  ) {
    this.emitter = new vscode.EventEmitter<Node | undefined>();
    this.onDidChangeTreeData = this.emitter.event;
    store.onChange(() => this.emitter.fire(undefined));
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getChildren(element?: Node): Node[] {
    if (!element) {
      return this.store.list().map((s) => ({ kind: 'session', sessionId: s.session.id }));
    }
    const st = this.store.get(element.sessionId);
    if (!st) return [];
    switch (element.kind) {
      case 'session': {
        const out: Node[] = sessionResources(st.session).map((resource) => ({ kind: 'resource', sessionId: element.sessionId, resource }));
        if (st.exchanges.length > 0) out.push({ kind: 'exchanges', sessionId: element.sessionId });
        return out;
      }
      case 'resource':
        return (st.pages.get(element.resource) ?? [])
          .slice()
          .reverse()
          .map((r) => ({ kind: 'page', sessionId: element.sessionId, resource: element.resource, seq: r.seq }));
      case 'exchanges':
        return st.exchanges
          .slice()
          .reverse()
          .map((x) => ({ kind: 'exchange', sessionId: element.sessionId, id: x.id }));
    }
    return [];
  }

  getTreeItem(n: Node): TreeItemLike {
    const { TreeItem, TreeItemCollapsibleState: C } = this.vscode;
    const st = this.store.get(n.sessionId);
    switch (n.kind) {
      case 'session': {
        const s = st?.session;
        const item = new TreeItem(s?.name || s?.provider || n.sessionId, C.Expanded);
        item.id = `session:${n.sessionId}`;
        item.description = s ? `${s.provider} · ${n.sessionId.slice(0, 8)}` : '';
        setTooltip(item, s ? `${s.provider} session ${s.id}\npage size ${s.pageSize}\nconfig ${short(s.config, 500)}` : n.sessionId);
        item.contextValue = 'session';
        return item;
      }
      case 'resource': {
        const hasPages = (st?.pages.get(n.resource)?.length ?? 0) > 0;
        const item = new TreeItem(n.resource, hasPages ? C.Collapsed : C.None);
        item.id = `resource:${n.sessionId}:${n.resource}`;
        if (st) {
          const t = resourceTotals(st, n.resource);
          item.description =
            t.keys === 0
              ? 'not fetched'
              : `${plural(t.pages, 'page')} · ${plural(t.items, 'item')} · ${t.hasMore ? 'more' : 'done'}` + (t.keys > 1 ? ` · ${t.keys} keys` : '');
          const entries = st.states.filter((e) => e.resource === n.resource);
          setTooltip(item, entries.length ? entries.map((e) => `${e.key}: ${short(e.state, 300)}`).join('\n') : 'no state yet');
        }
        item.contextValue = 'resource';
        return item;
      }
      case 'page': {
        const rec = this.store.findPage(n.sessionId, n.seq);
        const p = rec?.page;
        const item = new TreeItem(p ? `page ${p.page}` + (p.key !== p.resource ? ` · ${p.key}` : '') : 'page', C.None);
        item.id = `page:${n.sessionId}:${n.seq}`;
        if (p) {
          item.description = `${plural(p.itemCount, 'item')} · ${Math.round(p.durationMs)} ms` + (p.hasMore ? '' : ' · last');
          setTooltip(item, `new state: ${short(p.newState, 500)}` + (rec?.task ? `\ntask ${rec.task}` : ''));
        }
        item.contextValue = 'page';
        item.command = { command: 'switchboard.openPage', title: 'Open Page as JSON', arguments: [n] };
        return item;
      }
      case 'exchanges': {
        const item = new TreeItem('HTTP exchanges', C.Collapsed);
        item.id = `exchanges:${n.sessionId}`;
        item.description = `${st?.exchanges.length ?? 0} recent`;
        item.contextValue = 'exchanges';
        return item;
      }
      case 'exchange': {
        const x = st?.exchanges.find((e) => e.id === n.id);
        const item = new TreeItem(x ? exchangeLabel(x) : n.id, C.None);
        item.id = `exchange:${n.sessionId}:${n.id}`;
        item.description = x ? `${x.response?.status ?? x.error ?? ''} · ${Math.round(x.durationMs)} ms` : '';
        item.contextValue = 'exchange';
        item.command = { command: 'switchboard.openExchange', title: 'Open HTTP Exchange as JSON', arguments: [n] };
        return item;
      }
    }
  }
}
