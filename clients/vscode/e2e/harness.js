// Runs a real VS Code (code-server, installed by scripts/code-server.sh into
// a cache outside the clone) with the packaged extension, and drives it
// with Playwright in Debian's Chromium. Everything lives in one temporary
// directory; stop() ends code-server's whole process group (it starts an
// extension host, a file watcher and an agent host, and the extension
// starts `switchboard stdio`, which starts workspace connectors).

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..', '..');
export const BIN = resolve(process.env.SWITCHBOARD_BIN || join(repo, 'bin', 'switchboard'));
export const VSIX = join(here, '..', 'switchboard.vsix');
export const ARTIFACTS = join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** NODE24 and CODE_SERVER from scripts/code-server.sh env; throws with the fix when missing. */
export function codeServerEnv() {
  let out;
  try {
    out = execFileSync(join(repo, 'scripts', 'code-server.sh'), ['env'], { encoding: 'utf8' });
  } catch (e) {
    throw new Error(`code-server is not installed: run scripts/code-server.sh install (or scripts/setup-test.sh)\n${e.stdout ?? ''}`);
  }
  const env = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=', 2)));
  return { node24: env.NODE24, codeServer: env.CODE_SERVER };
}

/** The go binary the daemon builds workspace connectors with. */
function goBinary() {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/local/go/bin']) {
    if (d && existsSync(join(d, 'go'))) return join(d, 'go');
  }
  throw new Error('go not found on PATH nor in /usr/local/go/bin');
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export class VSCode {
  /** @param {{settings?: object, prepare?: (workspace: string) => void}} opts */
  constructor(opts = {}) {
    this.opts = opts;
    this.log = '';
    this.shots = 0;
  }

  async start() {
    if (!existsSync(BIN)) throw new Error(`no switchboard binary at ${BIN}: make build, or set SWITCHBOARD_BIN`);
    if (!existsSync(VSIX)) throw new Error(`no ${VSIX}: npm run package in clients/vscode`);
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run clients/web/test/setup.sh`);
    const { node24, codeServer } = codeServerEnv();
    mkdirSync(ARTIFACTS, { recursive: true });
    this.root = mkdtempSync(join(tmpdir(), 'sb-vscode-e2e-'));
    this.workspace = join(this.root, 'workspace');
    this.userData = join(this.root, 'user-data');
    this.extensions = join(this.root, 'extensions');
    for (const d of [this.workspace, join(this.userData, 'User'), this.extensions, join(this.root, 'home')]) mkdirSync(d, { recursive: true });
    this.opts.prepare?.(this.workspace);
    // VS Code's server takes the extension host's environment from a login
    // shell of the user: this home's profile puts go on its PATH, as a
    // developer's does.
    writeFileSync(join(this.root, 'home', '.profile'), `export PATH="$PATH:${dirname(goBinary())}"\n`);
    writeFileSync(
      join(this.userData, 'User', 'settings.json'),
      JSON.stringify(
        {
          'switchboard.path': BIN,
          'workbench.startupEditor': 'none',
          'security.workspace.trust.enabled': false,
          'telemetry.telemetryLevel': 'off',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'update.mode': 'none',
          'workbench.tips.enabled': false,
          'workbench.enableExperiments': false,
          'chat.disableAIFeatures': true,
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          'editor.codeLens': true,
          'files.autoSave': 'off',
          'window.commandCenter': false,
          ...this.opts.settings,
        },
        null,
        2,
      ),
    );
    // code-server, its extension host and the daemon: nothing of the
    // user's home (config, state, the switchboard session store) is used.
    this.env = {
      ...process.env,
      PATH: `${node24}/bin:${process.env.PATH}:/usr/local/go/bin`,
      HOME: join(this.root, 'home'),
      XDG_CONFIG_HOME: join(this.root, 'home', '.config'),
      XDG_DATA_HOME: join(this.root, 'home', '.local', 'share'),
      XDG_STATE_HOME: join(this.root, 'home', '.local', 'state'),
      SWITCHBOARD_STATE_DIR: join(this.root, 'switchboard-state'),
      // Go's caches stay where they are: a connector build reuses them.
      GOCACHE: process.env.GOCACHE || execFileSync('go', ['env', 'GOCACHE'], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` } }).trim(),
      GOMODCACHE: process.env.GOMODCACHE || execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` } }).trim(),
      GOFLAGS: '-mod=mod',
    };
    const base = ['--extensions-dir', this.extensions, '--user-data-dir', this.userData];
    execFileSync(codeServer, [...base, '--install-extension', VSIX], { env: this.env, stdio: 'pipe', timeout: 120000 });
    this.port = await freePort();
    // Its own process group (detached), so stop() reaches every helper.
    this.server = spawn(
      codeServer,
      [...base, '--auth', 'none', '--bind-addr', `127.0.0.1:${this.port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', this.workspace],
      { env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.server.stdout.on('data', (d) => (this.log += d));
    this.server.stderr.on('data', (d) => (this.log += d));
    const end = Date.now() + 60000;
    while (!/HTTP server listening/.test(this.log)) {
      if (this.server.exitCode !== null) throw new Error(`code-server exited with ${this.server.exitCode}:\n${this.log}`);
      if (Date.now() > end) throw new Error(`code-server did not listen within 60 s:\n${this.log}`);
      await sleep(100);
    }
    this.browser = await chromium.launchPersistentContext(join(this.root, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 900 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    this.page = this.browser.pages()[0] || (await this.browser.newPage());
    this.page.setDefaultTimeout(30000);
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    // The extension's contributions are in once its activity-bar item is:
    // a command palette opened before that lists none of its commands.
    await this.page.locator('.activitybar .action-label[class*="activity-workbench-view-extension-switchboard"]').waitFor({ timeout: 60000 });
    return this;
  }

  /** Saves a screenshot into artifacts/ as NN-name.png. */
  async shot(name) {
    const n = String(++this.shots).padStart(2, '0');
    await this.page.screenshot({ path: join(ARTIFACTS, `${n}-${name}.png`) });
  }

  /** Runs a command from the command palette by its title (e.g. "Switchboard: Fetch Next Page"). */
  async command(title) {
    const p = this.page;
    const input = p.locator('.quick-input-widget .quick-input-box input');
    // F1 is lost while the workbench is still taking focus: press again.
    for (let i = 0; ; i++) {
      await p.keyboard.press('Escape');
      await p.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 3000 });
        break;
      } catch (e) {
        if (i === 5) throw e;
        await p.locator('.monaco-workbench .part.editor').click({ position: { x: 5, y: 5 } }).catch(() => {});
      }
    }
    await input.fill(`>${title}`);
    const row = p.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await row.waitFor();
    await input.press('Enter');
  }

  /** Answers the quick pick on screen with the item of that label. */
  async pick(label) {
    const p = this.page;
    const input = p.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(label);
    await p.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().waitFor();
    await input.press('Enter');
    // What comes next (another pick, an input box, nothing) waits for its own sign.
    await sleep(300);
  }

  /**
   * Answers the input box that shows prompt (a quick pick closing and an
   * input box opening share one widget: the prompt tells them apart);
   * returns the value it proposed.
   */
  async input(value, prompt) {
    const p = this.page;
    await p.locator('.quick-input-widget', { hasText: prompt }).waitFor();
    const input = p.locator('.quick-input-widget .quick-input-box input');
    const shown = await input.inputValue();
    await input.fill(value);
    await input.press('Enter');
    await p.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    return shown;
  }

  /** The Switchboard view's tree rows' texts. */
  async rows() {
    return this.page.locator('.part.sidebar .monaco-list-row').allInnerTexts();
  }

  /** Waits for a notification toast with that text; returns its locator. */
  async notification(text, timeout = 30000) {
    const t = this.page.locator('.notification-toast', { hasText: text }).first();
    await t.waitFor({ timeout });
    return t;
  }

  /** The text of the editor in front (Monaco renders only what is visible). */
  async editorText() {
    const t = await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
    return t.replace(/\u00a0/g, ' ');
  }

  async stop() {
    try {
      if (this.browser) await this.browser.close();
    } catch {
      /* already gone */
    }
    if (this.server && this.server.exitCode === null) {
      const exited = new Promise((r) => this.server.once('exit', r));
      try {
        process.kill(-this.server.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(-this.server.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000);
      await exited;
      clearTimeout(t);
    }
    // Helpers that outlived the server (its group) are ended too.
    if (this.server) {
      try {
        process.kill(-this.server.pid, 'SIGKILL');
      } catch {
        /* none left */
      }
    }
    if (this.root && !process.env.KEEP_E2E) rmSync(this.root, { recursive: true, force: true });
  }
}
