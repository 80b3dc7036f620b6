import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CodeInvalidRequest, SwitchboardClient, SwitchboardError } from '../src';
import { bin, eventually, isolatedEnv, stdioHarness } from './helpers';
import { clientSuite } from './suite';

clientSuite('stdio', stdioHarness);

describe('stdio lifecycle', { timeout: 30000 }, () => {
  it('shutdown, then requests fail with -32600, then exit ends the daemon with 0', async () => {
    const iso = isolatedEnv();
    const client = SwitchboardClient.stdio({ bin, env: iso.env });
    await client.initialize();
    assert.equal(await client.shutdown(), null);
    await assert.rejects(client.providers(), (e: unknown) => e instanceof SwitchboardError && e.code === CodeInvalidRequest);
    await client.exit();
    await eventually(() => client.process!.exitCode !== null, 'the daemon to exit');
    assert.equal(client.process!.exitCode, 0);
    await eventually(() => client.isClosed, 'the connection to close');
    await client.close();
    iso.cleanup();
  });

  it('rejects when the binary cannot be started', async () => {
    const lines: string[] = [];
    const client = SwitchboardClient.stdio({ bin: '/nonexistent/switchboard', onStderr: (l) => lines.push(l) });
    await assert.rejects(client.initialize());
    assert.ok(lines.some((l) => l.includes('cannot start')), lines.join('\n'));
    await client.close();
  });
});
