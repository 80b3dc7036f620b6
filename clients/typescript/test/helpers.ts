import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { SwitchboardClient, waitForDaemonInfo } from '../src';

/** The package directory (tests run from dist/test). */
export const packageDir = path.resolve(__dirname, '..', '..');

/** The switchboard binary: $SWITCHBOARD_BIN, else ../../bin/switchboard relative to the package. */
export const bin = process.env.SWITCHBOARD_BIN
  ? path.resolve(process.env.SWITCHBOARD_BIN)
  : path.resolve(packageDir, '..', '..', 'bin', 'switchboard');

if (!fs.existsSync(bin)) {
  throw new Error(`switchboard binary not found at ${bin}: build it (go build -o bin/switchboard ./cmd/switchboard) or set SWITCHBOARD_BIN`);
}

/** A connected client and how to stop everything the test started. */
export interface Harness {
  client: SwitchboardClient;
  stderr: string[];
  stop(): Promise<void>;
}

/**
 * The environment of spawned daemons: a fresh state directory each, so that
 * nothing of the user's (daemon.json, a session store) is read or written.
 */
export function isolatedEnv(): { env: NodeJS.ProcessEnv; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ts-state-'));
  return {
    env: { ...process.env, SWITCHBOARD_STATE_DIR: dir, XDG_STATE_HOME: dir },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Spawns `switchboard stdio` through the client. */
export async function stdioHarness(): Promise<Harness> {
  const stderr: string[] = [];
  const iso = isolatedEnv();
  const client = SwitchboardClient.stdio({ bin, env: iso.env, onStderr: (l) => stderr.push(l) });
  return {
    client,
    stderr,
    stop: async () => {
      await client.close();
      iso.cleanup();
    },
  };
}

/** A running `switchboard serve` in a temporary state directory. */
export interface Daemon {
  url: string;
  token: string;
  stateDir: string;
  proc: ChildProcess;
  stderr: string[];
  kill(): Promise<void>;
}

/** Starts `switchboard serve --listen 127.0.0.1:0 --state-dir <tmp>` and waits for its daemon.json. */
export async function startServe(): Promise<Daemon> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ts-client-'));
  const stderr: string[] = [];
  const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SWITCHBOARD_STATE_DIR: stateDir, XDG_STATE_HOME: stateDir },
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => stderr.push(d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const early = exited.then(() => {
      throw new Error(`switchboard serve exited early: ${stderr.join('')}`);
    });
    const info = await Promise.race([waitForDaemonInfo(stateDir, 15000), early]);
    return { url: info.url, token: info.token, stateDir, proc, stderr, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}

/** Resolves when pred() holds, polling; rejects after timeoutMs. */
export async function eventually(pred: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
