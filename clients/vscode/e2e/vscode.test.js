// The Switchboard extension in a real VS Code (code-server 4.139.1, VS Code
// 1.139.1) driven by Playwright in Debian's Chromium: the packaged .vsix
// installed, the real `switchboard stdio` (bin/switchboard), a connector of
// the workspace built and watched by the daemon. Every step is done the way
// a user does it (command palette, quick picks, tree, notifications,
// CodeLens, Problems) and leaves a screenshot in artifacts/.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { BIN, VSCode, sleep } from './harness.js';

let vs;
let bank;
let bankURL;
let p;

/** Starts `switchboard demobank` on a free loopback port; resolves its URL. */
function startBank() {
  return new Promise((resolve, reject) => {
    bank = spawn(BIN, ['demobank', '--listen', '127.0.0.1:0', '--accounts', '3', '--payments-per-account', '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    bank.stdout.on('data', (d) => {
      out += d;
      const m = /^(http:\/\/\S+)\s*$/m.exec(out);
      if (m) resolve(m[1]);
    });
    bank.on('exit', (code) => reject(new Error(`demobank exited with ${code}`)));
    setTimeout(() => reject(new Error('demobank did not print its URL')), 20000);
  });
}

before(async () => {
  bankURL = await startBank();
  vs = new VSCode({
    settings: { 'switchboard.connectors': ['acme'] },
    // The author's connector: the scaffold `switchboard new connector` writes.
    prepare: (ws) => execFileSync(BIN, ['new', 'connector', 'acme', '--dir', join(ws, 'acme')], { stdio: 'pipe' }),
  });
  await vs.start();
  p = vs.page;
});

after(async () => {
  if (p) await vs.shot('end').catch(() => {});
  await vs?.stop();
  bank?.kill();
});

// A screenshot after every step, named after it: the artifact of a failure.
afterEach(async (t) => {
  if (p) await vs.shot(`after-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`).catch(() => {});
});

/** Opens the Switchboard view (the activity-bar container's Sessions view). */
async function showSessions() {
  await vs.command('Switchboard: Focus on Sessions View');
  await p.locator('.part.sidebar .composite.title', { hasText: 'Sessions' }).first().waitFor();
}

/** The tree row of that label (its description is rendered beside it). */
function row(label) {
  return p
    .locator('.part.sidebar .monaco-list-row')
    .filter({ has: p.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) })
    .first();
}

async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

test('creates a demo session in one pick', async () => {
  await showSessions();
  await vs.command('Switchboard: Create Session');
  await vs.pick('demo');
  await row('demo').waitFor();
  await row('payments').waitFor();
  assert.match(await row('payments').innerText(), /not fetched/);
  await p.locator('.statusbar-item', { hasText: 'Switchboard: connected' }).waitFor();
  await vs.shot('session-created');
});

test('fetches a page from the command palette', async () => {
  await vs.command('Switchboard: Fetch Next Page');
  await vs.pick('payments');
  await until('page 1 in the tree', async () => /1 page · 100 items · more/.test(await row('payments').innerText()));
  await vs.shot('page-fetched');
});

test('edits the state in an input box', async () => {
  await vs.command('Switchboard: Edit State');
  await vs.pick('payments');
  const shown = await vs.input('null', 'The connector state as JSON');
  assert.ok(shown && shown !== 'null', `the box showed the state after page 1: ${shown}`);
  await vs.command('Switchboard: Fetch Next Page');
  await vs.pick('payments');
  // The page after the edit is counted on (page 2) and fetched from null.
  await until('the refetched page', async () => /2 pages · 200 items · more/.test(await row('payments').innerText()));
  await vs.command('Switchboard: Show Output');
  await p.locator('.part.panel', { hasText: /state\sof\spayments\sset\sto\snull/ }).first().waitFor();
  await vs.shot('state-edited');
});

test('opens an HTTP exchange as a read-only JSON document, and a page state diff', async () => {
  await showSessions();
  await row('HTTP exchanges').click();
  const x = p.locator('.part.sidebar .monaco-list-row', { hasText: /GET / }).first();
  await x.waitFor();
  await x.click();
  await until('the exchange document', async () => /"request"/.test(await vs.editorText().catch(() => '')));
  const text = await vs.editorText();
  assert.match(text, /"method": "GET"/);
  assert.doesNotMatch(text, /demo-key/, 'the API key is redacted');
  await vs.shot('exchange-open');

  // Copy as curl: the inline action of the exchange row, into the browser's clipboard.
  await x.hover();
  await x.locator('.action-label[aria-label="Copy as curl"]').click();
  await vs.notification('curl command copied');
  const curl = await p.evaluate(() => navigator.clipboard.readText());
  assert.match(curl, /^curl 'http:\/\/127\.0\.0\.1:\d+\/v1\/transactions\?/);
  assert.match(curl, /-H 'Authorization: \*\*\*'/);
  assert.doesNotMatch(curl, /demo-key/);

  // The state before and after a page, in the diff editor.
  await row('payments').click();
  const page = p.locator('.part.sidebar .monaco-list-row').filter({ has: p.locator('.label-name', { hasText: /^page 2$/ }) }).first();
  await page.waitFor();
  await page.hover();
  await page.locator('.action-label[aria-label="Compare State Before and After"]').click();
  const diff = p.locator('.editor-group-container.active .monaco-diff-editor').first();
  await diff.waitFor();
  await p.locator('.tabs-container .tab.active', { hasText: 'before ↔ after page 2' }).first().waitFor();
  // Monaco draws the two sides after the tab: under load that takes a while.
  let sides = [];
  await until('the two sides of the diff drawn', async () => {
    sides = (await diff.locator('.view-lines').allInnerTexts()).map((t) => t.replace(/\u00a0/g, ' '));
    return sides.length === 2 && sides.every((t) => t.trim() !== '');
  });
  assert.equal(sides.length, 2, 'two sides');
  assert.match(sides[0], /cursor|null/);
  assert.notEqual(sides[0], sides[1], 'the page moved the state');
  await vs.shot('state-diff');
});

test("runs a sync and cancels it from VS Code's progress notification", async () => {
  // A big bank, configured in the config document (validated by the
  // provider's JSON Schema), so the sync runs long enough to cancel.
  await vs.command('Switchboard: Edit Config');
  await vs.pick('demo');
  const editor = p.locator('.editor-group-container.active .monaco-editor').first();
  await editor.waitFor();
  await until('the config document', async () => /\$schema/.test(await vs.editorText()));
  const schema = /"\$schema": "([^"]+)"/.exec(await vs.editorText())[1];
  await editor.click();
  await p.keyboard.press('Control+A');
  await p.keyboard.press('Delete');
  await p.keyboard.insertText(`{"$schema": "${schema}", "accounts": "many"}`);
  // VS Code's JSON support checks it against the provider's schema.
  await vs.command('View: Focus Problems (Errors, Warnings, Infos)');
  await p.locator('.markers-panel', { hasText: 'Incorrect type' }).first().waitFor({ timeout: 30000 });
  await vs.shot('config-invalid');
  await editor.click();
  await p.keyboard.press('Control+A');
  await p.keyboard.press('Delete');
  await p.keyboard.insertText(`{"$schema": "${schema}", "accounts": 40, "paymentsPerAccount": 50000}`);
  await p.keyboard.press('Control+S');
  await showSessions();
  await row('demo-2').waitFor();

  await vs.command('Switchboard: Run Sync');
  await vs.pick('demo-2');
  const toast = await vs.notification('Running sync');
  await p.locator('.statusbar-item', { hasText: '1 running' }).waitFor();
  await until('a progress message', async () => /pages?/.test(await toast.innerText()));
  await vs.shot('sync-running');
  await toast.locator('.monaco-button, a.monaco-button', { hasText: 'Cancel' }).first().click();
  await vs.notification('Sync cancelled after');
  await vs.shot('sync-cancelled');
});

/** Opens a workspace file at a line with Quick Open (Ctrl+P) and Go to Line (Ctrl+G). */
async function openAt(rel, line) {
  const input = p.locator('.quick-input-widget .quick-input-box input');
  const name = rel.split('/').at(-1);
  const tab = p.locator('.tabs-container .tab', { hasText: name }).first();
  await p.keyboard.press('Escape');
  if (await tab.count()) {
    await tab.click();
  } else {
    await p.keyboard.press('Control+P');
    await input.waitFor();
    await input.fill(rel);
    await p.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
    await input.press('Enter');
  }
  await p.locator('.tabs-container .tab.active', { hasText: name }).first().waitFor();
  await p.keyboard.press('Control+G');
  await input.waitFor();
  await input.fill(`:${line}`);
  await input.press('Enter');
}

function lineOf(file, text) {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} not in ${file}`);
  return i + 1;
}

test('shows CodeLens above the connector methods and runs them', async () => {
  const file = join(vs.workspace, 'acme', 'connector.go');
  const line = lineOf(file, 'func (c *Connector) FetchAccounts(');
  await openAt('acme/connector.go', line);
  const lens = p.locator('.codelens-decoration a', { hasText: 'Fetch next page' });
  await until('the lenses', async () => (await lens.count()) === 2, 60000);
  assert.equal(await p.locator('.codelens-decoration a', { hasText: 'Reset state' }).count(), 2);
  await vs.shot('codelens');
  // acme needs config: the first lens opens its document; saving it
  // creates the session; the lens then fetches.
  await lens.first().click();
  await until('the acme config document', async () => /\$schema/.test(await vs.editorText()));
  const editor = p.locator('.editor-group-container.active .monaco-editor').first();
  const schema = /"\$schema": "([^"]+)"/.exec(await vs.editorText())[1];
  await editor.click();
  await p.keyboard.press('Control+A');
  await p.keyboard.press('Delete');
  await p.keyboard.insertText(`{"$schema": "${schema}", "apiKey": "demo-key", "baseUrl": "${bankURL}"}`);
  await p.keyboard.press('Control+S');
  await showSessions();
  await row('acme').waitFor();
  // Back in the source, the same lens now fetches from the acme session.
  await openAt('acme/connector.go', line);
  await lens.first().click();
  await vs.command('Switchboard: Show Output');
  await p.locator('.part.panel', { hasText: /fetch\/next\saccounts:\spage\s1,\s\d+\sitems/ }).first().waitFor();
  await vs.shot('codelens-fetched');
});

test('runs the pagination check from the Test Explorer; a finding lands on the fetch method', async () => {
  const file = join(vs.workspace, 'acme', 'connector.go');
  const src = readFileSync(file, 'utf8');
  // The classic bug: the page hands back the state it was given.
  const buggy = src
    .replace('page, newState, err := c.list(ctx, path, req)', 'page, _, err := c.list(ctx, path, req)')
    .replace('out := connector.Page[connector.Payment]{NewState: newState,', 'out := connector.Page[connector.Payment]{NewState: req.State,');
  assert.notEqual(buggy, src);
  writeFileSync(file, buggy);
  await vs.command('Switchboard: Show Output');
  await p.locator('.part.panel', { hasText: /acme\srebuilt\sand\sreloaded/ }).first().waitFor({ timeout: 120000 });

  await vs.command('Testing: Focus on Test Explorer View');
  const acme = p.locator('.part.sidebar .monaco-list-row', { hasText: /^\s*acme/ }).first();
  await acme.waitFor();
  await acme.hover();
  await acme.locator('.action-label[aria-label^="Run Test"]').first().click();
  await vs.command('View: Focus Problems (Errors, Warnings, Infos)');
  const finding = p.locator('.markers-panel .monaco-list-row', { hasText: /payments\stermination/ }).first();
  await finding.waitFor({ timeout: 120000 });
  assert.match(await finding.innerText(), new RegExp(`Ln ${lineOf(file, 'func (c *Connector) FetchPayments(')},`));
  await vs.command('Testing: Focus on Test Explorer View');
  await acme.click(); // expand: payments failed, accounts passed
  await p.locator('.part.sidebar .monaco-list-row', { hasText: /^\s*payments/ }).first().waitFor();
  await vs.shot('check-in-test-explorer');
  writeFileSync(file, src);
  await vs.command('Switchboard: Show Output');
});

test('shows a build error of the workspace connector as a diagnostic on its line', async () => {
  const file = join(vs.workspace, 'acme', 'connector.go');
  const src = readFileSync(file, 'utf8');
  const broken = src.replace('func asset(', 'var _ = undefinedHelper()\n\nfunc asset(');
  assert.notEqual(broken, src);
  writeFileSync(file, broken);
  await vs.command('View: Focus Problems (Errors, Warnings, Infos)');
  // The check findings of the step before fill the list (one per account and
  // page size); the filter shows the build error wherever it sorts.
  const filter = p.locator('.part.panel input[placeholder^="Filter"]').first();
  await filter.fill('undefinedHelper');
  await p.locator('.markers-panel', { hasText: 'undefined: undefinedHelper' }).first().waitFor({ timeout: 120000 });
  await p.locator('.statusbar-item', { hasText: '1 build failed' }).waitFor();
  await vs.shot('build-error');
  writeFileSync(file, src);
  await until('the problem cleared', async () => !(await p.locator('.markers-panel').innerText()).includes('undefinedHelper'), 120000);
  await filter.fill('');
});
