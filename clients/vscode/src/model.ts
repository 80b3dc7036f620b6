import type { FetchPageParams, HTTPExchangeParams, Page, Session, StateEntry } from '@switchboard/client';

/** How many recent pages a resource keeps, and HTTP exchanges a session keeps. */
export const MaxPages = 10;
export const MaxExchanges = 50;

/** A page as the tree keeps it. */
export interface PageRecord {
  seq: number;
  page: Page;
  task?: string;
  /** The state the page was fetched from, as the extension knew it (null: the beginning). */
  before?: unknown;
}

/** What the extension knows of one session. */
export interface SessionState {
  session: Session;
  states: StateEntry[];
  /** Recent pages by resource, oldest first. */
  pages: Map<string, PageRecord[]>;
  /** Recent HTTP exchanges, oldest first. */
  exchanges: HTTPExchangeParams[];
}

/** The resources a session can fetch, from its fetch:* capabilities, in sync order. */
export function sessionResources(s: Session): string[] {
  const order = ['accounts', 'balances', 'externalAccounts', 'payments', 'others', 'orders', 'conversions'];
  const caps = new Set(s.capabilities ?? []);
  return order.filter((r) => caps.has(`fetch:${r}`));
}

/** Totals of the state entries of one resource (a child resource has one entry per parent). */
export function resourceTotals(st: SessionState, resource: string): { keys: number; pages: number; items: number; hasMore: boolean } {
  const entries = st.states.filter((e) => e.resource === resource);
  return {
    keys: entries.length,
    pages: entries.reduce((n, e) => n + e.pages, 0),
    items: entries.reduce((n, e) => n + e.items, 0),
    hasMore: entries.some((e) => e.hasMore),
  };
}

/**
 * The sessions the extension shows, updated from requests' results and the
 * daemon's notifications. Listeners are told after every change.
 */
export class SessionStore {
  private readonly sessions = new Map<string, SessionState>();
  private readonly listeners: Array<() => void> = [];
  private seq = 0;

  onChange(listener: () => void): { dispose(): void } {
    this.listeners.push(listener);
    return {
      dispose: () => {
        const i = this.listeners.indexOf(listener);
        if (i >= 0) this.listeners.splice(i, 1);
      },
    };
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  list(): SessionState[] {
    return [...this.sessions.values()];
  }

  get(id: string): SessionState | undefined {
    return this.sessions.get(id);
  }

  /** Adds or updates a session, keeping what is known of its pages. */
  upsert(session: Session, states?: StateEntry[]): SessionState {
    let st = this.sessions.get(session.id);
    if (!st) {
      st = { session, states: states ?? [], pages: new Map(), exchanges: [] };
      this.sessions.set(session.id, st);
    } else {
      st.session = session;
      if (states) st.states = states;
    }
    this.changed();
    return st;
  }

  setStates(sessionId: string, states: StateEntry[]): void {
    const st = this.sessions.get(sessionId);
    if (!st) return;
    st.states = states;
    this.changed();
  }

  remove(sessionId: string): void {
    if (this.sessions.delete(sessionId)) this.changed();
  }

  /** Replaces the whole list (after session/list), keeping what is known of sessions still there. */
  replaceAll(sessions: Session[]): void {
    const keep = new Set(sessions.map((s) => s.id));
    for (const id of [...this.sessions.keys()]) if (!keep.has(id)) this.sessions.delete(id);
    for (const s of sessions) {
      const st = this.sessions.get(s.id);
      if (st) st.session = s;
      else this.sessions.set(s.id, { session: s, states: [], pages: new Map(), exchanges: [] });
    }
    this.changed();
  }

  /** Records a fetch/page notification (or a fetch/next result). */
  addPage(n: FetchPageParams): PageRecord | undefined {
    const st = this.sessions.get(n.sessionId);
    if (!st) return undefined;
    const p = n.page;
    const list = st.pages.get(p.resource) ?? [];
    // A fetch/next result and its notification are the same page: keep one,
    // with the items if either has them (a notification may come without).
    const dup = list.find((r) => r.page.key === p.key && r.page.page === p.page && sameState(r.page, p));
    if (dup) {
      if (dup.page.items === undefined && p.items !== undefined) {
        dup.page = p;
        this.changed();
      }
      return undefined;
    }
    const known = st.states.find((x) => x.key === p.key && x.resource === p.resource);
    const rec: PageRecord = { seq: ++this.seq, page: p, task: n.task, before: p.page === 1 ? null : (known?.state ?? null) };
    list.push(rec);
    if (list.length > MaxPages) list.splice(0, list.length - MaxPages);
    st.pages.set(p.resource, list);
    // Keep the counts in step without a state/get round trip.
    const e = st.states.find((x) => x.key === p.key && x.resource === p.resource);
    if (e) {
      if (p.page > e.pages || p.page === 1) {
        e.items = p.page === 1 ? p.itemCount : e.items + p.itemCount;
        e.pages = p.page;
      }
      e.hasMore = p.hasMore;
      e.state = p.newState;
    } else {
      st.states.push({
        resource: p.resource,
        key: p.key,
        state: p.newState,
        hasMore: p.hasMore,
        pages: p.page,
        items: p.itemCount,
        updatedAt: new Date().toISOString(),
      });
    }
    this.changed();
    return rec;
  }

  addExchange(x: HTTPExchangeParams): void {
    const st = this.sessions.get(x.sessionId);
    if (!st) return;
    st.exchanges.push(x);
    if (st.exchanges.length > MaxExchanges) st.exchanges.splice(0, st.exchanges.length - MaxExchanges);
    this.changed();
  }

  /** Forgets the pages of one resource, or of all, after a reset. */
  clearPages(sessionId: string, resource?: string): void {
    const st = this.sessions.get(sessionId);
    if (!st) return;
    if (resource) st.pages.delete(resource);
    else st.pages.clear();
    this.changed();
  }

  findPage(sessionId: string, seq: number): PageRecord | undefined {
    const st = this.sessions.get(sessionId);
    if (!st) return undefined;
    for (const list of st.pages.values()) {
      const r = list.find((p) => p.seq === seq);
      if (r) return r;
    }
    return undefined;
  }
}

function sameState(a: Page, b: Page): boolean {
  return JSON.stringify(a.newState) === JSON.stringify(b.newState);
}
