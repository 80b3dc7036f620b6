// The Faults panel: the session's fault rules (faults/set, faults/list,
// faults/clear), a form to add one, and how often each fired. The rules
// run in the daemon's HTTP transport for the session, whatever the
// connector; the HTTP panel marks every exchange a rule altered.
import { h, replace } from './dom.js';

const KINDS = [
  ['status', 'HTTP status (429 with Retry-After, 5xx…)'],
  ['timeout', 'Timeout'],
  ['reset', 'Connection reset'],
  ['truncate', 'Truncated body'],
  ['duplicate', 'Duplicated page (the previous answer again)'],
  ['reorder', 'Reordered page (items reversed)'],
  ['rewrite', 'Rewritten field (every item of the page)'],
];

/**
 * Draws the panel for one session into body. rpc is the console's
 * RPCClient; onError reports a failed call.
 */
export async function drawFaults(body, rpc, sessionId, onError) {
  if (!sessionId) { replace(body, h('p.muted.pad', 'Open a session to break its connector on purpose.')); return; }
  let rules = [];
  try {
    rules = (await rpc.request('faults/list', { sessionId })).rules || [];
  } catch (e) {
    replace(body, h('p.error-text.pad', `faults/list: ${e.message}`));
    return;
  }
  const redraw = () => drawFaults(body, rpc, sessionId, onError);
  const msg = h('p.error-text.fault-msg', { role: 'alert' });
  const report = onError;
  onError = (m) => { msg.textContent = m; report(m); };
  const field = (name, label, attrs = {}) => h('label.fault-field', label, h('input', { name, ...attrs }));
  const kind = h('select', { name: 'kind' }, KINDS.map(([v, t]) => h('option', { value: v }, t)));
  const trigger = h('select', { name: 'trigger' },
    h('option', { value: 'always' }, 'every matching request'),
    h('option', { value: 'page' }, 'at page N'),
    h('option', { value: 'every' }, 'every Nth request'),
    h('option', { value: 'probability' }, 'with probability p (seeded)'));
  const form = h('form.fault-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const num = (k) => (f.get(k) === '' || f.get(k) === null ? undefined : Number(f.get(k)));
      const rule = { kind: f.get('kind') };
      if (rule.kind === 'status') { rule.status = num('status') || 500; rule.retryAfter = num('retryAfter'); }
      if (rule.kind === 'timeout') rule.delayMs = num('delayMs');
      if (rule.kind === 'rewrite') {
        rule.field = f.get('field');
        try { rule.value = JSON.parse(f.get('value')); } catch { onError('rewrite: the value must be JSON, e.g. "on_hold" with its quotes'); return; }
      }
      if (f.get('operation')) rule.operation = f.get('operation');
      if (f.get('url')) rule.url = f.get('url');
      const n = num('n');
      const t = f.get('trigger');
      if (t === 'page') rule.page = n;
      if (t === 'every') rule.every = n;
      if (t === 'probability') { rule.probability = n; rule.seed = num('seed') || 0; }
      rule.times = num('times');
      try {
        await rpc.request('faults/set', { sessionId, rules: [rule] });
      } catch (err) { onError(`faults/set: ${err.message}`); return; }
      redraw();
    },
  },
  h('label.fault-field', 'Kind', kind),
  field('status', 'Status', { type: 'number', min: '100', max: '599', value: '429' }),
  field('retryAfter', 'Retry-After (s)', { type: 'number', min: '0', placeholder: '1' }),
  field('delayMs', 'Timeout after (ms)', { type: 'number', min: '0', placeholder: '100' }),
  field('field', 'Rewrite field', { placeholder: 'status' }),
  field('value', 'to JSON value', { placeholder: '"on_hold"' }),
  field('operation', 'Operation', { placeholder: 'fetch/payments (any)' }),
  field('url', 'URL contains', { placeholder: '/transactions (any)' }),
  h('label.fault-field', 'When', trigger),
  field('n', 'N or p', { type: 'number', min: '0', step: 'any', placeholder: '2' }),
  field('seed', 'Seed', { type: 'number', placeholder: '0' }),
  field('times', 'At most (times)', { type: 'number', min: '0', placeholder: 'no cap' }),
  h('button.btn.small', { type: 'submit' }, 'Add rule'),
  msg);

  const rows = rules.map((r) => h('tr.fault-rule', { dataset: { id: r.rule.id } },
    h('td', h('code', r.rule.id)),
    h('td', r.rule.kind + (r.rule.status ? ` ${r.rule.status}` : '')),
    h('td.muted', describe(r.rule)),
    h('td.num', String(r.matched)),
    h('td.num.fault-fired', String(r.fired))));
  replace(body,
    h('div.pad',
      h('p.muted', 'Rules apply to this session\'s HTTP requests, in order; exchanges they alter are marked in the HTTP panel.'),
      form,
      rules.length === 0 ? h('p.muted', 'No fault rules.') : [
        h('table.data.compact.faults',
          h('thead', h('tr', h('th', 'Rule'), h('th', 'Kind'), h('th', 'When'), h('th.num', 'Matched'), h('th.num', 'Fired'))),
          h('tbody', rows)),
        h('button.btn.ghost.small#faults-clear', {
          type: 'button',
          onclick: async () => {
            try { await rpc.request('faults/clear', { sessionId }); } catch (err) { onError(`faults/clear: ${err.message}`); return; }
            redraw();
          },
        }, 'Clear all rules'),
      ]));
}

function describe(r) {
  const parts = [];
  if (r.operation) parts.push(r.operation);
  if (r.url) parts.push(`URL ~ ${r.url}`);
  if (r.page) parts.push(`page ${r.page}`);
  if (r.every) parts.push(`every ${r.every}`);
  if (r.probability) parts.push(`p=${r.probability} seed ${r.seed || 0}`);
  if (r.times) parts.push(`at most ${r.times}×`);
  if (r.retryAfter) parts.push(`Retry-After ${r.retryAfter}`);
  if (r.delayMs) parts.push(`after ${r.delayMs} ms`);
  return parts.join(' · ') || 'every request';
}
