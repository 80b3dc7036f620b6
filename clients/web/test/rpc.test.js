// The console's JSON-RPC client (static/rpc.js) on input the daemon never
// sends, handled as the Go client handles it: the socket closed with the
// reason, every pending call failed with it. The socket is a stand-in with
// the browser WebSocket's interface (node 20 has none); the client code is
// the console's own module.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { RPCClient } from '../static/rpc.js';
import { MaxMessageSize, Methods } from '../static/protocol.js';

class FakeSocket extends EventTarget {
  static OPEN = 1;
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    /** @type {string[]} */
    this.sent = [];
    this.closedWith = null;
    FakeSocket.last = this;
    queueMicrotask(() => { this.readyState = 1; this.dispatchEvent(new Event('open')); });
  }
  send(text) { this.sent.push(text); }
  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = 3;
    queueMicrotask(() => this.dispatchEvent(Object.assign(new Event('close'), { code: code ?? 1005 })));
  }
  /** The daemon's side: deliver one frame. */
  deliver(data) { this.dispatchEvent(Object.assign(new Event('message'), { data })); }
}
globalThis.WebSocket = FakeSocket;

async function connected() {
  const c = new RPCClient('ws://127.0.0.1:1/rpc');
  await c.open();
  return { c, ws: FakeSocket.last };
}

test('a response resolves its call; one to an unknown id is ignored', async () => {
  const { c, ws } = await connected();
  const { id, promise } = c.start(Methods.SessionList, {});
  ws.deliver(JSON.stringify({ jsonrpc: '2.0', id: id + 100, result: 'stray' }));
  ws.deliver(new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id, result: { sessions: [] } })).buffer);
  assert.deepEqual(await promise, { sessions: [] });
  assert.equal(ws.closedWith, null);
});

for (const [name, frame, reason] of [
  ['not JSON', '{"jsonrpc":"2.0",', /not valid JSON/],
  ['a batch', '[{"jsonrpc":"2.0","id":1,"result":null}]', /not a JSON object/],
  ['not an object', '42', /not a JSON object/],
  ['over the limit', ' '.repeat(MaxMessageSize + 1), /too large/],
  ['binary, not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]).buffer, /not UTF-8/],
]) {
  test(`${name}: the connection closes and pending calls fail with the reason`, async () => {
    const { c, ws } = await connected();
    const { promise } = c.start(Methods.SessionList, {});
    const errorLog = console.error;
    console.error = () => {};
    try { ws.deliver(frame); } finally { console.error = errorLog; }
    await assert.rejects(promise, (e) => { assert.equal(e.code, -32099); assert.match(e.message, reason); return true; });
    assert.equal(ws.closedWith.code, 4000);
  });
}
