import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Account, FetchAllResult, Page, Payment, Session, SyncRunResult } from '@switchboard/client';

import type { Disposable } from '../src/api';
import { Commands, Controller, SessionsViewId, connectorArgs } from '../src/controller';
import { exchangeLine } from '../src/format';
import { sessionResources } from '../src/model';
import { Node } from '../src/tree';
import { FakeOutputChannel, FakeTestItemCollection, FakeTreeItem, FakeVscode } from './fakeVscode';

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
if (!fs.existsSync(bin)) {
  throw new Error(`switchboard binary not found at ${bin}: build it (go build -o bin/switchboard ./cmd/switchboard) or set SWITCHBOARD_BIN`);
}
const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));

async function until<T>(what: string, fn: () => T | undefined, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Switchboard extension logic against the real daemon', { timeout: 120000 }, () => {
  const fake = new FakeVscode({ 'switchboard.path': bin });
  const controller = new Controller(fake, { version: 'test' });
  let disposables: Disposable[] = [];
  let output: FakeOutputChannel;
  let session: Session;

  const tree = () => fake.treeProviders.get(SessionsViewId)!;
  const children = async (n?: Node): Promise<Node[]> => (await tree().getChildren(n)) ?? [];
  const item = async (n: Node): Promise<FakeTreeItem> => (await tree().getTreeItem(n)) as FakeTreeItem;
  const resourceNode = (sessionId: string, resource: string): Node => ({ kind: 'resource', sessionId, resource });

  before(() => {
    disposables = controller.register();
    output = fake.outputs.get('Switchboard')!;
  });
  after(async () => {
    for (const d of disposables) d.dispose();
    await controller.close();
  });

  it('registers the commands and the view that package.json declares', () => {
    const declared = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual([...fake.commandHandlers.keys()].sort(), declared);
    assert.deepEqual([...Commands].sort(), declared);
    assert.ok(fake.treeProviders.has(SessionsViewId));
    assert.equal(manifest.contributes.views.switchboard[0].id, SessionsViewId);
    assert.equal(manifest.contributes.viewsContainers.activitybar[0].id, 'switchboard');
    assert.ok(output, 'an output channel named Switchboard');
  });

  it('creates a demo session in one pick, with the defaults', async () => {
    fake.pick('demo');
    const one = (await fake.executeCommand<Session>('switchboard.createSession'))!;
    assert.ok(one, `no session: ${JSON.stringify(fake.messages)}`);
    assert.equal(one.provider, 'demo');
    assert.equal(one.name, 'demo');
    assert.equal(fake.inputsShown.length, 0, 'no input box');
    assert.equal(fake.pickAnswers.length, 0);
    assert.equal(fake.statusItems[0].text, '$(plug) Switchboard: connected · 1 session');
    await fake.executeCommand('switchboard.closeSession', { kind: 'session', sessionId: one.id });
  });

  it("edits a config as a JSON document validated by the provider's schema; saving it creates the session", async () => {
    const file = (await fake.executeCommand<string>('switchboard.editConfig', 'demo'))!;
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(fake.shownDocuments.at(-1)!.uri.fsPath, file);
    assert.match(doc.$schema, /^file:\/\/.*demo\.schema\.json$/);
    const schema = JSON.parse(fs.readFileSync(doc.$schema.slice('file://'.length), 'utf8'));
    assert.equal(schema.properties.apiKey.writeOnly, true, 'the schema VS Code validates with is the provider\'s');
    assert.equal(schema.properties.accounts.maximum, 10000);

    // A config the daemon refuses: a coded error, no session.
    fake.save(file, JSON.stringify({ $schema: doc.$schema, accounts: 'two' }));
    const refused = await until('an error message', () => fake.messages.find((m) => m.level === 'error'));
    assert.match(refused.text, /accounts/);
    fake.messages.length = 0;

    fake.save(file, JSON.stringify({ $schema: doc.$schema, accounts: 2, paymentsPerAccount: 150 }, null, 2));
    const st = await until('the session', () => controller.store.list()[0]);
    session = st.session;
    assert.equal(session.provider, 'demo');
    assert.equal(session.name, 'demo');
    assert.deepEqual(JSON.parse(JSON.stringify(session.config)).accounts, 2);

    const roots = await children();
    assert.equal(roots.length, 1);
    const s = await item(roots[0]);
    assert.equal(s.label, 'demo');
    assert.equal(s.contextValue, 'session');
    const resources = await children(roots[0]);
    const labels = await Promise.all(resources.map(async (r) => (await item(r)).label));
    assert.deepEqual(labels, ['accounts', 'balances', 'externalAccounts', 'payments', 'orders', 'conversions']);
    assert.equal((await item(resources[3])).description, 'not fetched');
  });

  it('fetches the next page twice: state carried over, counts and pages in the tree', async () => {
    const node = resourceNode(session.id, 'payments');
    const p1 = await fake.executeCommand<Page>('switchboard.fetchNext', node);
    const p2 = await fake.executeCommand<Page>('switchboard.fetchNext', node);
    assert.ok(p1 && p2, JSON.stringify(fake.messages));
    assert.equal(p1.page, 1);
    assert.equal(p2.page, 2);
    const r = await item(node);
    assert.equal(r.description, '2 pages · 200 items · more');
    assert.equal(r.contextValue, 'resource');
    const pages = await children(node);
    assert.deepEqual(await Promise.all(pages.map(async (p) => (await item(p)).label)), ['page 2', 'page 1']);
    assert.ok(output.lines.some((l) => l.startsWith('fetch/next payments: page 2, 100 items')), output.lines.join('\n'));
  });

  it('opens a page as a read-only JSON document', async () => {
    const [latest] = await children(resourceNode(session.id, 'payments'));
    const it = await item(latest);
    assert.equal(it.command?.command, 'switchboard.openPage');
    await fake.executeCommand(it.command!.command, ...(it.command!.arguments ?? []));
    const doc = fake.documents.at(-1)!;
    assert.equal(doc.language, 'json');
    assert.equal(doc.uri?.scheme, 'switchboard', 'a read-only document');
    const page = JSON.parse(doc.content!);
    assert.equal(page.page, 2);
    assert.equal(page.items.length, 100);
    assert.equal(fake.shownDocuments.at(-1)!.uri.scheme, 'switchboard');
  });

  it("compares the state before and after a page in VS Code's diff editor", async () => {
    const [latest, first] = await children(resourceNode(session.id, 'payments'));
    await fake.executeCommand('switchboard.diffState', latest);
    const diff = fake.executed.at(-1)!;
    assert.equal(diff.command, 'vscode.diff');
    const [left, right, title] = diff.args as [{ scheme: string; path: string }, { scheme: string; path: string }, string];
    assert.equal(left.scheme, 'switchboard');
    assert.match(title, /^payments: state before ↔ after page 2$/);
    const content = (u: { scheme: string; path: string }) =>
      JSON.parse(fake.contentProviders.get(u.scheme)!.provideTextDocumentContent(u as never, undefined as never)!);
    const p1 = controller.store.findPage(session.id, (first as Extract<Node, { kind: 'page' }>).seq)!;
    const p2 = controller.store.findPage(session.id, (latest as Extract<Node, { kind: 'page' }>).seq)!;
    assert.deepEqual(content(left), p1.page.newState, 'before page 2: what page 1 left');
    assert.deepEqual(content(right), p2.page.newState);
    await fake.executeCommand('switchboard.diffState', first);
    assert.equal(content((fake.executed.at(-1)!.args as [{ scheme: string; path: string }])[0]), null, 'page 1 starts from null');
  });

  it('opens the stored items of a resource as a read-only JSON document', async () => {
    await fake.executeCommand('switchboard.openItems', resourceNode(session.id, 'payments'));
    const doc = fake.documents.at(-1)!;
    assert.equal(doc.uri?.scheme, 'switchboard');
    assert.ok(JSON.parse(doc.content!).items.length >= 200);
  });

  it('edits the state in an input box and resets it', async () => {
    const node = resourceNode(session.id, 'payments');
    const pages = await children(node);
    const first = controller.store.findPage(session.id, (pages[1] as Extract<Node, { kind: 'page' }>).seq)!;
    let shown: string | undefined;
    fake.input((o) => {
      shown = o.value;
      assert.match(o.validateInput!('{not json') ?? '', /not JSON/);
      return JSON.stringify(first.page.newState);
    });
    const entry = await fake.executeCommand<{ state: unknown }>('switchboard.editState', node);
    assert.ok(entry, JSON.stringify(fake.messages));
    assert.ok(shown && shown !== 'null', 'the box shows the current state');
    assert.deepEqual(entry.state, first.page.newState);
    const next = await fake.executeCommand<Page>('switchboard.fetchNext', node);
    // Continuing from page 1's state yields what page 2 had.
    const second = controller.store.findPage(session.id, (pages[0] as Extract<Node, { kind: 'page' }>).seq)!;
    assert.deepEqual(next.newState, second.page.newState);

    await fake.executeCommand('switchboard.resetState', node);
    assert.equal((await item(node)).description, 'not fetched');
    assert.deepEqual(await children(node), []);
  });

  it('runs a sync and shows its counts', async () => {
    const roots = await children();
    const res = await fake.executeCommand<SyncRunResult>('switchboard.runSync', roots[0]);
    assert.ok(res, JSON.stringify(fake.messages));
    assert.ok(res.tasks.length >= 4);
    const msg = fake.messages.at(-1)!;
    assert.equal(msg.level, 'info');
    assert.match(msg.text, /^Sync: \d+ task runs, \d+ pages, \d+ items/);
    const accounts = await item(resourceNode(session.id, 'accounts'));
    assert.match(String(accounts.description), /^1 page · 2 items · done/);
    const balances = await item(resourceNode(session.id, 'balances'));
    assert.match(String(balances.description), /· 2 keys$/);
    assert.ok(fake.progresses.at(-1)!.options.cancellable);
  });

  it('lists the pagination check per resource in the Test Explorer and runs it from there', async () => {
    const ctrl = fake.testControllers.get('switchboard.checks')!;
    const [sessionItem] = (ctrl.items as FakeTestItemCollection).all();
    assert.equal(sessionItem.id, `session:${session.id}`);
    const resources = (sessionItem.children as FakeTestItemCollection).all();
    assert.deepEqual(resources.map((r) => r.label), sessionResources(session));
    const run = await ctrl.run([resources[0], resources[3]]);
    assert.ok(run.ended);
    assert.deepEqual(
      [...run.results.entries()].map(([id, r]) => [id, r.state]),
      [
        [`resource:${session.id}:accounts`, 'passed'],
        [`resource:${session.id}:payments`, 'passed'],
      ],
      run.output,
    );
    assert.match(run.output, /^accounts: passed \(\d+ runs, \d+ pages, 2 items\)/);
  });

  it("cancels fetch all from the progress notification's cancel button ($/cancelRequest)", async () => {
    const big = (await fake.executeCommand<Session>('switchboard.createSession', { provider: 'demo', name: 'big', config: { accounts: 50, paymentsPerAccount: 20000 } }))!;
    assert.ok(big);
    const status = fake.statusItems[0];
    let statusWhileRunning = '';
    fake.onProgressReport = (p) => {
      statusWhileRunning = status.text;
      p.cancel();
    };
    const started = Date.now();
    // From the command palette: the session, then the resource, are picked.
    fake.pick('big');
    fake.pick('payments');
    const res = await fake.executeCommand<FetchAllResult | undefined>('switchboard.fetchAll');
    fake.onProgressReport = undefined;
    assert.equal(res, undefined);
    const progress = fake.progresses.at(-1)!;
    assert.equal(progress.options.title, 'Fetching all payments');
    assert.ok(progress.cancelled);
    const msg = fake.messages.at(-1)!;
    assert.equal(msg.level, 'warning', JSON.stringify(fake.messages));
    assert.match(msg.text, /^Fetch all of payments cancelled after \d+ pages?\.$/);
    assert.ok(Date.now() - started < 30000);
    const r = await item(resourceNode(big.id, 'payments'));
    assert.match(String(r.description), /· more$/);
    assert.equal(statusWhileRunning, '$(sync~spin) Switchboard: connected · 2 sessions · 1 running');
    assert.equal(status.text, '$(plug) Switchboard: connected · 2 sessions');
    await fake.executeCommand('switchboard.closeSession', { kind: 'session', sessionId: big.id });
    assert.equal((await children()).length, 1);
  });

  it('turns an error response into an error message with its code', async () => {
    const before = fake.messages.length;
    const res = await fake.executeCommand('switchboard.fetchNext', resourceNode('no-such-session', 'payments'));
    assert.equal(res, undefined);
    const msg = fake.messages[before];
    assert.equal(msg.level, 'error');
    assert.match(msg.text, /\(SessionNotFound -32001\)$/);
  });

  it('shows HTTP exchanges in the output channel and the tree, and opens them as JSON', async (t) => {
    // The daemon's own exchanges, when it sends them; else one injected
    // through the same store the notification handler feeds.
    let x = controller.store.get(session.id)!.exchanges.at(-1);
    if (!x) {
      t.diagnostic('the daemon sent no http/exchange notification; checking the rendering with a sample');
      x = {
        sessionId: session.id,
        id: 'x-1',
        operation: 'fetchNextPayments',
        request: { method: 'GET', url: 'http://127.0.0.1:1/v1/transactions?limit=100', headers: {}, bodyTruncated: false },
        response: { status: 200, headers: { 'Content-Type': ['application/json'] }, body: '{"data":[]}', bodyTruncated: false },
        durationMs: 3.2,
      };
      controller.store.addExchange(x);
      output.appendLine(exchangeLine(x));
    }
    assert.ok(output.lines.some((l) => l.startsWith('[http] ') && l.includes(x!.request.url)));
    const group = (await children({ kind: 'session', sessionId: session.id })).find((n) => n.kind === 'exchanges')!;
    assert.ok(group, 'an HTTP exchanges node');
    const [latest] = await children(group);
    const it = await item(latest);
    assert.equal(it.contextValue, 'exchange');
    await fake.executeCommand(it.command!.command, ...(it.command!.arguments ?? []));
    const doc = JSON.parse(fake.documents.at(-1)!.content!);
    assert.equal(doc.id, x.id);
    assert.equal(doc.request.method, x.request.method);
    const cmd = await fake.executeCommand<string>('switchboard.copyCurl', latest);
    assert.equal(fake.clipboardText, cmd);
    assert.ok(cmd.startsWith('curl '), cmd);
    assert.ok(cmd.includes(x.request.url.split('?')[0]), cmd);
  });

  it('creates a transfer and a payout from the stored accounts; a pending payout is polled until it settles', async () => {
    const client = await controller.getClient();
    // The sync above stored them.
    const accounts = (await client.dataList({ sessionId: session.id, resource: 'accounts' })).items as Account[];
    const beneficiaries = (await client.dataList({ sessionId: session.id, resource: 'externalAccounts' })).items as Account[];
    assert.ok(accounts.length >= 2 && beneficiaries.length >= 1);
    const node: Node = { kind: 'session', sessionId: session.id };
    const asDefault = (o: { value?: string }) => o.value ?? '';

    fake.pick(accounts[0].reference);
    fake.pick(accounts[1].reference);
    fake.input('1250');
    fake.input(asDefault); // the source account's asset, proposed
    const transfer = await fake.executeCommand<Payment>('switchboard.createTransfer', node);
    assert.ok(transfer, JSON.stringify(fake.messages));
    assert.equal(transfer.type, 'TRANSFER');
    assert.equal(transfer.status, 'SUCCEEDED');
    assert.equal(transfer.amount, '1250');
    assert.equal(transfer.asset, accounts[0].defaultAsset);
    assert.equal(transfer.destinationAccountReference, accounts[1].reference);

    fake.pick(accounts[0].reference);
    fake.pick(beneficiaries[0].reference);
    fake.input('5000');
    fake.input(asDefault);
    const progressesBefore = fake.progresses.length;
    const payout = await fake.executeCommand<Payment>('switchboard.createPayout', node);
    assert.ok(payout, JSON.stringify(fake.messages));
    assert.equal(payout.type, 'PAYOUT');
    assert.equal(payout.status, 'SUCCEEDED');
    assert.equal(payout.destinationAccountReference, beneficiaries[0].reference);
    assert.ok(fake.progresses.length > progressesBefore, 'a progress notification while polling');
    assert.ok(output.lines.some((l) => l.startsWith('payout ') && l.includes('pending')), output.lines.join('\n'));
    assert.ok(fake.messages.some((m) => m.level === 'info' && m.text.includes(`payout ${payout.reference} SUCCEEDED`)));
    assert.equal(JSON.parse(fake.documents.at(-1)!.content!).reference, payout.reference);
    const amountBox = fake.inputsShown.find((o) => o.prompt?.startsWith('Amount'))!;
    assert.ok(amountBox.validateInput!('12.50'), 'amounts are whole minor units');
    assert.ok(!amountBox.validateInput!('1250'));
  });

  it('closes the session', async () => {
    await fake.executeCommand('switchboard.closeSession', { kind: 'session', sessionId: session.id });
    assert.deepEqual(await children(), []);
    assert.ok(output.lines.some((l) => l.startsWith('connected to switchboard')));
  });
});

describe('switchboard.connectors: the daemon builds and runs the author\'s connectors', { timeout: 120000 }, () => {
  it('turns the setting into --connector arguments, relative to the workspace folder', () => {
    assert.deepEqual(connectorArgs(undefined, '/ws'), []);
    assert.deepEqual(connectorArgs(['a', '', '/abs/b'], '/ws'), ['--connector', path.join('/ws', 'a'), '--connector', '/abs/b']);
    assert.deepEqual(connectorArgs(['a'], undefined), ['--connector', 'a']);
  });

  it('lists a workspace connector (a Node.js one, with a switchboard.json) among the providers', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-vscode-ws-'));
    after(() => fs.rmSync(root, { recursive: true, force: true }));
    const dir = path.join(root, 'nodebank');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.resolve(packageDir, '..', '..', 'daemon', 'remote', 'testdata', 'nodeconn', 'main.js'), path.join(dir, 'main.js'));
    fs.writeFileSync(path.join(dir, 'switchboard.json'), JSON.stringify({ command: [process.execPath, 'main.js'] }));

    const fake = new FakeVscode({ 'switchboard.path': bin, 'switchboard.connectors': ['nodebank'] });
    fake.folders = [{ uri: { fsPath: root } }];
    const controller = new Controller(fake, { version: 'test' });
    const disposables = controller.register();
    try {
      const client = await controller.getClient();
      const names = (await client.providers()).map((p) => p.name);
      assert.ok(names.includes('nodebank'), `providers ${names.join(', ')}`);
      assert.ok(names.includes('demo'));
      const output = fake.outputs.get('Switchboard')!;
      assert.ok(output.lines.some((l) => l.includes(`stdio --connector ${dir}`)), output.lines.join('\n'));

      // Changing the setting restarts the daemon with the new list.
      const closed = new Promise<void>((resolve) => client.onClose(resolve));
      fake.setConfig('switchboard.connectors', []);
      await closed;
      const again = await controller.getClient();
      assert.ok(!(await again.providers()).some((p) => p.name === 'nodebank'));
    } finally {
      for (const d of disposables) d.dispose();
      await controller.close();
    }
  });
});
