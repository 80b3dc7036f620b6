// The Recordings panel: start and stop recording the open session into a
// go-vcr cassette (session/record), and diff a cassette against the live
// API or a newer cassette (recording/diff), its drifts shown as they
// stream in (recording/drift) and as a before/after table at the end.

import { h, replace } from './dom.js';
import { Methods } from './protocol.js';

const state = {
  path: '',      // the cassette to record into
  from: '',      // the cassette to diff
  against: '',   // a newer cassette, or '' for live
  save: '',      // where to save the live run
  drifts: [],    // streamed so far
  result: null,  // the last recording/diff result
  running: false,
  error: '',
};

/** Called for every recording/drift notification. */
export function onDrift(p, rerender) {
  if (!p || !p.drift || !state.running) return;
  state.drifts.push(p.drift);
  rerender();
}

function input(label, key, placeholder) {
  const el = h('input', { type: 'text', value: state[key], placeholder, spellcheck: 'false', 'aria-label': label });
  el.addEventListener('input', () => { state[key] = el.value; });
  return h('label.rec-field', h('span', label), el);
}

function driftTable(drifts) {
  if (!drifts.length) return h('p.muted', 'No drift.');
  return h('table.data.compact.drift', { 'aria-label': 'Drift' },
    h('thead', h('tr', h('th', 'Kind'), h('th', 'Where'), h('th', 'Field'), h('th', 'Before'), h('th', 'After'))),
    h('tbody', drifts.map((d) => h('tr', { dataset: { kind: d.kind } },
      h('td', h('code', d.kind)),
      h('td', d.endpoint || `${d.resource} ${d.reference}`),
      h('td', h('code', d.field || '')),
      h('td.before', d.before === undefined ? '' : h('code', JSON.stringify(d.before))),
      h('td.after', d.after === undefined ? '' : h('code', JSON.stringify(d.after)))))));
}

/**
 * Renders the panel into body for session s (or none) over rpc.
 * rerender redraws the panel; onError reports a failed call.
 */
export function renderRecordings(body, s, rpc, rerender) {
  const parts = [];
  if (s) {
    if (s.replay) parts.push(h('p', 'Replaying ', h('code', s.replay), ': this session makes no network request.'));
    if (s.recording) {
      parts.push(h('div.rec-row', h('span', 'Recording into ', h('code', s.recording)),
        h('button.btn.small', { type: 'button', onclick: () => record(rpc, { sessionId: s.id, stop: true }, rerender) }, 'Stop and save')));
      if (!state.from) state.from = s.recording;
    } else {
      parts.push(h('div.rec-row', input('Record into', 'path', 'cassette.yaml'),
        h('button.btn.small', { type: 'button', onclick: () => record(rpc, { sessionId: s.id, path: state.path }, rerender) }, 'Record')));
    }
  } else {
    parts.push(h('p.muted', 'Open a session to record it.'));
  }
  parts.push(h('h3', 'Diff'), h('div.rec-row', input('From', 'from', 'recorded.yaml'), input('Against', 'against', 'live'), input('Save live run as', 'save', 'optional')),
    h('button.btn.small', { type: 'button', disabled: state.running, onclick: () => diff(rpc, rerender) }, state.running ? 'Diffing…' : 'Run diff'));
  if (state.error) parts.push(h('p.error', state.error));
  if (state.running) parts.push(h('p.muted', `${state.drifts.length} drifts so far`), driftTable(state.drifts));
  if (state.result && !state.running) {
    const r = state.result;
    parts.push(h('p', `${r.calls} calls, ${r.endpoints.length} endpoints: ${r.schema.length} schema drifts, ${r.data.length + (r.dataTruncated || 0)} data drifts`),
      h('h4', 'Schema'), driftTable(r.schema), h('h4', 'Data'), driftTable(r.data));
  }
  replace(body, h('div.recordings.pad', parts));
}

async function record(rpc, params, rerender) {
  state.error = '';
  try {
    const r = await rpc.request(Methods.SessionRecord, params);
    if (!r.recording) state.from = r.path;
  } catch (e) {
    state.error = `session/record failed: ${e.message || e}`;
  }
  rerender();
}

async function diff(rpc, rerender) {
  state.error = '';
  state.drifts = [];
  state.result = null;
  state.running = true;
  rerender();
  try {
    const params = { from: state.from };
    if (state.against) params.against = state.against;
    if (state.save) params.save = state.save;
    state.result = await rpc.request(Methods.RecordingDiff, params);
  } catch (e) {
    state.error = `recording/diff failed: ${e.message || e}`;
  }
  state.running = false;
  rerender();
}
