import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The content of daemon.json, written by `switchboard serve` in its state directory. */
export interface DaemonInfo {
  pid: number;
  version: string;
  url: string;
  token: string;
  startedAt: string;
}

/** The name of the discovery file in the state directory. */
export const DaemonInfoFile = 'daemon.json';

/**
 * The daemon's state directory: $SWITCHBOARD_STATE_DIR, else
 * $XDG_STATE_HOME/switchboard, else ~/.local/state/switchboard.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SWITCHBOARD_STATE_DIR) return env.SWITCHBOARD_STATE_DIR;
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'switchboard');
  return path.join(os.homedir(), '.local', 'state', 'switchboard');
}

/** Reads daemon.json of stateDir (default: defaultStateDir()); throws when there is none. */
export function readDaemonInfo(stateDir: string = defaultStateDir()): DaemonInfo {
  const file = path.join(stateDir, DaemonInfoFile);
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as DaemonInfo;
  if (!info.url || !info.token) throw new Error(`switchboard: ${file} has no url or token`);
  return info;
}

/** Waits until daemon.json of stateDir exists and parses, polling; rejects after timeoutMs. */
export async function waitForDaemonInfo(stateDir: string, timeoutMs = 10000): Promise<DaemonInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return readDaemonInfo(stateDir);
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`switchboard: no daemon.json in ${stateDir} after ${timeoutMs} ms: ${(e as Error).message}`);
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
