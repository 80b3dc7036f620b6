// Browser test of the web console: Playwright (playwright-core) drives
// Debian's Chromium against the real daemon binary. It builds nothing: set
// SWITCHBOARD_BIN, or build bin/switchboard at the repository root first
// (go build -o bin/switchboard ./cmd/switchboard).
//
// Screenshots of every step go to ./artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, process.env.SWITCHBOARD_BIN || '../../../bin/switchboard');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(here, 'artifacts');

let daemon;
let daemonLog = '';
let stateDir;
let userDataDir;
let browser;
let page;
const pageErrors = [];

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function waitForFile(path, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (existsSync(path)) {
      try { return JSON.parse(readFileSync(path, 'utf8')); } catch { /* being written */ }
    }
    if (daemon.exitCode !== null) throw new Error(`daemon exited with ${daemon.exitCode}:\n${daemonLog}`);
    await sleep(50);
  }
  throw new Error(`no ${path} after ${ms} ms:\n${daemonLog}`);
}

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

before(async () => {
  assert.ok(existsSync(BIN), `no switchboard binary at ${BIN}: build it with go build -o bin/switchboard ./cmd/switchboard, or set SWITCHBOARD_BIN`);
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run setup.sh (apt-get install -y chromium)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  stateDir = mkdtempSync(join(tmpdir(), 'switchboard-web-'));
  userDataDir = mkdtempSync(join(tmpdir(), 'switchboard-chromium-'));
  daemon = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--store', 'memory'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout.on('data', (d) => { daemonLog += d; });
  daemon.stderr.on('data', (d) => { daemonLog += d; });
  // A persistent context is how Playwright takes a fresh --user-data-dir.
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
});

after(async () => {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    const timer = setTimeout(() => daemon.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  for (const d of [stateDir, userDataDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function createSession({ name, accounts, paymentsPerAccount, pageSize, shotName }) {
  await page.click('#new-session');
  await page.waitForSelector('#new-dialog[open]');
  await page.selectOption('#ns-provider', 'demo');
  await page.fill('#ns-name', name);
  if (pageSize) await page.fill('#ns-pagesize', String(pageSize));
  await page.fill('#cfg-accounts', String(accounts));
  await page.fill('#cfg-paymentsPerAccount', String(paymentsPerAccount));
  if (shotName) await shot(shotName);
  await page.click('#ns-create');
  await page.waitForSelector('#new-dialog', { state: 'hidden' });
  await page.waitForFunction((n) => document.querySelector('#s-name')?.textContent === n, name);
}

test('web console against the real daemon', async (t) => {
  const info = await waitForFile(join(stateDir, 'daemon.json'), 15000);
  const host = new URL(info.url).host;
  const browserURL = `http://${host}/?token=${encodeURIComponent(info.token)}`;
  assert.match(daemonLog, new RegExp(`browser: +http://${host.replace(/\./g, '\\.')}/\\?token=`));

  await t.test('opens, connects and hides the token', async () => {
    const res = await page.goto(browserURL);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'], /connect-src 'self' ws:\/\//);
    await page.waitForSelector('#conn[data-state="online"]');
    await page.waitForSelector('#providers [data-provider="demo"]');
    assert.ok(!page.url().includes('token'), `token still in the address bar: ${page.url()}`);
    await shot('01-connected');
  });

  await t.test('creates a demo session through the form', async () => {
    await page.click('#new-session');
    await page.waitForSelector('#new-dialog[open]');
    // The form comes from the config schema: secrets are password inputs,
    // descriptions are shown.
    assert.equal(await page.getAttribute('#cfg-apiKey', 'type'), 'password');
    assert.equal(await page.getAttribute('#cfg-accounts', 'type'), 'number');
    assert.match(await page.textContent('#new-dialog'), /Accounts of the in-process bank/);
    await page.click('#ns-cancel');
    await createSession({ name: 'demo-small', accounts: 3, paymentsPerAccount: 2000, shotName: '02-new-session-form' });
    assert.match(await page.textContent('#s-provider'), /demo/);
    assert.match(await page.textContent('#s-caps'), /fetch:payments/);
    await page.waitForSelector('#sessions [data-session-id]');
    await shot('03-session-created');
  });

  await t.test('runs a sync: rows and progress appear live, then the result', async () => {
    await page.click('#tabs [data-resource="payments"]');
    // Rows must arrive while the progress bar is still shown: an observer
    // notes the first row added during the run, however fast the sync is.
    await page.evaluate(() => {
      window.__live = null;
      new MutationObserver((_, obs) => {
        const rows = document.querySelectorAll('#items tbody tr').length;
        if (rows > 0 && !document.querySelector('#progress').hidden) {
          window.__live = { rows, bar: !!document.querySelector('#progress .bar') };
          obs.disconnect();
        }
      }).observe(document.querySelector('#items tbody'), { childList: true });
    });
    await page.click('#btn-sync');
    const seen = await page.waitForFunction(() => window.__live, null, { timeout: 30000 });
    const live = await seen.jsonValue();
    await shot('04-sync-running');
    assert.ok(live.rows > 0 && live.bar);
    await page.waitForSelector('#result[data-kind="ok"]', { timeout: 60000 });
    const result = await page.textContent('#result');
    assert.match(result, /Sync done: .* 6,000 items|Sync done: .*items/);
    assert.equal(await page.textContent('#tabs [data-count-for="payments"]'), '6,000');
    assert.equal(await page.isHidden('#progress'), true);
    // Payments show their amount with the asset's decimals.
    const amount = await page.textContent('#items tbody tr:first-child td.num');
    assert.match(amount, /^-?[\d,]+\.\d{2}$/);
    await shot('05-sync-done');
    await page.click('#tabs [data-resource="accounts"]');
    assert.equal(await page.locator('#items tbody tr').count(), 3);
    await page.click('#tabs [data-resource="payments"]');
  });

  await t.test('shows and edits state', async () => {
    await page.click('.panel-tab[data-panel="state"]');
    await page.waitForSelector('#panel-state tr[data-key="accounts"]');
    await page.click('#panel-state tr[data-key="accounts"]');
    await page.fill('#state-json', '{"cursor": ');
    await page.click('#state-save');
    assert.match(await page.textContent('#state-msg'), /invalid JSON/i);
    await page.fill('#state-json', '{"cursor": null}');
    await page.click('#state-save');
    await page.waitForFunction(() => /Saved/.test(document.querySelector('#state-msg')?.textContent || ''));
    assert.match(await page.inputValue('#state-json'), /"cursor": null/);
    await shot('06-state');
  });

  await t.test('creates a transfer and a payout from the session header', async () => {
    assert.equal(await page.isVisible('#btn-transfer'), true);
    await page.click('#btn-transfer');
    await page.waitForSelector('#pay-dialog[open]');
    // The accounts the sync stored are offered.
    const accounts = await page.$$eval('#pay-from-list option', (os) => os.map((o) => o.value));
    assert.equal(accounts.length, 3);
    await page.fill('#pay-from', accounts[0]);
    await page.dispatchEvent('#pay-from', 'change');
    const asset = await page.inputValue('#pay-asset');
    assert.match(asset, /^[A-Z]{3}\/\d$/, 'the source account\'s asset is proposed');
    await page.fill('#pay-to', accounts[1]);
    await page.fill('#pay-amount', '12.50');
    await page.click('#pay-create');
    assert.match(await page.textContent('#pay-errors'), /whole number of minor units/);
    await page.fill('#pay-amount', '1250');
    assert.equal(await page.isHidden('#pay-errors'), true, 'the error goes once the amount is edited');
    await shot('06a-transfer-form');
    await page.click('#pay-create');
    await page.waitForSelector('#pay-dialog', { state: 'hidden' });
    await page.waitForFunction(() => /Transfer \S+ SUCCEEDED/.test(document.querySelector('#result')?.textContent || ''), null, { timeout: 30000 });
    assert.equal(await page.getAttribute('#result', 'data-kind'), 'ok');
    assert.match(await page.textContent('#panel-item pre.json'), /"type": "TRANSFER"/);

    await page.click('#btn-payout');
    await page.waitForSelector('#pay-dialog[open]');
    assert.match(await page.textContent('#pay-title'), /New payout/);
    const beneficiaries = await page.$$eval('#pay-to-list option', (os) => os.map((o) => o.value));
    assert.ok(beneficiaries.length > 0 && beneficiaries.every((b) => !accounts.includes(b)), `beneficiaries ${beneficiaries}`);
    await page.fill('#pay-from', accounts[0]);
    await page.dispatchEvent('#pay-from', 'change');
    await page.fill('#pay-to', beneficiaries[0]);
    await page.fill('#pay-amount', '5000');
    await page.click('#pay-create');
    // The demo bank settles payouts later: the console polls.
    await page.waitForFunction(() => /Payout \S+ SUCCEEDED/.test(document.querySelector('#result')?.textContent || ''), null, { timeout: 30000 });
    assert.match(await page.textContent('#result'), new RegExp(`to ${beneficiaries[0]}`));
    assert.match(await page.textContent('#panel-item pre.json'), /"type": "PAYOUT"/);
    await shot('06b-payout-done');
  });

  await t.test('cancels a long sync with the Cancel button', async () => {
    await createSession({ name: 'demo-big', accounts: 20, paymentsPerAccount: 50000 });
    await page.click('#tabs [data-resource="payments"]');
    await page.click('#btn-sync');
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('#items tbody tr').length;
      return !document.querySelector('#progress').hidden && rows >= 100;
    }, null, { polling: 'raf', timeout: 60000 });
    await shot('07-big-sync-running');
    await page.click('#progress-cancel');
    await page.waitForSelector('#result[data-kind="cancelled"]', { timeout: 30000 });
    assert.equal(await page.getAttribute('#result', 'data-code'), '-32800');
    assert.match(await page.textContent('#result'), /-32800/);
    assert.equal(await page.isHidden('#progress'), true);
    await shot('08-cancelled');
    // The daemon is free again: a next page works on the same session.
    await page.click('#btn-next');
    await page.waitForSelector('#result[data-kind="ok"]', { timeout: 30000 });
    assert.match(await page.textContent('#result'), /Page \d+ of payments/);
  });

  await t.test('logs and HTTP panels render', async () => {
    await page.click('.panel-tab[data-panel="logs"]');
    await page.waitForSelector('#panel-logs:not([hidden])');
    await shot('09-logs');
    await page.click('.panel-tab[data-panel="http"]');
    await page.waitForSelector('#panel-http:not([hidden])');
    // A daemon that records HTTP exchanges (http/exchange, http/list) shows
    // them; one that does not leaves the panel with its explanation.
    await page.waitForFunction(() => document.querySelector('#panel-http').textContent.trim() !== '');
    if (await page.locator('#panel-http tr.exchange').count() > 0) {
      await page.click('#panel-http tr.exchange');
      await page.waitForSelector('#panel-http tr.exchange-detail');
      assert.match(await page.textContent('#panel-http tr.exchange-detail'), /Request · GET http/);
    } else {
      assert.match(await page.textContent('#panel-http'), /No HTTP exchanges yet/);
    }
    await shot('10-http');
    await page.click('#items tbody tr:first-child');
    await page.waitForSelector('#panel-item pre.json');
    assert.match(await page.textContent('#panel-item pre.json'), /"reference"/);
    await shot('11-item');
  });

  await t.test('recordings panel records a page and diffs it', async () => {
    const cassette = join(stateDir, 'web.yaml');
    await page.click('.panel-tab[data-panel="recordings"]');
    await page.waitForSelector('#panel-recordings:not([hidden])');
    await page.fill('#panel-recordings input[aria-label="Record into"]', cassette);
    await page.click('#panel-recordings button:has-text("Record")');
    await page.waitForFunction(() => /Recording into/.test(document.querySelector('#panel-recordings').textContent), null, { timeout: 30000 });
    await page.click('#btn-next');
    await page.waitForSelector('#result[data-kind="ok"]', { timeout: 30000 });
    await page.click('#panel-recordings button:has-text("Stop and save")');
    await page.waitForSelector('#panel-recordings input[aria-label="Record into"]', { timeout: 30000 });
    assert.equal(existsSync(cassette), true, 'no cassette written');
    assert.match(readFileSync(cassette, 'utf8'), /method: SWITCHBOARD/);
    assert.equal(await page.inputValue('#panel-recordings input[aria-label="From"]'), cassette);
    await page.click('#panel-recordings button:has-text("Run diff")');
    await page.waitForFunction(() => /\d+ calls, \d+ endpoints: \d+ schema drifts/.test(document.querySelector('#panel-recordings').textContent), null, { timeout: 60000 });
    assert.match(await page.textContent('#panel-recordings'), /1 calls, \d+ endpoints: 0 schema drifts/);
    await shot('11b-recordings');
  });

  await t.test('breaks the connector with a fault rule from the Faults panel', async () => {
    await page.click('.panel-tab[data-panel="faults"]');
    await page.waitForSelector('#panel-faults form.fault-form');
    await page.selectOption('#panel-faults select[name="kind"]', 'status');
    await page.fill('#panel-faults input[name="status"]', '503');
    await page.fill('#panel-faults input[name="times"]', '1');
    await page.click('#panel-faults button[type="submit"]');
    await page.waitForSelector('#panel-faults tr.fault-rule');
    await shot('12-fault-rule');
    await page.click('#btn-next');
    await page.waitForSelector('#result[data-kind="error"]', { timeout: 30000 });
    assert.match(await page.textContent('#result'), /503/);
    await page.click('.panel-tab[data-panel="http"]');
    await page.waitForSelector('#panel-http .fault-badge', { timeout: 30000 });
    assert.match(await page.textContent('#panel-http .fault-badge'), /fault status/);
    await shot('13-fault-marked');
    await page.click('.panel-tab[data-panel="faults"]');
    await page.waitForFunction(() => document.querySelector('#panel-faults .fault-fired')?.textContent === '1');
    await page.click('#faults-clear');
    await page.waitForFunction(() => /No fault rules/.test(document.querySelector('#panel-faults').textContent));
  });

  await t.test('refuses page sizes out of range, naming the range', async () => {
    await createSession({ name: 'demo-pages', accounts: 2, paymentsPerAccount: 30 });
    await page.click('#tabs [data-resource="payments"]');
    for (const bad of ['-3', '0', '100001', '2.5']) {
      await page.fill('#page-size', bad);
      await page.click('#btn-next');
      await page.waitForFunction(
        (b) => (document.querySelector('#result')?.textContent || '').includes(`Page size ${b} is out of range: want a whole number from 1 to 100,000`),
        bad, { timeout: 5000 });
      assert.equal(await page.getAttribute('#result', 'data-kind'), 'error');
      assert.match(await page.getAttribute('#page-size', 'class') || '', /invalid/);
    }
    await page.fill('#page-size', '-3');
    await page.click('#btn-all');
    await page.waitForFunction(() => /Page size -3 is out of range/.test(document.querySelector('#result')?.textContent || ''));
    // Nothing was fetched: the first page to come is page 1.
    await shot('03b-page-size-refused');
    // In range, the next page is fetched with it.
    await page.fill('#page-size', '4');
    await page.click('#btn-next');
    await page.waitForFunction(() => /Page 1 of payments: 4 items/.test(document.querySelector('#result')?.textContent || ''), null, { timeout: 15000 });
    assert.doesNotMatch(await page.getAttribute('#page-size', 'class') || '', /invalid/);
    await page.fill('#page-size', '');
    // The new-session form refuses them the same way.
    await page.click('#new-session');
    await page.waitForSelector('#new-dialog[open]');
    await page.selectOption('#ns-provider', 'demo');
    await page.fill('#ns-pagesize', '-3');
    await page.click('#ns-create');
    await page.waitForFunction(() => /Page size -3 is out of range: want a whole number from 1 to 100,000/.test(document.querySelector('#new-dialog')?.textContent || ''));
    await page.click('#ns-cancel');
  });

  assert.deepEqual(pageErrors, [], 'errors in the page');
});
