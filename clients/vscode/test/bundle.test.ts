// The packaged entry point: dist/extension.js (the esbuild bundle) loaded
// with the `vscode` module replaced by the fake, activated, and used once.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import Module from 'node:module';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { FakeVscode } from './fakeVscode';

const packageDir = path.resolve(__dirname, '..', '..');
// The extension spawns `switchboard stdio` with VS Code's environment: give
// it a fresh state directory so no user state (a session store) is shared.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-vscode-state-'));
process.env.SWITCHBOARD_STATE_DIR = stateDir;
process.env.XDG_STATE_HOME = stateDir;
process.on('exit', () => fs.rmSync(stateDir, { recursive: true, force: true }));
const bin = process.env.SWITCHBOARD_BIN
  ? path.resolve(process.env.SWITCHBOARD_BIN)
  : path.resolve(packageDir, '..', '..', 'bin', 'switchboard');

describe('dist/extension.js', { timeout: 60000 }, () => {
  it('activates with the vscode module, registers its commands and talks to the daemon', async () => {
    const fake = new FakeVscode({ 'switchboard.path': bin });
    const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = M._load;
    M._load = (request: string, ...rest: unknown[]) => (request === 'vscode' ? fake : load(request, ...rest));
    let ext: { activate(ctx: unknown): void; deactivate(): Promise<void> };
    try {
      const file = path.join(packageDir, 'dist', 'extension.js');
      assert.ok(fs.existsSync(file), 'build first (npm run build)');
      ext = require(file);
    } finally {
      M._load = load;
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const context = { subscriptions: [] as Array<{ dispose(): unknown }>, extension: { packageJSON: manifest } };
    ext.activate(context);
    assert.deepEqual(
      [...fake.commandHandlers.keys()].sort(),
      manifest.contributes.commands.map((c: { command: string }) => c.command).sort(),
    );
    await fake.executeCommand('switchboard.refresh');
    assert.deepEqual(fake.messages, []);
    const out = fake.outputs.get('Switchboard')!;
    assert.ok(out.lines.some((l) => l.startsWith('connected to switchboard')), out.lines.join('\n'));
    // A new switchboard.path closes the connection; the next command reconnects.
    fake.setConfig('switchboard.path', bin);
    await fake.executeCommand('switchboard.refresh');
    assert.equal(out.lines.filter((l) => l.startsWith('connected to switchboard')).length, 2);
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
  });
});
