import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  CancellationTokenSource,
  CodeRequestCancelled,
  CodeSessionNotFound,
  FetchPageParams,
  Page,
  Payment,
  ProgressParams,
  Session,
  StepPausedParams,
  SwitchboardClient,
  SwitchboardError,
  pageItems,
} from '../src';
import { Harness, eventually } from './helpers';

async function rejection(p: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SwitchboardError, `expected a SwitchboardError, got ${e}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

/** The same behaviour over every transport: connect() makes a fresh connection. */
export function clientSuite(transport: string, connect: () => Promise<Harness>): void {
  describe(`@switchboard/client over ${transport}`, { timeout: 120000 }, () => {
    let h: Harness;
    let client: SwitchboardClient;
    const pageNotes: FetchPageParams[] = [];
    const progress: ProgressParams[] = [];

    before(async () => {
      h = await connect();
      client = h.client;
      client.onFetchPage((p) => pageNotes.push(p));
      client.onProgress((p) => progress.push(p));
    });
    after(async () => {
      await h?.stop();
    });

    it('initializes', async () => {
      const res = await client.initialize({ clientInfo: { name: 'ts-client-test' }, capabilities: { workDoneProgress: true } });
      assert.equal(res.protocolVersion, '1');
      assert.equal(res.serverInfo.name, 'switchboard');
      assert.ok(res.capabilities.methods.includes('fetch/next'));
      assert.deepEqual([...res.capabilities.resources].sort(), ['accounts', 'balances', 'conversions', 'externalAccounts', 'orders', 'others', 'payments']);
    });

    let session: Session;
    it('lists providers and creates a demo session', async () => {
      const providers = await client.providers();
      const demo = providers.find((p) => p.name === 'demo');
      assert.ok(demo, `no demo provider in ${providers.map((p) => p.name)}`);
      assert.ok(demo.capabilities.includes('fetch:payments'));
      session = await client.createSession({ provider: 'demo', name: 'ts-test', pageSize: 5 });
      assert.equal(session.provider, 'demo');
      assert.equal(session.pageSize, 5);
      const listed = await client.listSessions();
      assert.ok(listed.some((s) => s.id === session.id));
    });

    it('fetches two pages, carrying the state over, with fetch/page notifications', async () => {
      const p1: Page = await client.fetchNext({ sessionId: session.id, resource: 'payments' });
      const p2: Page = await client.fetchNext({ sessionId: session.id, resource: 'payments' });
      assert.equal(p1.page, 1);
      assert.equal(p2.page, 2);
      const r1 = pageItems<Payment>(p1).map((p) => p.reference);
      const r2 = pageItems<Payment>(p2).map((p) => p.reference);
      assert.equal(r1.length, 5);
      assert.equal(r2.length, 5);
      assert.ok(!r2.some((r) => r1.includes(r)), `pages overlap: ${r1} / ${r2}`);
      assert.equal(p1.itemCount, 5);
      assert.ok(p1.hasMore);
      assert.notDeepEqual(p2.newState, p1.newState);

      const states = await client.getState(session.id);
      const st = states.find((s) => s.resource === 'payments');
      assert.ok(st, 'no payments state');
      assert.equal(st.pages, 2);
      assert.equal(st.items, 10);
      assert.deepEqual(st.state, p2.newState);

      await eventually(() => pageNotes.filter((n) => n.sessionId === session.id).length >= 2, 'two fetch/page notifications');
      const notes = pageNotes.filter((n) => n.sessionId === session.id);
      assert.deepEqual(notes.map((n) => n.page.page), [1, 2]);
      assert.equal(notes[1].page.key, p2.key);
    });

    it('breaks the connector with a fault rule, then steps through a fetch/all', async () => {
      const set = await client.faultsSet({ sessionId: session.id, rules: [{ kind: 'status', status: 503, times: 1 }] });
      assert.equal(set.rules.length, 1);
      const err = await rejection(client.fetchNext({ sessionId: session.id, resource: 'accounts' }));
      assert.equal(err.code, -32020);
      const listed = await client.faultsList(session.id);
      assert.equal(listed.rules[0].fired, 1);
      const ex = await client.httpList({ sessionId: session.id });
      assert.ok(ex.exchanges.some((x) => x.fault?.kind === 'status' && x.response?.status === 503), 'no exchange marked with the fault');
      await client.faultsClear(session.id);

      const paused: StepPausedParams[] = [];
      const sub = client.onStepPaused((p) => paused.push(p));
      const walk = client.request('fetch/all', { sessionId: session.id, resource: 'accounts', pageSize: 1, maxPages: 2, step: true });
      await eventually(() => paused.length >= 1, 'a step/paused notification');
      assert.equal(paused[0].page, 1);
      await client.stepNext({ sessionId: session.id, stepId: paused[0].stepId });
      await eventually(() => paused.length >= 2, 'a second step/paused');
      await client.stepContinue({ sessionId: session.id, stepId: paused[0].stepId });
      const res = await walk;
      assert.equal(res.pages, 2);
      sub.dispose();
    });

    it('sets the state and resets it', async () => {
      const before = await client.getState(session.id);
      const st = before.find((s) => s.resource === 'payments')!;
      await client.setState({ sessionId: session.id, resource: 'payments', state: st.state });
      await client.resetSession(session.id, 'payments');
      const p = await client.fetchNext({ sessionId: session.id, resource: 'payments' });
      assert.equal(p.page, 1);
    });

    it('reports progress of fetch/all with a work-done token', async () => {
      const token = client.newProgressToken();
      const res = await client.fetchAll({ sessionId: session.id, resource: 'accounts', workDoneToken: token });
      assert.ok(res.pages >= 1);
      assert.equal(res.hasMore, false);
      await eventually(() => progress.some((p) => p.token === token && p.value.kind === 'end'), 'progress end');
      const kinds = progress.filter((p) => p.token === token).map((p) => p.value.kind);
      assert.equal(kinds[0], 'begin');
    });

    it('accepts the tokens the daemon makes (window/workDoneProgress/create answered null)', async () => {
      const seen = progress.length;
      await client.fetchAll({ sessionId: session.id, resource: 'externalAccounts' });
      await eventually(
        () => progress.slice(seen).some((p) => typeof p.token === 'string' && p.token.startsWith('switchboard-') && p.value.kind === 'end'),
        'progress with a server-made token',
      );
    });

    it('sends any typed request', async () => {
      const res = await client.request('session/get', { sessionId: session.id });
      assert.equal(res.id, session.id);
      assert.ok(Array.isArray(res.states));
      if (Date.now() < 0) {
        // Compile-time checks only: params and results are typed by method.
        // @ts-expect-error resource is required
        await client.request('fetch/next', { sessionId: 'x' });
        // @ts-expect-error no such method
        await client.request('fetch/nope', {});
        const p: Page = await client.request('fetch/next', { sessionId: 'x', resource: 'payments' });
        // @ts-expect-error a Page has no such field
        void p.nope;
        await client.request('shutdown');
      }
    });

    it('fails with -32001 and typed data for an unknown session', async () => {
      const err = await rejection(client.fetchNext({ sessionId: 'no-such-session', resource: 'payments' }));
      assert.equal(err.code, CodeSessionNotFound);
      assert.equal(err.codeName, 'SessionNotFound');
      assert.equal(err.method, 'fetch/next');
      assert.ok(err.is(CodeSessionNotFound));
      if (err.is(CodeSessionNotFound)) assert.equal(err.data.sessionId, 'no-such-session');
    });

    it('cancels a long fetch/all with $/cancelRequest (-32800)', async () => {
      const big = await client.createSession({
        provider: 'demo',
        name: 'ts-big',
        config: { accounts: 50, paymentsPerAccount: 20000 },
      });
      const cts = new CancellationTokenSource();
      let seen = 0;
      const sub = client.onFetchPage((n) => {
        if (n.sessionId === big.id && ++seen === 1) cts.cancel();
      });
      const started = Date.now();
      const err = await rejection(client.fetchAll({ sessionId: big.id, resource: 'payments', pageSize: 10 }, cts.token));
      sub.dispose();
      assert.equal(err.code, CodeRequestCancelled);
      assert.ok(err.cancelled);
      assert.ok(seen >= 1);
      // 1,000,000 payments at 10 a page: only cancellation ends it this soon.
      assert.ok(Date.now() - started < 30000);
      const st = (await client.getState(big.id)).find((s) => s.resource === 'payments');
      assert.ok(st && st.hasMore, 'the cancelled fetch left more to fetch');
      // The connection is still usable.
      assert.ok((await client.listSessions()).some((s) => s.id === big.id));
      await client.closeSession(big.id);
    });
  });
}
