// Helpers shared by the suites: where the binary is, how to spawn
// `switchboard stdio` with a throwaway state directory, and a raw LSP framer
// for the bytes no well-behaved client library would send.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Path of the switchboard binary: $SWITCHBOARD_BIN, else ../../bin/switchboard. */
export function binPath() {
  const p = process.env.SWITCHBOARD_BIN
    ? resolve(process.env.SWITCHBOARD_BIN)
    : resolve(here, '..', '..', '..', 'bin', 'switchboard');
  if (!existsSync(p)) {
    throw new Error(`switchboard binary not found at ${p}: run "make build" or set SWITCHBOARD_BIN`);
  }
  return p;
}

/**
 * Spawns `switchboard stdio` with its own state directory. The returned
 * `exited` promise resolves to {code, signal}; `stderr()` returns what the
 * daemon logged, for failure messages; `kill()` cleans up whatever is left.
 */
export function spawnStdio() {
  const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-node-test-'));
  const child = spawn(binPath(), ['stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SWITCHBOARD_STATE_DIR: stateDir },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    stderr += s;
  });
  const exited = new Promise((res) => {
    child.on('exit', (code, signal) => res({ code, signal }));
  });
  // A write after the child is gone must fail the test, not crash the runner.
  child.stdin.on('error', () => {});
  return {
    child,
    exited,
    stderr: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Frames body (a string or Buffer) with an exact LSP Content-Length header. */
export function frame(body) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${buf.length}\r\n\r\n`, 'ascii'), buf]);
}

/**
 * A raw JSON-RPC peer over a child's stdin/stdout with LSP framing. It sends
 * exact bytes and hands back every message it reads, in order.
 */
export class RawPeer {
  constructor(child) {
    this.child = child;
    this.buf = Buffer.alloc(0);
    this.messages = [];
    this.waiters = [];
    this.nextId = 1;
    this.closed = false;
    child.stdout.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.#parse();
    });
    child.stdout.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('stdout closed'));
    });
  }

  #parse() {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = this.buf.subarray(0, end).toString('ascii');
      const m = /^Content-Length:\s*(\d+)\s*$/im.exec(header);
      if (!m) throw new Error(`bad header from daemon: ${JSON.stringify(header)}`);
      const len = Number(m[1]);
      if (this.buf.length < end + 4 + len) return;
      const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 4 + len);
      const msg = JSON.parse(body);
      const w = this.waiters.shift();
      if (w) w.resolve(msg);
      else this.messages.push(msg);
    }
  }

  /** Writes body framed with a correct Content-Length. */
  sendRaw(body) {
    this.child.stdin.write(frame(body));
  }

  send(msg) {
    this.sendRaw(JSON.stringify(msg));
  }

  /** The next message from the daemon, whatever it is. */
  next(timeoutMs = 10000) {
    if (this.messages.length) return Promise.resolve(this.messages.shift());
    if (this.closed) return Promise.reject(new Error('stdout closed'));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no message from the daemon within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The next response (a message with no method), skipping notifications. */
  async nextResponse(timeoutMs = 10000) {
    for (;;) {
      const m = await this.next(timeoutMs);
      if (m.method === undefined) return m;
    }
  }

  /** Sends a request and returns its response. */
  async request(method, params) {
    const id = this.nextId++;
    const msg = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    this.send(msg);
    const resp = await this.nextResponse();
    if (resp.id !== id) throw new Error(`response id ${JSON.stringify(resp.id)}, want ${id}: ${JSON.stringify(resp)}`);
    return resp;
  }

  notify(method, params) {
    const msg = { jsonrpc: '2.0', method };
    if (params !== undefined) msg.params = params;
    this.send(msg);
  }
}
