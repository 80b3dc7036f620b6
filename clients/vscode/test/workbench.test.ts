// The editor-side pieces that need no daemon: lenses from method
// locations, Problems from build messages and check findings, curl
// commands with secrets redacted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CheckFinding, ConnectorMethods, HTTPExchangeParams } from '@switchboard/client';

import { CheckTests } from '../src/checks';
import { curlCommand } from '../src/curl';
import { SessionStore } from '../src/model';
import { ConnectorProblems } from '../src/diagnostics';
import { SourceLenses, lensesFor } from '../src/lenses';
import { FakeTestItemCollection, FakeUri, FakeVscode } from './fakeVscode';

const methods: ConnectorMethods[] = [
  {
    dir: '/ws/acme',
    provider: 'acme',
    errors: [],
    methods: [
      { name: 'FetchPayments', receiver: 'Connector', capability: 'fetch:payments', resource: 'payments', file: '/ws/acme/connector.go', line: 40, column: 1, endLine: 60 },
      { name: 'CreateTransfer', receiver: 'Connector', capability: 'create:transfer', file: '/ws/acme/connector.go', line: 70, column: 1, endLine: 80 },
      { name: 'PollTransfer', receiver: 'Connector', capability: 'poll:transfer', file: '/ws/acme/poll.go', line: 5, column: 1, endLine: 9 },
    ],
  },
  { dir: '/ws/unbuilt', errors: [], methods: [{ name: 'FetchAccounts', receiver: 'C', capability: 'fetch:accounts', resource: 'accounts', file: '/ws/unbuilt/c.go', line: 3, column: 1, endLine: 4 }] },
];

describe('CodeLens above connector methods', () => {
  it('offers fetch next, fetch all and reset on a fetch method, create on an initiation one, nothing else', () => {
    assert.deepEqual(lensesFor(methods[0].methods[0]).map((l) => l.title), ['Fetch next page', 'Fetch all', 'Reset state']);
    assert.deepEqual(lensesFor(methods[0].methods[1]).map((l) => [l.title, l.command]), [['Create transfer', 'switchboard.createTransfer']]);
    assert.deepEqual(lensesFor(methods[0].methods[2]), []);
  });

  it('puts them on the method lines of the file open, with the provider and resource as argument', async () => {
    const fake = new FakeVscode();
    const lenses = new SourceLenses(fake);
    let changed = 0;
    lenses.onDidChangeCodeLenses(() => changed++);
    lenses.set(methods);
    assert.equal(changed, 1);
    const doc = { uri: FakeUri.file('/ws/acme/connector.go'), getText: () => '' };
    const got = lenses.provideCodeLenses(doc);
    assert.deepEqual(
      got.map((l) => [l.range.start.line, l.command?.title, l.command?.arguments?.[0]]),
      [
        [39, 'Fetch next page', { kind: 'lens', provider: 'acme', resource: 'payments', capability: 'fetch:payments' }],
        [39, 'Fetch all', { kind: 'lens', provider: 'acme', resource: 'payments', capability: 'fetch:payments' }],
        [39, 'Reset state', { kind: 'lens', provider: 'acme', resource: 'payments', capability: 'fetch:payments' }],
        [69, 'Create transfer', { kind: 'lens', provider: 'acme', resource: undefined, capability: 'create:transfer' }],
      ],
    );
    // A connector that never built has no provider to run: no lenses.
    assert.deepEqual(lenses.provideCodeLenses({ uri: FakeUri.file('/ws/unbuilt/c.go'), getText: () => '' }), []);
    assert.deepEqual(lenses.provideCodeLenses({ uri: FakeUri.file('/elsewhere.go'), getText: () => '' }), []);
  });
});

describe('Problems of workspace connectors', () => {
  it('shows build messages on their lines and clears them after a good build', () => {
    const fake = new FakeVscode();
    const problems = new ConnectorProblems(fake, new SourceLenses(fake));
    problems.setBuild('/ws/acme', [
      { file: 'connector.go', line: 12, column: 5, message: 'undefined: foo' },
      { file: '/abs/other.go', line: 1, column: 0, message: 'x' },
    ]);
    const build = fake.diagnostics.get('switchboard-build')!;
    const d = build.byFile.get('/ws/acme/connector.go')!;
    assert.equal(d.length, 1);
    assert.deepEqual([d[0].range.start.line, d[0].range.start.character, d[0].message, d[0].source], [11, 4, 'undefined: foo', 'go build']);
    assert.ok(build.byFile.has('/abs/other.go'));
    problems.setBuild('/ws/acme', []);
    assert.equal(build.byFile.size, 0);
    // No line to put it on: the output goes on go.mod.
    problems.setBuild('/ws/acme', [], 'go build: exec: "go": executable file not found in $PATH');
    assert.match(build.byFile.get('/ws/acme/go.mod')![0].message, /^build failed: go build: exec/);
  });

  it("puts check findings on the line of the resource's fetch method; others are returned", () => {
    const fake = new FakeVscode();
    const lenses = new SourceLenses(fake);
    lenses.set(methods);
    const problems = new ConnectorProblems(fake, lenses);
    const finding = (resource: string, warning?: boolean): CheckFinding => ({
      resource, check: 'no-duplicates', pageSize: 2, state: { cursor: 'c2' }, references: ['p1'], message: 'p1 returned twice', warning,
    });
    const unplaced = problems.setCheck('acme', [finding('payments'), finding('payments#named', true), finding('accounts')]);
    assert.deepEqual(unplaced.map((f) => f.resource), ['accounts']);
    const ds = fake.diagnostics.get('switchboard-check')!.byFile.get('/ws/acme/connector.go')!;
    assert.deepEqual(ds.map((d) => [d.range.start.line, d.severity, d.source]), [[39, fake.DiagnosticSeverity.Error, 'switchboard check'], [39, fake.DiagnosticSeverity.Warning, 'switchboard check']]);
    assert.match(ds[0].message, /^payments no-duplicates \(page size 2\): p1 returned twice\nfrom state \{"cursor":"c2"\}$/);
    problems.setCheck('acme', []);
    assert.equal(fake.diagnostics.get('switchboard-check')!.byFile.size, 0);
  });
});

describe('Copy as curl', () => {
  const x: HTTPExchangeParams = {
    sessionId: 's',
    id: 'x1',
    operation: 'fetchNextPayments',
    request: {
      method: 'POST',
      url: 'https://api.example.test/v1/pay?limit=2&api_key=sk_live_123&x=it%27s',
      headers: { Authorization: ['Bearer sk_live_123'], 'Content-Type': ['application/json'], Cookie: ['s=1'] },
      body: `{"note":"it's"}`,
      bodyTruncated: false,
    },
    durationMs: 1,
  };

  it('writes a runnable command with credential headers and parameters redacted', () => {
    const cmd = curlCommand(x);
    assert.ok(!cmd.includes('sk_live_123'), cmd);
    assert.ok(!cmd.includes('s=1'), cmd);
    assert.equal(
      cmd,
      `curl -X POST 'https://api.example.test/v1/pay?limit=2&api_key=***&x=it%27s' -H 'Authorization: ***' -H 'Content-Type: application/json' -H 'Cookie: ***' --data-raw '{"note":"it'\\''s"}'`,
    );
  });

  it('says when the captured body was cut', () => {
    assert.match(curlCommand({ ...x, request: { ...x.request, method: 'GET', body: 'abc', bodyTruncated: true } }), /^curl 'https.*# body truncated by the capture$/);
  });
});

describe('the pagination check in the Test Explorer', () => {
  it('fails a resource with its findings, located on the fetch method', async () => {
    const fake = new FakeVscode();
    const lenses = new SourceLenses(fake);
    lenses.set(methods);
    const store = new SessionStore();
    store.upsert({ id: 's1', provider: 'acme', name: 'mine', capabilities: ['fetch:accounts', 'fetch:payments'], config: {}, pageSize: 50 } as never);
    const asked: string[][] = [];
    new CheckTests(fake, store, lenses, async (_id, resources) => {
      asked.push(resources);
      return {
        passed: false,
        durationMs: 1,
        resources: [
          { resource: 'accounts', pageSizes: [1], runs: 2, pages: 3, items: 2, passed: true, findings: [] },
          {
            resource: 'payments', pageSizes: [1], runs: 2, pages: 9, items: 5, passed: false,
            findings: [{ resource: 'payments', check: 'termination', pageSize: 1, state: { cursor: 'x' }, references: [], message: 'the state repeated' }],
          },
        ],
      };
    });
    const ctrl = fake.testControllers.get('switchboard.checks')!;
    const [item] = (ctrl.items as FakeTestItemCollection).all();
    assert.equal(item.label, 'mine');
    const run = await ctrl.run(); // everything
    assert.deepEqual(asked, [['accounts', 'payments']]);
    assert.equal(run.results.get('resource:s1:accounts')!.state, 'passed');
    const failed = run.results.get('resource:s1:payments')!;
    assert.equal(failed.state, 'failed');
    const [m] = failed.messages as Array<{ message: string; location: { uri: { fsPath: string }; range: { start: { line: number } } } }>;
    assert.match(m.message, /^termination \(page size 1\): the state repeated/);
    assert.equal(m.location.uri.fsPath, '/ws/acme/connector.go');
    assert.equal(m.location.range.start.line, 39);
  });
});
