// Switchboard console: one page over the daemon's JSON-RPC websocket.

import { RPCClient, RPCError, CodeMethodNotFound, CodeRequestCancelled } from './rpc.js';
import { Methods, Notifications, ClientNotifications } from './protocol.js';
import { h, replace, $ } from './dom.js';
import { formatAmount, parseAsset, formatTime, clock, formatDuration, formatCount, prettyJSON } from './format.js';
import { configForm } from './schema-form.js';
import { renderRecordings, onDrift } from './recordings.js';
import { drawFaults } from './faults.js';

const RESOURCES = ['accounts', 'balances', 'externalAccounts', 'payments', 'others', 'orders', 'conversions'];
const RESOURCE_LABELS = {
  accounts: 'Accounts', balances: 'Balances', externalAccounts: 'External accounts', payments: 'Payments', others: 'Others',
  orders: 'Orders', conversions: 'Conversions',
};
const MAX_ITEMS = 50000; // kept in memory per resource and session
const SHOW_STEP = 500; // rows rendered at a time
const MAX_HTTP = 500;
const MAX_LOGS = 2000;
const TOKEN_KEY = 'switchboard.token';

const app = {
  rpc: null,
  connected: false,
  server: null, // InitializeResult
  methods: new Set(),
  providers: [],
  sessions: new Map(), // id -> Session
  current: null, // session id
  tab: 'payments',
  panel: 'state',
  views: new Map(), // session id -> per-session view data
  tokenSeq: 1,
  logs: [],
  item: null,
};

// ---------------------------------------------------------------------------
// Per-session data

function view(sessionId) {
  let v = app.views.get(sessionId);
  if (!v) {
    v = {
      resources: Object.fromEntries(RESOURCES.map((r) => [r, newTable()])),
      op: null, // the running request: {id, kind, title, message, percentage, token, pages, items, cancelling}
      result: null, // {kind: ok|error|cancelled, text, details}
      states: null,
      stateSelected: null,
      stateDirty: false,
      http: [],
      httpOpen: new Set(),
      loaded: false,
    };
    app.views.set(sessionId, v);
  }
  return v;
}

function newTable() {
  return { rows: [], index: new Map(), stored: null, shown: SHOW_STEP, dropped: 0 };
}

function itemKey(resource, it) {
  if (!it || typeof it !== 'object') return JSON.stringify(it);
  switch (resource) {
    case 'balances': return `${it.accountReference}|${it.asset}`;
    case 'others': return String(it.id);
    default: return String(it.reference);
  }
}

/** Adds items to a session's table; returns the rows added or changed. */
function addItems(sessionId, resource, items) {
  if (!RESOURCES.includes(resource) || !Array.isArray(items)) return;
  const t = view(sessionId).resources[resource];
  const changed = [];
  for (const it of items) {
    const k = itemKey(resource, it);
    const at = t.index.get(k);
    if (at !== undefined) {
      t.rows[at] = it;
      changed.push({ at, it });
      continue;
    }
    if (t.rows.length >= MAX_ITEMS) { t.dropped++; continue; }
    t.index.set(k, t.rows.length);
    t.rows.push(it);
    changed.push({ at: t.rows.length - 1, it });
  }
  if (sessionId === app.current) {
    if (resource === app.tab) renderRows(changed);
    updateTabCounts();
  }
}

/**
 * Applies a payments page's deletions and cancellations to the session's
 * payments table, as the daemon applied them to its store.
 */
function removePayments(sessionId, deleted, cancelled) {
  const t = view(sessionId).resources.payments;
  let touched = false;
  for (const ref of cancelled || []) {
    const at = t.index.get(String(ref));
    if (at === undefined) continue;
    t.rows[at] = Object.assign({}, t.rows[at], { status: 'CANCELLED' });
    touched = true;
  }
  const gone = new Set((deleted || []).map(String).filter((r) => t.index.has(r)));
  if (gone.size) {
    t.rows = t.rows.filter((it) => !gone.has(itemKey('payments', it)));
    t.index = new Map(t.rows.map((it, i) => [itemKey('payments', it), i]));
    touched = true;
  }
  if (touched && sessionId === app.current) {
    if (app.tab === 'payments') renderTable();
    updateTabCounts();
  }
}

// ---------------------------------------------------------------------------
// Connection

function wsURL(token) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/rpc?token=${encodeURIComponent(token)}`;
}

function takeToken() {
  const params = new URLSearchParams(location.search);
  const fromURL = params.get('token');
  if (fromURL) {
    sessionStorage.setItem(TOKEN_KEY, fromURL);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

let retryTimer = null;
let retryDelay = 1000;

async function connect() {
  clearTimeout(retryTimer);
  const token = takeToken();
  if (!token) { askToken('Open the browser URL printed by switchboard serve, or paste its token.'); return; }
  setConn('connecting');
  const rpc = new RPCClient(wsURL(token));
  try {
    await rpc.open();
  } catch (e) {
    setConn('offline');
    if (app.server) { scheduleRetry(); return; } // was connected before: the daemon went away
    askToken(e.message);
    return;
  }
  app.rpc = rpc;
  rpc.onclose = () => {
    app.connected = false;
    setConn('offline');
    for (const v of app.views.values()) {
      if (v.op) { v.op = null; v.result = { kind: 'error', text: 'Connection lost while the request ran' }; }
    }
    renderSessionView();
    showBanner('Disconnected from the daemon. Retrying…', 'Reconnect now', () => connect());
    scheduleRetry();
  };
  wireNotifications(rpc);
  try {
    app.server = await rpc.request('initialize', {
      clientInfo: { name: 'switchboard-web', version: '1' },
      capabilities: { workDoneProgress: true },
    });
    rpc.notify(ClientNotifications.Initialized, {});
  } catch (e) {
    showBanner(`initialize failed: ${errText(e)}`);
    return;
  }
  app.connected = true;
  retryDelay = 1000;
  app.methods = new Set(app.server.capabilities?.methods || []);
  setConn('online');
  hideBanner();
  replace($('#server-info'), `${app.server.serverInfo?.name || 'switchboard'} ${app.server.serverInfo?.version || ''}`, h('br'), `protocol ${app.server.protocolVersion}`);
  await Promise.all([loadProviders(), loadSessions()]);
  if (app.current && app.sessions.has(app.current)) openSession(app.current, { reload: true });
  else if (!app.current && app.sessions.size > 0) openSession([...app.sessions.keys()][0]);
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 10000);
}

function setConn(state) {
  const el = $('#conn');
  el.dataset.state = state;
  el.textContent = state;
  el.title = { online: 'Connected', offline: 'Not connected', connecting: 'Connecting' }[state] || state;
  const can = state === 'online';
  $('#new-session').disabled = !can;
  $('#empty-new').disabled = !can;
}

function askToken(reason) {
  const d = $('#token-dialog');
  $('#token-reason').textContent = reason || '';
  $('#token-input').value = '';
  if (!d.open) d.showModal();
}

function showBanner(text, action, fn) {
  const b = $('#banner');
  replace(b, h('span', text), action ? h('button.btn.small', { type: 'button', onclick: fn }, action) : null);
  b.hidden = false;
}
function hideBanner() { $('#banner').hidden = true; }

function errText(e) {
  if (e instanceof RPCError) return `${e.message} (${e.code})`;
  return String(e && e.message || e);
}

// ---------------------------------------------------------------------------
// Notifications

function wireNotifications(rpc) {
  rpc.on(Notifications.FetchPage, (p) => {
    if (!p || !p.page) return;
    const sid = p.sessionId || p.page.sessionId;
    addItems(sid, p.page.resource, p.page.items);
    if (p.page.deleted || p.page.cancelled) removePayments(sid, p.page.deleted, p.page.cancelled);
    if (sid === app.current) throttleStateRefresh();
    const v = view(sid);
    if (v.op && v.op.counting) {
      v.op.pages++;
      v.op.items += p.page.itemCount ?? (Array.isArray(p.page.items) ? p.page.items.length : 0);
      if (sid === app.current) renderProgress();
    }
  });
  rpc.on(Notifications.Progress, (p) => {
    if (!p) return;
    for (const [sid, v] of app.views) {
      if (!v.op || v.op.token !== p.token) continue;
      const val = p.value || {};
      if (val.kind === 'begin') { v.op.title = val.title || v.op.title; v.op.cancellable = val.cancellable !== false; }
      if (val.message) v.op.message = val.message;
      if (typeof val.percentage === 'number') v.op.percentage = val.percentage;
      if (val.kind === 'end') v.op.ended = true;
      if (sid === app.current) renderProgress();
    }
  });
  rpc.on(Notifications.RecordingDrift, (p) => onDrift(p, () => { if (app.panel === 'recordings') renderRecordingsPanel(); }));
  rpc.on(Notifications.SessionChanged, (p) => {
    if (!p || !p.session) return;
    const s = p.session;
    if (String(p.reason).startsWith('unsubscribed')) {
      // The daemon dropped this connection's subscription (its queue
      // overflowed): notifications were lost. Subscribe again.
      noteLog('warn', `Missed notifications of session ${s.id.slice(0, 8)} (${p.reason}); subscribing again`, s.id);
      if (app.sessions.has(s.id)) app.rpc.request(Methods.SessionSubscribe, { sessionId: s.id }).catch(() => {});
      return;
    }
    if (p.reason === 'closed') {
      app.sessions.delete(s.id);
      app.views.delete(s.id);
      if (app.current === s.id) { app.current = null; renderSessionView(); }
    } else {
      const isNew = !app.sessions.has(s.id);
      app.sessions.set(s.id, s);
      if (isNew) app.rpc.request(Methods.SessionSubscribe, { sessionId: s.id }).catch(() => {});
      if (p.reason === 'reset' || p.reason === 'state') {
        if (s.id === app.current) scheduleStateRefresh();
      }
      if (s.id === app.current) renderHeader();
      if (s.id === app.current && app.panel === 'recordings') renderRecordingsPanel();
    }
    renderSessions();
  });
  rpc.on(Notifications.Log, (p) => { if (p) addLog(p); });
  rpc.on(Notifications.HTTPExchange, (p) => {
    if (!p || !p.sessionId) return;
    addExchanges(p.sessionId, [p]);
  });
}

/** A log line of the console itself, shown with the daemon's. */
function noteLog(level, message, sessionId) {
  addLog({ level, message, sessionId, time: new Date().toISOString(), fields: { source: 'console' } });
}

function addLog(p) {
  app.logs.push(p);
  if (app.logs.length > MAX_LOGS) app.logs.splice(0, app.logs.length - MAX_LOGS);
  if (!p.sessionId || p.sessionId === app.current) {
    updatePanelCounts();
    if (app.panel === 'logs') appendLog(p);
  }
}

// ---------------------------------------------------------------------------
// Providers and sessions

async function loadProviders() {
  try {
    const r = await app.rpc.request(Methods.ProvidersList, {});
    app.providers = r.providers || [];
  } catch (e) {
    app.providers = [];
    showBanner(`providers/list failed: ${errText(e)}`);
  }
  renderProviders();
}

function renderProviders() {
  const ul = $('#providers');
  replace(ul, app.providers.map((p) => h('li',
    h('button.provider', { type: 'button', title: `New ${p.name} session`, onclick: () => openNewSession(p.name), dataset: { provider: p.name } },
      h('span.provider-name', p.name),
      h('span.provider-desc', p.description || ''),
      h('span.caps.small', (p.capabilities || []).map((c) => h('span.cap', { title: c }, c)))))));
  if (app.providers.length === 0) ul.append(h('li.muted.pad', 'No providers registered.'));
}

async function loadSessions() {
  try {
    const r = await app.rpc.request(Methods.SessionList, {});
    app.sessions = new Map((r.sessions || []).map((s) => [s.id, s]));
  } catch (e) {
    showBanner(`session/list failed: ${errText(e)}`);
  }
  renderSessions();
  await Promise.all([...app.sessions.keys()].map((id) => app.rpc.request(Methods.SessionSubscribe, { sessionId: id }).catch(() => {})));
}

function renderSessions() {
  const ul = $('#sessions');
  const list = [...app.sessions.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  $('#session-count').textContent = list.length ? String(list.length) : '';
  replace(ul, list.map((s) => {
    const v = app.views.get(s.id);
    return h('li', h('button.session-item', {
      type: 'button', 'aria-current': s.id === app.current ? 'page' : null,
      dataset: { sessionId: s.id }, onclick: () => openSession(s.id),
    },
    h('span.session-name', s.name || s.id.slice(0, 8)),
    v && v.op ? h('span.running-dot', { title: 'running' }) : null,
    h('span.session-sub', `${s.provider} · ${s.id.slice(0, 8)}`)));
  }));
  if (list.length === 0) ul.append(h('li.muted.pad', 'No sessions yet.'));
}

async function openSession(id, { reload = false } = {}) {
  const s = app.sessions.get(id);
  if (!s) return;
  app.current = id;
  const v = view(id);
  const caps = resourcesOf(s);
  if (!caps.includes(app.tab)) app.tab = caps.includes('payments') ? 'payments' : (caps[0] || 'payments');
  $('#page-size').value = '';
  renderSessions();
  renderSessionView();
  if (!v.loaded || reload) {
    v.loaded = true;
    refreshState();
    if (app.methods.has(Methods.DataList)) loadStored(id, caps);
    if (app.methods.has(Methods.HTTPList)) loadHTTP(id);
    if (app.methods.has(Methods.LogList)) loadLogs(id);
  }
}

function resourcesOf(s) {
  const caps = new Set(s.capabilities || []);
  return RESOURCES.filter((r) => caps.has('fetch:' + r));
}

/** Shows what the store already holds for the session (newest first). */
async function loadStored(id, resources) {
  await Promise.all(resources.map(async (r) => {
    try {
      const res = await app.rpc.request(Methods.DataList, { sessionId: id, resource: r, limit: 200 });
      view(id).resources[r].stored = res.total;
      addItems(id, r, res.items || []);
    } catch (e) {
      if (!(e instanceof RPCError)) throw e;
    }
  }));
  if (id === app.current) renderTable();
}

async function loadHTTP(id) {
  try {
    const res = await app.rpc.request(Methods.HTTPList, { sessionId: id, limit: 200 });
    addExchanges(id, res.exchanges || []);
  } catch (e) {
    if (e instanceof RPCError && e.code === CodeMethodNotFound) return;
    console.warn(Methods.HTTPList, e);
  }
}

/** Shows the session's recent log lines the daemon kept (log/list). */
async function loadLogs(id) {
  try {
    const res = await app.rpc.request(Methods.LogList, { sessionId: id, limit: 200 });
    const have = new Set(app.logs.map((l) => `${l.time}|${l.message}`));
    for (const l of res.logs || []) {
      const entry = { ...l, sessionId: l.sessionId || id };
      if (!have.has(`${entry.time}|${entry.message}`)) app.logs.push(entry);
    }
    app.logs.sort((a, b) => String(a.time).localeCompare(String(b.time)));
    if (id === app.current) { updatePanelCounts(); if (app.panel === 'logs') renderLogs(); }
  } catch (e) {
    if (e instanceof RPCError && e.code === CodeMethodNotFound) return;
    console.warn(Methods.LogList, e);
  }
}

// ---------------------------------------------------------------------------
// Session view

function currentSession() { return app.current ? app.sessions.get(app.current) : null; }

function renderSessionView() {
  const s = currentSession();
  $('#empty').hidden = !!s;
  $('#session-view').hidden = !s;
  if (!s) { renderPanel(); return; }
  renderHeader();
  renderTabs();
  renderTable();
  renderProgress();
  renderResult();
  renderPanel();
}

function renderHeader() {
  const s = currentSession();
  if (!s) return;
  $('#s-name').textContent = s.name || s.id;
  $('#s-provider').textContent = s.provider;
  const cfg = s.config && typeof s.config === 'object' ? Object.entries(s.config) : [];
  replace($('#s-meta'),
    h('span', h('span.k', 'id '), h('code', s.id)),
    h('span', h('span.k', 'created '), formatTime(s.createdAt)),
    h('span', h('span.k', 'page size '), String(s.pageSize)),
    cfg.length ? h('span', h('span.k', 'config '), h('code', cfg.map(([k, val]) => `${k}=${typeof val === 'string' ? val : JSON.stringify(val)}`).join(' '))) : null);
  replace($('#s-caps'), (s.capabilities || []).map((c) => h('span.cap', c)));
  renderPayButtons();
  $('#page-size').placeholder = String(s.pageSize || '');
}

function renderTabs() {
  const s = currentSession();
  const nav = $('#tabs');
  replace(nav, resourcesOf(s).map((r) => h('button.tab', {
    type: 'button', role: 'tab', 'aria-selected': r === app.tab ? 'true' : 'false',
    dataset: { resource: r }, onclick: () => { app.tab = r; renderTabs(); renderTable(); },
  }, RESOURCE_LABELS[r], h('span.count', { dataset: { countFor: r } }))));
  updateTabCounts();
}

function updateTabCounts() {
  if (!app.current) return;
  const v = view(app.current);
  for (const el of document.querySelectorAll('#tabs [data-count-for]')) {
    const n = v.resources[el.dataset.countFor].rows.length;
    el.textContent = n ? formatCount(n) : '';
  }
  renderTableFoot();
}

const COLUMNS = {
  payments: [
    { title: 'Reference', cell: (p) => h('code', p.reference) },
    { title: 'Created', cell: (p) => formatTime(p.createdAt), cls: 'nowrap' },
    { title: 'Type', cell: (p) => h('span.type', p.type) },
    { title: 'Status', cell: (p) => h('span.status', { dataset: { status: p.status } }, p.status) },
    { title: 'Amount', cell: (p) => formatAmount(p.amount, p.asset), cls: 'num' },
    { title: 'Asset', cell: (p) => h('span', { title: p.asset }, parseAsset(p.asset).code), cls: 'asset' },
  ],
  accounts: [
    { title: 'Reference', cell: (a) => h('code', a.reference) },
    { title: 'Name', cell: (a) => a.name || '' },
    { title: 'Created', cell: (a) => formatTime(a.createdAt), cls: 'nowrap' },
    { title: 'Default asset', cell: (a) => a.defaultAsset || '', cls: 'asset' },
  ],
  balances: [
    { title: 'Account', cell: (b) => h('code', b.accountReference) },
    { title: 'Asset', cell: (b) => h('span', { title: b.asset }, parseAsset(b.asset).code), cls: 'asset' },
    { title: 'Amount', cell: (b) => formatAmount(b.amount, b.asset), cls: 'num' },
    { title: 'As of', cell: (b) => formatTime(b.createdAt), cls: 'nowrap' },
  ],
  others: [
    { title: 'ID', cell: (o) => h('code', o.id) },
    { title: 'Data', cell: (o) => h('code.clip', JSON.stringify(o.other)) },
  ],
  orders: [
    { title: 'Reference', cell: (o) => h('code', o.reference) },
    { title: 'Created', cell: (o) => formatTime(o.createdAt), cls: 'nowrap' },
    { title: 'Direction', cell: (o) => h('span.type', o.direction) },
    { title: 'Status', cell: (o) => h('span.status', { dataset: { status: o.status } }, o.status) },
    { title: 'Quantity', cell: (o) => formatAmount(o.baseQuantityOrdered, o.direction === 'BUY' ? o.destinationAsset : o.sourceAsset), cls: 'num' },
    { title: 'From → to', cell: (o) => `${parseAsset(o.sourceAsset).code} → ${parseAsset(o.destinationAsset).code}`, cls: 'asset' },
  ],
  conversions: [
    { title: 'Reference', cell: (c) => h('code', c.reference) },
    { title: 'Created', cell: (c) => formatTime(c.createdAt), cls: 'nowrap' },
    { title: 'Status', cell: (c) => h('span.status', { dataset: { status: c.status } }, c.status) },
    { title: 'From', cell: (c) => formatAmount(c.sourceAmount, c.sourceAsset), cls: 'num' },
    { title: 'To', cell: (c) => formatAmount(c.destinationAmount || '0', c.destinationAsset), cls: 'num' },
  ],
};
COLUMNS.externalAccounts = COLUMNS.accounts;

let renderedRows = new Map(); // row index -> tr, for the table on screen

function renderTable() {
  const s = currentSession();
  if (!s) return;
  const cols = COLUMNS[app.tab];
  const table = $('#items');
  table.dataset.resource = app.tab;
  replace(table.tHead, h('tr', h('th.rownum', '#'), cols.map((c) => h('th', { class: c.cls || null }, c.title))));
  const tbody = table.tBodies[0];
  tbody.replaceChildren();
  renderedRows = new Map();
  const t = view(app.current).resources[app.tab];
  const n = Math.min(t.rows.length, t.shown);
  const frag = document.createDocumentFragment();
  for (let i = 0; i < n; i++) frag.append(rowFor(i, t.rows[i]));
  tbody.append(frag);
  renderTableFoot();
}

function rowFor(i, it) {
  const cols = COLUMNS[app.tab];
  const tr = h('tr', { dataset: { row: String(i) }, onclick: () => showItem(app.tab, it) },
    h('td.rownum', String(i + 1)),
    cols.map((c) => h('td', { class: c.cls || null }, safeCell(c, it))));
  renderedRows.set(i, tr);
  return tr;
}

function safeCell(c, it) {
  try { return c.cell(it || {}); } catch { return ''; }
}

function renderRows(changed) {
  const t = view(app.current).resources[app.tab];
  const tbody = $('#items').tBodies[0];
  for (const { at, it } of changed) {
    const old = renderedRows.get(at);
    if (old) { old.replaceWith(rowFor(at, it)); continue; }
    if (at < t.shown && at === tbody.rows.length) tbody.append(rowFor(at, it));
  }
  renderTableFoot();
}

function renderTableFoot() {
  if (!app.current) return;
  const t = view(app.current).resources[app.tab];
  const foot = $('#table-foot');
  const empty = $('#table-empty');
  const shown = Math.min(t.rows.length, t.shown);
  empty.hidden = t.rows.length > 0;
  if (t.rows.length === 0) {
    replace(empty, h('p', `No ${RESOURCE_LABELS[app.tab].toLowerCase()} yet.`),
      h('p.muted', 'Fetch a page, fetch all, or run a sync: rows appear here as pages arrive.'));
  }
  const parts = [];
  if (t.rows.length) parts.push(`Showing ${formatCount(shown)} of ${formatCount(t.rows.length)} loaded`);
  if (t.stored !== null) parts.push(`${formatCount(t.stored)} in the store before this view`);
  if (t.dropped) parts.push(`${formatCount(t.dropped)} more not kept in the page`);
  replace(foot, parts.join(' · '),
    shown < t.rows.length ? h('button.btn.small.ghost', { type: 'button', id: 'show-more', onclick: () => { t.shown += SHOW_STEP; renderTable(); } }, `Show ${formatCount(Math.min(SHOW_STEP, t.rows.length - shown))} more`) : null);
}

// ---------------------------------------------------------------------------
// Operations

// MAX_PAGE_SIZE is the largest page size accepted, the CLI's bound too
// (MaxPageSize in cmd/switchboard/numbers.go).
const MAX_PAGE_SIZE = 100000;

// checkPageSize reads a page-size input: { value: undefined } when empty
// (the default), { value: n } for a whole number in range, else { error }
// naming the range. A bad number is refused, never replaced by a default.
function checkPageSize(input) {
  const raw = input.value.trim();
  if (!raw && !(input.validity && input.validity.badInput)) return { value: undefined };
  const n = Number(raw);
  if (raw && Number.isInteger(n) && n >= 1 && n <= MAX_PAGE_SIZE) return { value: n };
  return { error: `Page size ${raw ? `${raw} ` : ''}is out of range: want a whole number from 1 to ${formatCount(MAX_PAGE_SIZE)}` };
}

// pageSizeParams adds the toolbar's page size to params; false, with the
// refusal shown as the session's result, when it is out of range.
function pageSizeParams(params) {
  const input = $('#page-size');
  const ps = checkPageSize(input);
  input.classList.toggle('invalid', !!ps.error);
  if (ps.error) {
    const v = view(app.current);
    v.result = { kind: 'error', text: ps.error };
    renderResult();
    input.focus();
    return false;
  }
  if (ps.value !== undefined) params.pageSize = ps.value;
  return true;
}

async function runOp(kind, method, params, { progress = false, title } = {}) {
  const sid = app.current;
  if (!sid || !app.connected) return;
  const v = view(sid);
  if (v.op) return;
  const token = progress ? `web-${Date.now().toString(36)}-${app.tokenSeq++}` : undefined;
  if (token) params.workDoneToken = token;
  const started = performance.now();
  const { id, promise } = app.rpc.start(method, params);
  v.op = { id, kind, title, message: '', token, pages: 0, items: 0, counting: true, percentage: undefined, cancellable: true, cancelling: false };
  v.result = null;
  if (sid === app.current) { renderProgress(); renderResult(); }
  renderSessions();
  try {
    const res = await promise;
    v.result = summarize(kind, res, performance.now() - started);
  } catch (e) {
    if (e instanceof RPCError && e.code === CodeRequestCancelled) {
      v.result = { kind: 'cancelled', code: e.code, text: `Cancelled: ${e.message} (${e.code})`, details: countsText(v.op) };
    } else if (e instanceof RPCError) {
      v.result = { kind: 'error', code: e.code, text: `${kind} failed: ${e.message} (${e.code})`, details: errorDetails(e) };
    } else {
      v.result = { kind: 'error', text: `${kind} failed: ${errText(e)}` };
    }
  } finally {
    v.op = null;
    if (app.views.get(sid) === v && sid === app.current) { renderProgress(); renderResult(); scheduleStateRefresh(0); }
    renderSessions();
  }
}

function countsText(op) {
  if (!op || !op.pages) return '';
  return `${formatCount(op.pages)} pages, ${formatCount(op.items)} items received before the cancellation`;
}

function errorDetails(e) {
  const d = e.data;
  if (!d || typeof d !== 'object') return '';
  if (Array.isArray(d.errors)) return d.errors.map((x) => `${x.field}: ${x.message}`).join('; ');
  return Object.entries(d).map(([k, val]) => `${k}: ${typeof val === 'string' ? val : JSON.stringify(val)}`).join(' · ');
}

function flags(r) {
  const f = [];
  if (r.hasMore) f.push('has more');
  if (r.limitReached) f.push('limit reached');
  if (r.stalled) f.push('stalled');
  return f;
}

function summarize(kind, r, ms) {
  r = r || {};
  if (kind === 'Next page') {
    return {
      kind: 'ok',
      text: `Page ${r.page} of ${r.resource}: ${formatCount(r.itemCount ?? (Array.isArray(r.items) ? r.items.length : 0))} items in ${formatDuration(r.durationMs)}`,
      details: r.hasMore ? 'More pages to fetch.' : 'No more pages.',
    };
  }
  if (kind === 'Fetch all') {
    const f = flags(r);
    return {
      kind: r.stalled ? 'warn' : 'ok',
      text: `Fetched ${formatCount(r.pages)} pages, ${formatCount(r.items)} items in ${formatDuration(r.durationMs)}`,
      details: [f.length ? f.join(' · ') : 'complete', r.diagnostic].filter(Boolean).join(' — '),
    };
  }
  if (kind === 'Sync') {
    const tasks = r.tasks || [];
    const pages = tasks.reduce((a, t) => a + (t.pages || 0), 0);
    const items = tasks.reduce((a, t) => a + (t.items || 0), 0);
    const failed = tasks.filter((t) => t.error);
    const stalled = tasks.filter((t) => t.stalled);
    const more = tasks.filter((t) => t.hasMore);
    const notes = [];
    if (failed.length) notes.push(`${failed.length} failed: ` + failed.slice(0, 3).map((t) => `${t.path}: ${t.error}`).join('; '));
    if (stalled.length) notes.push(`${stalled.length} stalled`);
    if (more.length) notes.push(`${more.length} with more pages (limit reached)`);
    return {
      kind: failed.length ? 'error' : (stalled.length ? 'warn' : 'ok'),
      text: `Sync done: ${formatCount(tasks.length)} task runs, ${formatCount(pages)} pages, ${formatCount(items)} items in ${formatDuration(r.durationMs)}`,
      details: notes.join(' · ') || 'all tasks complete',
    };
  }
  return { kind: 'ok', text: `${kind} done in ${formatDuration(ms)}` };
}

function renderProgress() {
  const v = app.current ? view(app.current) : null;
  const op = v && v.op;
  const box = $('#progress');
  for (const id of ['#btn-next', '#btn-all', '#btn-sync', '#btn-reset']) $(id).disabled = !!op || !app.connected;
  if (!op) { box.hidden = true; return; }
  box.hidden = false;
  box.dataset.kind = op.kind;
  $('#progress-title').textContent = op.title || op.kind;
  $('#progress-message').textContent = op.message || (op.cancelling ? 'cancelling…' : 'waiting for the first page…');
  $('#progress-counts').textContent = op.pages ? `${formatCount(op.pages)} pages · ${formatCount(op.items)} items` : '';
  const fill = $('#progress-fill');
  const bar = fill.parentElement;
  if (typeof op.percentage === 'number') {
    bar.classList.remove('indeterminate');
    fill.style.width = `${Math.max(0, Math.min(100, op.percentage))}%`;
    bar.setAttribute('aria-valuenow', String(op.percentage));
  } else {
    bar.classList.add('indeterminate');
    fill.style.width = '';
    bar.removeAttribute('aria-valuenow');
  }
  const cancel = $('#progress-cancel');
  cancel.disabled = op.cancelling || op.cancellable === false;
  cancel.textContent = op.cancelling ? 'Cancelling…' : 'Cancel';
}

function renderResult() {
  const v = app.current ? view(app.current) : null;
  const r = v && v.result;
  const el = $('#result');
  if (!r) { el.hidden = true; return; }
  el.hidden = false;
  el.dataset.kind = r.kind;
  if (r.code !== undefined) el.dataset.code = String(r.code); else delete el.dataset.code;
  replace(el,
    h('span.result-icon', { 'aria-hidden': 'true' }, { ok: '✓', warn: '!', error: '✕', cancelled: '◼' }[r.kind] || '·'),
    h('div.result-text', h('strong', r.text), r.details ? h('div.result-details', r.details) : null),
    h('button.btn.ghost.small', { type: 'button', title: 'Dismiss', onclick: () => { v.result = null; renderResult(); } }, 'Dismiss'));
}

function cancelOp() {
  const v = app.current ? view(app.current) : null;
  if (!v || !v.op || v.op.cancelling) return;
  v.op.cancelling = true;
  app.rpc.cancel(v.op.id);
  renderProgress();
}

/** A button that asks "Confirm?" before doing something destructive. */
function confirmClick(btn, label, fn) {
  let armed = null;
  const text = btn.textContent;
  btn.addEventListener('click', () => {
    if (armed) { clearTimeout(armed); armed = null; btn.textContent = text; btn.classList.remove('armed'); fn(); return; }
    btn.textContent = label;
    btn.classList.add('armed');
    armed = setTimeout(() => { armed = null; btn.textContent = text; btn.classList.remove('armed'); }, 3000);
  });
}

async function resetSession() {
  const sid = app.current;
  if (!sid) return;
  try {
    await app.rpc.request(Methods.SessionReset, { sessionId: sid });
    const v = view(sid);
    for (const r of RESOURCES) v.resources[r] = newTable();
    v.result = { kind: 'ok', text: 'Session reset: every cached state was cleared', details: 'The next fetch starts from the beginning.' };
  } catch (e) {
    view(sid).result = { kind: 'error', code: e.code, text: `Reset failed: ${errText(e)}` };
  }
  if (sid === app.current) { renderTabs(); renderTable(); renderResult(); refreshState(); }
}

async function closeSession() {
  const sid = app.current;
  if (!sid) return;
  try {
    await app.rpc.request(Methods.SessionClose, { sessionId: sid });
    app.sessions.delete(sid);
    app.views.delete(sid);
    app.current = null;
    renderSessions();
    renderSessionView();
  } catch (e) {
    view(sid).result = { kind: 'error', code: e.code, text: `Close failed: ${errText(e)}` };
    renderResult();
  }
}

// ---------------------------------------------------------------------------
// Bottom panel: state, HTTP, logs, item

function setPanel(name) {
  app.panel = name;
  for (const b of document.querySelectorAll('.panel-tab')) b.setAttribute('aria-selected', b.dataset.panel === name ? 'true' : 'false');
  for (const b of document.querySelectorAll('[data-panel-body]')) b.hidden = b.dataset.panelBody !== name;
  const panel = $('#panel');
  if (panel.classList.contains('collapsed')) togglePanel();
  renderPanel();
}

function togglePanel() {
  const panel = $('#panel');
  const collapsed = panel.classList.toggle('collapsed');
  $('#panel-toggle').textContent = collapsed ? 'Show' : 'Hide';
  $('#panel-toggle').setAttribute('aria-expanded', collapsed ? 'false' : 'true');
}

function bindResizer() {
  const grip = $('#panel-resizer');
  const panel = $('#panel');
  const saved = Number(localStorage.getItem('switchboard.panelHeight'));
  if (saved > 0) panel.style.height = `${saved}px`;
  grip.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    grip.setPointerCapture(e.pointerId);
    grip.classList.add('dragging');
    const bottom = panel.getBoundingClientRect().bottom;
    const move = (ev) => {
      const max = window.innerHeight - 220;
      const hgt = Math.max(120, Math.min(max, bottom - ev.clientY));
      panel.style.height = `${hgt}px`;
    };
    const up = () => {
      grip.classList.remove('dragging');
      grip.removeEventListener('pointermove', move);
      grip.removeEventListener('pointerup', up);
      localStorage.setItem('switchboard.panelHeight', String(parseInt(panel.style.height, 10) || 0));
    };
    grip.addEventListener('pointermove', move);
    grip.addEventListener('pointerup', up);
  });
}

function renderPanel() {
  updatePanelCounts();
  if (app.panel === 'state') renderState();
  else if (app.panel === 'http') renderHTTP();
  else if (app.panel === 'logs') renderLogs();
  else if (app.panel === 'recordings') renderRecordingsPanel();
  else if (app.panel === 'faults') drawFaults($('#panel-faults'), app.rpc, app.current, (m) => console.warn(m));
  else renderItem();
}

function updatePanelCounts() {
  const n = app.current ? view(app.current).http.length : 0;
  $('#http-count').textContent = n ? formatCount(n) : '';
  const logs = app.logs.filter((l) => !l.sessionId || l.sessionId === app.current).length;
  $('#log-count').textContent = logs ? formatCount(logs) : '';
}

let stateTimer = null;
function scheduleStateRefresh(delay = 400) {
  clearTimeout(stateTimer);
  stateTimer = setTimeout(() => { stateTimer = null; refreshState(); }, delay);
}

/** Refreshes the state at most once a second while pages arrive. */
function throttleStateRefresh() {
  if (stateTimer || app.panel !== 'state') return;
  stateTimer = setTimeout(() => { stateTimer = null; refreshState(); }, 1000);
}

async function refreshState() {
  const sid = app.current;
  if (!sid || !app.connected) return;
  try {
    const r = await app.rpc.request(Methods.StateGet, { sessionId: sid });
    view(sid).states = r.states || [];
  } catch (e) {
    view(sid).states = [];
    view(sid).stateError = errText(e);
  }
  if (sid === app.current && app.panel === 'state') renderState();
}

function renderState() {
  const body = $('#panel-state');
  const s = currentSession();
  if (!s) { replace(body, h('p.muted.pad', 'Open a session to see its cached pagination state.')); return; }
  const v = view(s.id);
  if (!v.states) { replace(body, h('p.muted.pad', 'Loading state…')); return; }
  if (v.states.length === 0) {
    replace(body, h('p.muted.pad', 'No cached state yet: every resource starts from the beginning.'));
    return;
  }
  if (!v.stateSelected || !v.states.some((e) => e.key === v.stateSelected)) { v.stateSelected = v.states[0].key; v.stateDirty = false; }
  const sel = v.states.find((e) => e.key === v.stateSelected);
  const list = h('div.state-list', h('table.data.compact',
    h('thead', h('tr', h('th', 'Key'), h('th.num', 'Pages'), h('th.num', 'Items'), h('th', 'More'), h('th', 'Updated'))),
    h('tbody', v.states.map((e) => h('tr', {
      class: e.key === v.stateSelected ? 'selected' : null, dataset: { key: e.key },
      onclick: () => { if (v.stateSelected !== e.key) { v.stateSelected = e.key; v.stateDirty = false; renderState(); } },
    }, h('td', h('code', { title: e.key }, e.key)), h('td.num', formatCount(e.pages)), h('td.num', formatCount(e.items)),
    h('td', e.hasMore ? h('span.yes', 'yes') : h('span.muted', 'no')), h('td.nowrap', clock(e.updatedAt)))))));
  let editor = body.querySelector('textarea#state-json');
  const keepText = editor && v.stateDirty && editor.dataset.key === sel.key ? editor.value : null;
  editor = h('textarea#state-json', { spellcheck: 'false', dataset: { key: sel.key }, 'aria-label': 'State JSON' });
  editor.value = keepText ?? prettyJSON(sel.state);
  const msg = h('div#state-msg.state-msg', { role: 'status' });
  editor.addEventListener('input', () => {
    v.stateDirty = true;
    const err = jsonError(editor.value);
    editor.classList.toggle('invalid', !!err);
    msg.dataset.kind = err ? 'error' : '';
    msg.textContent = err ? `Invalid JSON: ${err}` : 'Edited: save to replace the cached state.';
  });
  const save = h('button#state-save.btn.primary.small', { type: 'button', onclick: () => saveState(sel, editor, msg) }, 'Save state');
  const fmt = h('button.btn.small.ghost', { type: 'button', onclick: () => { const err = jsonError(editor.value); if (!err) editor.value = prettyJSON(JSON.parse(editor.value)); } }, 'Format');
  const revert = h('button.btn.small.ghost', { type: 'button', onclick: () => { v.stateDirty = false; renderState(); } }, 'Revert');
  const detail = h('div.state-detail',
    h('div.state-head',
      h('div', h('strong', sel.resource), sel.name ? ` · ${sel.name}` : '', h('span.muted', ` · ${formatCount(sel.pages)} pages · ${formatCount(sel.items)} items · ${sel.hasMore ? 'has more' : 'done'} · updated ${formatTime(sel.updatedAt)}`)),
      h('div.btns', fmt, revert, save)),
    sel.fromPayload !== undefined && sel.fromPayload !== null ? h('details.from', h('summary', 'From payload'), h('pre.json', prettyJSON(sel.fromPayload))) : null,
    editor, msg);
  replace(body, h('div.state-grid', list, detail));
}

function jsonError(text) {
  try { JSON.parse(text); return null; } catch (e) { return e.message; }
}

async function saveState(entry, editor, msg) {
  const err = jsonError(editor.value);
  if (err) {
    msg.dataset.kind = 'error';
    msg.textContent = `Not saved: invalid JSON: ${err}`;
    editor.classList.add('invalid');
    return;
  }
  const params = { sessionId: app.current, resource: entry.resource, state: JSON.parse(editor.value) };
  if (entry.name) params.name = entry.name;
  if (entry.fromPayload !== undefined && entry.fromPayload !== null) params.fromPayload = entry.fromPayload;
  try {
    await app.rpc.request(Methods.StateSet, params);
    view(app.current).stateDirty = false;
    await refreshState();
    const m = $('#state-msg');
    if (m) { m.dataset.kind = 'ok'; m.textContent = 'Saved: the next fetch of this key continues from it.'; }
  } catch (e) {
    msg.dataset.kind = 'error';
    msg.textContent = `Not saved: ${errText(e)}${errorDetails(e) ? ' — ' + errorDetails(e) : ''}`;
  }
}

function addExchanges(sessionId, list) {
  const v = view(sessionId);
  const seen = new Set(v.http.map((x) => x.id));
  for (const x of list) if (!seen.has(x.id)) { v.http.push(x); seen.add(x.id); }
  if (v.http.length > MAX_HTTP) v.http.splice(0, v.http.length - MAX_HTTP);
  if (sessionId === app.current) {
    updatePanelCounts();
    if (app.panel === 'http') renderHTTP();
  }
}

let httpRender = null;
function renderHTTP() {
  // Exchanges can arrive by the hundred: render at most once a frame.
  if (httpRender) return;
  httpRender = requestAnimationFrame(() => { httpRender = null; drawHTTP(); });
}

function drawHTTP() {
  const body = $('#panel-http');
  const s = currentSession();
  if (!s) { replace(body, h('p.muted.pad', 'Open a session to see its HTTP exchanges.')); return; }
  const v = view(s.id);
  if (v.http.length === 0) {
    replace(body, h('p.muted.pad', 'No HTTP exchanges yet. They are listed here as the connector calls its API (http/exchange notifications), with secrets redacted.'));
    return;
  }
  const rows = [];
  for (const x of [...v.http].reverse()) {
    const open = v.httpOpen.has(x.id);
    const status = x.response ? x.response.status : null;
    rows.push(h('tr.exchange', {
      class: open ? 'open' : null, dataset: { id: x.id },
      onclick: () => { if (open) v.httpOpen.delete(x.id); else v.httpOpen.add(x.id); drawHTTP(); },
    },
    h('td.method', x.request?.method || ''),
    h('td.url', h('code', { title: x.request?.url || '' }, x.request?.url || '')),
    h('td', status !== null ? h('span.http-status', { dataset: { class: String(status)[0] } }, String(status)) : h('span.http-status', { dataset: { class: 'x' } }, x.error ? 'error' : '—'),
      x.fault ? h('span.fault-badge', { title: `fault rule ${x.fault.rule}: ${x.fault.detail}` }, `fault ${x.fault.kind}`) : null),
    h('td.num', formatDuration(x.durationMs)),
    h('td.muted', x.operation || ''),
    h('td.muted.num', x.page !== undefined ? `page ${x.page}` : '')));
    if (open) rows.push(h('tr.exchange-detail', h('td', { colspan: '6' }, exchangeDetail(x))));
  }
  replace(body, h('table.data.compact.http',
    h('thead', h('tr', h('th', 'Method'), h('th', 'URL'), h('th', 'Status'), h('th.num', 'Duration'), h('th', 'Operation'), h('th.num', 'Page'))),
    h('tbody', rows)));
}

function exchangeDetail(x) {
  const side = (title, part) => h('div.exchange-side',
    h('h4', title),
    part ? [
      headersTable(part.headers),
      part.body ? h('pre.json', prettyJSON(part.body)) : h('p.muted', 'No body.'),
      part.bodyTruncated ? h('p.muted', 'Body truncated.') : null,
    ] : h('p.muted', 'No response.'));
  return h('div.exchange-grid',
    x.error ? h('p.error-text', x.error) : null,
    x.fault ? h('p.fault-text', `Injected by fault rule ${x.fault.rule} (${x.fault.kind}): ${x.fault.detail}. The connector got this, not the server's answer.`) : null,
    side(`Request · ${x.request?.method || ''} ${x.request?.url || ''}`, x.request),
    side(x.response ? `Response · ${x.response.status}` : 'Response', x.response));
}

function headersTable(headers) {
  const entries = Object.entries(headers || {});
  if (!entries.length) return h('p.muted', 'No headers.');
  return h('table.headers', h('tbody', entries.map(([k, vals]) => h('tr', h('th', k), h('td', h('code', Array.isArray(vals) ? vals.join(', ') : String(vals)))))));
}

function logRow(l) {
  const fields = l.fields && Object.keys(l.fields).length ? Object.entries(l.fields).map(([k, val]) => `${k}=${typeof val === 'string' ? val : JSON.stringify(val)}`).join(' ') : '';
  return h('div.log-line', { dataset: { level: String(l.level || '').toLowerCase() } },
    h('span.log-time', clock(l.time)),
    h('span.log-level', String(l.level || '').toUpperCase()),
    h('span.log-msg', l.message || ''),
    fields ? h('span.log-fields', fields) : null);
}

function renderLogs() {
  const body = $('#panel-logs');
  const logs = app.logs.filter((l) => !l.sessionId || l.sessionId === app.current);
  if (!logs.length) { replace(body, h('p.muted.pad', 'No log lines yet. The daemon sends the log notifications of subscribed sessions here.')); return; }
  replace(body, h('div#log-lines.log-lines', logs.slice(-500).map(logRow)));
  body.scrollTop = body.scrollHeight;
}

function appendLog(l) {
  const lines = $('#log-lines');
  if (!lines) { renderLogs(); return; }
  const body = $('#panel-logs');
  const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 40;
  lines.append(logRow(l));
  while (lines.childElementCount > 500) lines.firstElementChild.remove();
  if (atBottom) body.scrollTop = body.scrollHeight;
}

function renderRecordingsPanel() {
  renderRecordings($('#panel-recordings'), currentSession(), app.rpc, () => { if (app.panel === 'recordings') renderRecordingsPanel(); });
}

function showItem(resource, it) {
  app.item = { resource, it };
  setPanel('item');
}

function renderItem() {
  const body = $('#panel-item');
  if (!app.item) { replace(body, h('p.muted.pad', 'Click a row of the table to see the item as JSON, with its raw provider payload.')); return; }
  const { resource, it } = app.item;
  replace(body, h('div.item-view', h('div.muted.small', `${RESOURCE_LABELS[resource] || resource} · ${itemKey(resource, it)}`), h('pre.json', prettyJSON(it))));
}

// ---------------------------------------------------------------------------
// New session dialog

let formReader = null;

function openNewSession(providerName) {
  if (!app.connected) return;
  const d = $('#new-dialog');
  const sel = $('#ns-provider');
  replace(sel, app.providers.map((p) => h('option', { value: p.name }, p.name)));
  if (providerName) sel.value = providerName;
  $('#ns-name').value = '';
  $('#ns-errors').hidden = true;
  fillProviderForm();
  if (!d.open) d.showModal();
  $('#ns-name').focus();
}

function fillProviderForm() {
  const p = app.providers.find((x) => x.name === $('#ns-provider').value);
  $('#ns-provider-help').textContent = p ? p.description : '';
  $('#ns-pagesize').placeholder = p ? String(p.defaultPageSize) : '';
  $('#ns-pagesize').value = '';
  const f = configForm(p ? p.configSchema : null);
  formReader = f.read;
  replace($('#ns-config'), f.element);
}

async function createSession(ev) {
  ev.preventDefault();
  const provider = $('#ns-provider').value;
  const { config, errors } = formReader ? formReader() : { config: {}, errors: [] };
  const params = { provider, config };
  const name = $('#ns-name').value.trim();
  if (name) params.name = name;
  const ps = checkPageSize($('#ns-pagesize'));
  if (ps.error) errors.push(ps.error);
  else if (ps.value !== undefined) params.pageSize = ps.value;
  for (const el of document.querySelectorAll('#new-dialog .field.has-error')) el.classList.remove('has-error');
  if (errors.length) { showFormErrors(errors); return; }
  const btn = $('#ns-create');
  btn.disabled = true;
  btn.textContent = 'Creating…';
  try {
    const s = await app.rpc.request(Methods.SessionCreate, params);
    app.sessions.set(s.id, s);
    $('#new-dialog').close();
    renderSessions();
    openSession(s.id);
  } catch (e) {
    const list = [errText(e)];
    if (e instanceof RPCError && e.data && Array.isArray(e.data.errors)) {
      for (const fe of e.data.errors) {
        list.push(`${fe.field}: ${fe.message}`);
        const name = String(fe.field).replace(/^config\./, '');
        const row = document.querySelector(`#ns-config [data-field="${CSS.escape(name)}"]`);
        if (row) row.classList.add('has-error');
      }
    }
    showFormErrors(list);
  } finally {
    btn.disabled = false;
    btn.textContent = 'Create session';
  }
}

function showFormErrors(list) {
  const box = $('#ns-errors');
  replace(box, h('ul', list.map((x) => h('li', x))));
  box.hidden = false;
}

// ---------------------------------------------------------------------------
// Transfers and payouts

const PAY_KINDS = {
  transfer: { title: 'New transfer', button: 'Create transfer', create: Methods.TransferCreate, poll: Methods.TransferPoll, to: 'To account', toResource: 'accounts', label: 'Transfer',
    help: 'Moves money between two accounts of the provider, through the connector.' },
  payout: { title: 'New payout', button: 'Create payout', create: Methods.PayoutCreate, poll: Methods.PayoutPoll, to: 'To beneficiary', toResource: 'externalAccounts', label: 'Payout',
    help: 'Pays a beneficiary (an external account) from an account, through the connector. A payout the provider settles later is polled until it does.' },
};

let payKind = 'transfer';

function renderPayButtons() {
  const s = currentSession();
  const caps = (s && s.capabilities) || [];
  $('#btn-transfer').hidden = !caps.includes('create:transfer');
  $('#btn-payout').hidden = !caps.includes('create:payout');
}

function accountOptions(sessionId, resource) {
  const rows = view(sessionId).resources[resource]?.rows || [];
  return rows.map((a) => h('option', { value: a.reference }, [a.name, a.defaultAsset].filter(Boolean).join(' · ')));
}

function openPay(kind) {
  const sid = app.current;
  if (!sid || !app.connected) return;
  payKind = kind;
  const k = PAY_KINDS[kind];
  $('#pay-title').textContent = k.title;
  $('#pay-help').textContent = k.help;
  $('#pay-to-label').textContent = k.to;
  $('#pay-create').textContent = k.button;
  replace($('#pay-from-list'), accountOptions(sid, 'accounts'));
  replace($('#pay-to-list'), accountOptions(sid, k.toResource));
  for (const id of ['#pay-from', '#pay-to', '#pay-amount', '#pay-asset', '#pay-description']) $(id).value = '';
  $('#pay-errors').hidden = true;
  $('#pay-dialog').showModal();
  $('#pay-from').focus();
}

// The source account's default asset is the likely one.
function proposeAsset() {
  const a = (view(app.current).resources.accounts?.rows || []).find((x) => x.reference === $('#pay-from').value.trim());
  if (a && a.defaultAsset && !$('#pay-asset').value) $('#pay-asset').value = a.defaultAsset;
}

function payErrors(list) {
  replace($('#pay-errors'), h('ul', list.map((x) => h('li', x))));
  $('#pay-errors').hidden = list.length === 0;
}

async function createPay(ev) {
  ev.preventDefault();
  const sid = app.current;
  const k = PAY_KINDS[payKind];
  const initiation = {
    reference: `web-${Date.now().toString(36)}`,
    sourceAccountReference: $('#pay-from').value.trim() || undefined,
    destinationAccountReference: $('#pay-to').value.trim(),
    amount: $('#pay-amount').value.trim(),
    asset: $('#pay-asset').value.trim(),
    description: $('#pay-description').value.trim() || undefined,
  };
  const errors = [];
  if (!initiation.destinationAccountReference) errors.push(`${k.to} is required`);
  if (!/^[0-9]+$/.test(initiation.amount)) errors.push('Amount must be a whole number of minor units');
  if (!/^[A-Z0-9]+\/[0-9]+$/.test(initiation.asset)) errors.push('Asset must look like EUR/2 or JPY/0');
  if (errors.length) { payErrors(errors); return; }
  const btn = $('#pay-create');
  btn.disabled = true;
  btn.textContent = 'Creating…';
  let res;
  try {
    res = await app.rpc.request(k.create, { sessionId: sid, initiation });
  } catch (e) {
    const list = [errText(e)];
    if (e instanceof RPCError && e.data && Array.isArray(e.data.errors)) for (const fe of e.data.errors) list.push(`${fe.field}: ${fe.message}`);
    payErrors(list);
    return;
  } finally {
    btn.disabled = false;
    btn.textContent = k.button;
  }
  $('#pay-dialog').close();
  const v = view(sid);
  const show = () => { if (sid === app.current) renderResult(); };
  let payment = res.payment;
  try {
    for (let i = 0; !payment && res.pollingId && i < 120; i++) {
      v.result = { kind: 'warn', text: `${k.label} ${res.pollingId} is pending`, details: `polling ${k.poll} (${i + 1})` };
      show();
      await new Promise((r) => setTimeout(r, 500));
      const p = await app.rpc.request(k.poll, { sessionId: sid, pollingId: res.pollingId });
      if (p.error) throw new Error(`${k.label} ${res.pollingId} failed: ${p.error}`);
      payment = p.payment;
    }
    if (!payment) throw new Error(res.pollingId ? `${k.label} ${res.pollingId} still pending after a minute` : 'the connector answered with neither a payment nor a polling id');
    v.result = { kind: 'ok', text: `${k.label} ${payment.reference} ${payment.status}`,
      details: `${formatAmount(payment.amount, payment.asset)} ${parseAsset(payment.asset).code} from ${payment.sourceAccountReference || '–'} to ${payment.destinationAccountReference || '–'}` };
    if (sid === app.current) showItem('payments', payment);
  } catch (e) {
    v.result = { kind: 'error', code: e.code, text: errText(e) };
  }
  show();
}

// ---------------------------------------------------------------------------
// Start

function bind() {
  $('#new-session').addEventListener('click', () => openNewSession());
  $('#empty-new').addEventListener('click', () => openNewSession());
  $('#ns-provider').addEventListener('change', fillProviderForm);
  $('#ns-cancel').addEventListener('click', () => $('#new-dialog').close());
  $('#new-form').addEventListener('submit', createSession);
  $('#token-form').addEventListener('submit', () => {
    const t = $('#token-input').value.trim();
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    setTimeout(connect, 0);
  });
  $('#btn-next').addEventListener('click', () => {
    const params = { sessionId: app.current, resource: app.tab };
    if (!pageSizeParams(params)) return;
    runOp('Next page', Methods.FetchNext, params, { title: `Next page of ${app.tab}` });
  });
  $('#btn-all').addEventListener('click', () => {
    const params = { sessionId: app.current, resource: app.tab };
    if (!pageSizeParams(params)) return;
    runOp('Fetch all', Methods.FetchAll, params, { progress: true, title: `Fetching all ${app.tab}` });
  });
  $('#btn-sync').addEventListener('click', () => runOp('Sync', Methods.SyncRun, { sessionId: app.current }, { progress: true, title: 'Sync' }));
  confirmClick($('#btn-reset'), 'Confirm reset', resetSession);
  confirmClick($('#btn-close'), 'Confirm close', closeSession);
  $('#btn-transfer').addEventListener('click', () => openPay('transfer'));
  $('#btn-payout').addEventListener('click', () => openPay('payout'));
  $('#pay-cancel').addEventListener('click', () => $('#pay-dialog').close());
  $('#pay-from').addEventListener('change', proposeAsset);
  $('#pay-form').addEventListener('submit', createPay);
  // An error shown for the last try goes as soon as the form changes.
  $('#pay-form').addEventListener('input', () => { $('#pay-errors').hidden = true; });
  $('#progress-cancel').addEventListener('click', cancelOp);
  for (const b of document.querySelectorAll('.panel-tab')) b.addEventListener('click', () => setPanel(b.dataset.panel));
  $('#panel-toggle').addEventListener('click', togglePanel);
  bindResizer();
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && app.current && view(app.current).op && !document.querySelector('dialog[open]')) cancelOp();
  });
}

bind();
setPanel('state');
setConn('connecting');
connect();
