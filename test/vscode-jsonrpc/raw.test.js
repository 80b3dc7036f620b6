// Bytes no client library would send, framed by hand: each gets its coded
// error from the contract and the same connection serves the next request.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { spawnStdio, RawPeer } from './lib/switchboard.js';

describe('switchboard stdio with raw malformed input', { timeout: 60000 }, () => {
  let proc;
  let peer;

  before(() => {
    proc = spawnStdio();
    peer = new RawPeer(proc.child);
  });

  after(async () => {
    await proc?.kill();
  });

  /** The connection still answers a well-formed request. */
  async function stillServes() {
    const res = await peer.request('providers/list', {});
    assert.equal(res.error, undefined, JSON.stringify(res.error));
    assert.ok(res.result.providers.some((p) => p.name === 'demo'));
  }

  it('answers a request before initialize with -32002', async () => {
    const res = await peer.request('providers/list', {});
    assert.equal(res.error?.code, -32002, JSON.stringify(res));
    const init = await peer.request('initialize', { clientInfo: { name: 'raw' } });
    assert.equal(init.result?.protocolVersion, '1', JSON.stringify(init));
    peer.notify('initialized', {});
    await stillServes();
  });

  const cases = [
    ['truncated JSON', '{"jsonrpc":"2.0","id":7,"method":"providers/list"', -32700],
    ['not JSON at all', 'hello, daemon', -32700],
    ['JSON with a stray comma', '{"jsonrpc":"2.0",,}', -32700],
    ['a JSON array batch', '[{"jsonrpc":"2.0","id":8,"method":"providers/list","params":{}}]', -32600],
    ['a JSON number', '42', -32600],
    ['a JSON string', '"initialize"', -32600],
  ];
  for (const [name, body, code] of cases) {
    it(`answers ${name} with ${code} and id null, then serves on`, async () => {
      peer.sendRaw(body);
      const res = await peer.nextResponse();
      assert.equal(res.jsonrpc, '2.0');
      assert.equal(res.id, null, JSON.stringify(res));
      assert.equal(res.error?.code, code, JSON.stringify(res));
      await stillServes();
    });
  }

  it('answers an unknown method with -32601 and serves on', async () => {
    const res = await peer.request('no/such/method', {});
    assert.equal(res.error?.code, -32601, JSON.stringify(res));
    await stillServes();
  });

  it('answers requests after shutdown with -32600 and exits 0', async () => {
    const res = await peer.request('shutdown');
    assert.equal(res.result, null, JSON.stringify(res));
    const after = await peer.request('providers/list', {});
    assert.equal(after.error?.code, -32600, JSON.stringify(after));
    peer.notify('exit');
    const { code } = await proc.exited;
    assert.equal(code, 0, `exit code ${code}; stderr:\n${proc.stderr()}`);
  });

  it('exits 1 on exit without shutdown', async () => {
    const p = spawnStdio();
    try {
      const q = new RawPeer(p.child);
      const init = await q.request('initialize', {});
      assert.equal(init.result?.protocolVersion, '1');
      q.notify('exit');
      const { code } = await p.exited;
      assert.equal(code, 1, `exit code ${code}; stderr:\n${p.stderr()}`);
    } finally {
      await p.kill();
    }
  });
});
