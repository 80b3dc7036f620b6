// An editor's view of Switchboard: vscode-jsonrpc, the library under every
// VS Code language client, spawns the real `switchboard stdio` binary and
// drives one session of the built-in demo provider over a single connection,
// bad input included, without the connection ever dropping.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  ResponseError,
} from 'vscode-jsonrpc/node';

import { spawnStdio, frame } from './lib/switchboard.js';

/** Resolves when pred() holds, polling; rejects after timeoutMs. */
async function eventually(pred, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asserts that promise rejects with a ResponseError of the given code; returns it. */
async function rejectsWithCode(promise, code) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected an error with code ${code}, got a result`);
  assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${err}`);
  assert.equal(err.code, code, `code of ${JSON.stringify({ code: err.code, message: err.message, data: err.data })}`);
  return err;
}

/** Rejects if promise has not settled within ms; what() says what hung. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const refs = (page) => page.items.map((p) => p.reference);

describe('switchboard stdio driven by vscode-jsonrpc', { timeout: 60000 }, () => {
  let proc;
  let conn;
  const logged = []; // vscode-jsonrpc's own log: where a response with id null ends up
  const pageNotes = [];
  let closed = false;
  const connErrors = [];

  let session;
  const pages = [];

  /** conn.sendRequest with a deadline, so a hung daemon fails one test, fast. */
  const call = (method, params) =>
    within(
      15000,
      () => `${method}; daemon stderr:\n${proc.stderr().slice(-2000)}`,
      params === undefined ? conn.sendRequest(method) : conn.sendRequest(method, params),
    );

  before(() => {
    proc = spawnStdio();
    const logger = {
      error: (m) => logged.push(m),
      warn: (m) => logged.push(m),
      info: () => {},
      log: () => {},
    };
    conn = createMessageConnection(
      new StreamMessageReader(proc.child.stdout),
      new StreamMessageWriter(proc.child.stdin),
      logger,
    );
    conn.onNotification('fetch/page', (params) => pageNotes.push(params));
    conn.onClose(() => {
      closed = true;
    });
    conn.onError(([err]) => connErrors.push(err));
    conn.listen();
  });

  after(async () => {
    conn?.dispose();
    await proc?.kill();
  });

  it('initializes with protocol version 1 and server info', async () => {
    const res = await call('initialize', {
      clientInfo: { name: 'vscode-jsonrpc-test', version: '0.0.0' },
      capabilities: { workDoneProgress: false },
    });
    assert.equal(res.protocolVersion, '1');
    assert.equal(typeof res.serverInfo?.name, 'string');
    assert.ok(res.serverInfo.name.length > 0, 'serverInfo.name is empty');
    assert.equal(typeof res.serverInfo.version, 'string');
    assert.ok(res.capabilities.resources.includes('payments'));
    assert.ok(res.capabilities.methods.includes('fetch/next'));
    await conn.sendNotification('initialized', {});
  });

  it('lists the demo provider with its config schema', async () => {
    const res = await call('providers/list', {});
    const demo = res.providers.find((p) => p.name === 'demo');
    assert.ok(demo, `demo missing from ${res.providers.map((p) => p.name)}`);
    assert.equal(typeof demo.configSchema, 'object');
    assert.ok(demo.configSchema !== null, 'configSchema is null');
    assert.ok(demo.capabilities.includes('fetch:payments'));
    assert.ok(demo.defaultPageSize > 0);
  });

  it('creates a demo session with no config', async () => {
    session = await call('session/create', { provider: 'demo' });
    assert.match(session.id, /^[0-9a-f-]{36}$/);
    assert.equal(session.provider, 'demo');
    assert.ok(session.capabilities.includes('fetch:payments'));
  });

  it('pages through payments with the state carried over', async () => {
    for (let i = 0; i < 3; i++) {
      pages.push(await call('fetch/next', { sessionId: session.id, resource: 'payments' }));
    }
    assert.deepEqual(pages.map((p) => p.page), [1, 2, 3]);
    for (const p of pages) {
      assert.equal(p.sessionId, session.id);
      assert.equal(p.resource, 'payments');
      assert.equal(p.hasMore, true);
      assert.ok(p.items.length > 0, `page ${p.page} is empty`);
      assert.ok(p.newState !== null && p.newState !== undefined, `page ${p.page} has no newState`);
      for (const item of p.items) {
        assert.equal(typeof item.amount, 'string', 'amounts are decimal strings');
        assert.match(item.asset, /^[A-Z]+\/\d+$/);
      }
    }
    assert.equal(new Set(pages.map((p) => refs(p)[0])).size, 3, 'first references repeat across pages');
    const states = pages.map((p) => JSON.stringify(p.newState));
    assert.equal(new Set(states).size, 3, `newState did not change: ${states}`);
    const seen = new Set(pages.flatMap(refs));
    assert.equal(seen.size, pages.reduce((n, p) => n + p.items.length, 0), 'a payment came twice');
    assert.equal(pages[0].key, pages[2].key);
  });

  it('sends a fetch/page notification for every page', async () => {
    await eventually(() => pageNotes.length >= 3, 'three fetch/page notifications');
    assert.deepEqual(pageNotes.slice(0, 3).map((n) => n.page.page), [1, 2, 3]);
    for (const n of pageNotes) assert.equal(n.sessionId, session.id);
    assert.equal(pageNotes[1].page.itemCount, pages[1].items.length);
    assert.deepEqual(pageNotes[1].page.newState, pages[1].newState);
    // The daemon leaves the items out of the notification to the connection
    // that asked for the page (it has them in the response); when they are
    // there, they are the page's.
    if (pageNotes[1].page.items !== undefined) assert.deepEqual(refs(pageNotes[1].page), refs(pages[1]));
  });

  it('state/get shows the cached entry', async () => {
    const { states } = await call('state/get', { sessionId: session.id });
    const entry = states.find((s) => s.resource === 'payments');
    assert.ok(entry, `no payments entry in ${JSON.stringify(states)}`);
    assert.equal(entry.key, pages[2].key);
    assert.deepEqual(entry.state, pages[2].newState);
    assert.equal(entry.hasMore, true);
    assert.equal(entry.pages, 3);
    assert.equal(entry.items, pages.reduce((n, p) => n + p.items.length, 0));
  });

  it('state/set rewinds to page 1 and the next fetch repeats page 2', async () => {
    const res = await call('state/set', {
      sessionId: session.id,
      resource: 'payments',
      state: pages[0].newState,
    });
    assert.deepEqual(res, {});
    const again = await call('fetch/next', { sessionId: session.id, resource: 'payments' });
    assert.deepEqual(refs(again), refs(pages[1]));
    assert.deepEqual(again.newState, pages[1].newState);
  });

  it('answers an unknown method with -32601', async () => {
    await rejectsWithCode(call('no/such/method', {}), -32601);
  });

  it('answers a wrong param type with -32602 naming the field', async () => {
    const err = await rejectsWithCode(
      call('fetch/next', { sessionId: session.id, resource: 'payments', pageSize: 'ten' }),
      -32602,
    );
    assert.equal(err.data?.errors?.[0]?.field, 'pageSize', JSON.stringify(err.data));
  });

  it('answers an unknown session with -32001', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const err = await rejectsWithCode(call('fetch/next', { sessionId: id, resource: 'payments' }), -32001);
    assert.equal(err.data?.sessionId, id);
  });

  it('answers an unknown provider with -32010 listing the known ones', async () => {
    const err = await rejectsWithCode(call('session/create', { provider: 'no-such-psp' }), -32010);
    assert.equal(err.data?.provider, 'no-such-psp');
    assert.ok(err.data?.known?.includes('demo'), JSON.stringify(err.data));
  });

  it('answers malformed JSON with -32700 and id null, and keeps serving', async () => {
    // Written beside vscode-jsonrpc's writer, between two of its requests, with
    // a correct Content-Length: only the JSON inside is broken.
    const before = logged.length;
    proc.child.stdin.write(frame('{"jsonrpc":"2.0","id":41,"method":"providers/list","params":{'));
    // vscode-jsonrpc has no request to match a response with id null to, so
    // it reports it through its logger with the error object.
    await eventually(() => logged.length > before, 'the -32700 response');
    const line = logged.slice(before).find((m) => m.includes('without id'));
    assert.ok(line, `unexpected log: ${logged.slice(before)}`);
    const error = JSON.parse(line.slice(line.indexOf('{')));
    assert.equal(error.code, -32700);

    const res = await call('providers/list', {});
    assert.ok(res.providers.some((p) => p.name === 'demo'));
    const page = await call('fetch/next', { sessionId: session.id, resource: 'payments' });
    assert.deepEqual(refs(page), refs(pages[2]), 'the session lost its place after bad input');
  });

  it('never dropped the connection', () => {
    assert.equal(closed, false);
    assert.deepEqual(connErrors, []);
  });

  it('shuts down and exits with code 0', async () => {
    const res = await call('shutdown');
    assert.equal(res, null);
    await conn.sendNotification('exit');
    const { code, signal } = await proc.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, `exit code ${code}; stderr:\n${proc.stderr()}`);
  });
});
