import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { SwitchboardClient } from '../src';
import { Daemon, startServe } from './helpers';
import { clientSuite } from './suite';

let daemon: Daemon | undefined;

describe('switchboard serve', { timeout: 150000 }, () => {
  before(async () => {
    daemon = await startServe();
  });
  after(async () => {
    await daemon?.kill();
  });

  it('writes a ws:// url and a token to daemon.json', () => {
    assert.match(daemon!.url, /^ws:\/\/127\.0\.0\.1:\d+\/rpc$/);
    assert.ok(daemon!.token.length >= 16);
  });

  it('refuses a wrong token', async () => {
    await assert.rejects(SwitchboardClient.websocket(daemon!.url, 'wrong-token'), /401/);
  });

  it('finds the daemon through daemon.json', async () => {
    const c = await SwitchboardClient.discover(daemon!.stateDir);
    const res = await c.initialize();
    assert.equal(res.protocolVersion, '1');
    await c.close();
  });

  clientSuite('websocket', async () => {
    const client = await SwitchboardClient.websocket(daemon!.url, daemon!.token);
    return { client, stderr: daemon!.stderr, stop: () => client.close() };
  });
});
