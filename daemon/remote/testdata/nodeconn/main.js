// A Switchboard connector written by hand in Node.js, with no
// dependencies: the connector protocol of docs/connector-protocol.md
// (JSON-RPC 2.0 with LSP framing on stdin/stdout). It serves accounts and
// payments generated from its config, with offset pagination, and the rest
// of Formance's model: conversions, a stub for orders answering "not
// implemented" (-32022), payments with parents, payments to delete and to
// cancel on the last payments page, bootstrap-on-install accounts, a payout
// throttle and connector/uninstall.
'use strict';

const fs = require('fs');

let buf = Buffer.alloc(0);
let config = null;

function send(msg) {
  const body = Buffer.from(JSON.stringify(Object.assign({ jsonrpc: '2.0' }, msg)), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}
const notify = (method, params) => send({ method, params });
const log = (level, message, fields) => notify('connector/log', { level, message, fields });

const schema = {
  type: 'object',
  properties: {
    token: { type: 'string', writeOnly: true, description: 'API token' },
    count: { type: 'integer', minimum: 0, description: 'payments to serve' },
    uninstallFile: { type: 'string', description: 'written by connector/uninstall' },
  },
  additionalProperties: false,
};

function page(all, state, pageSize) {
  const offset = state && typeof state.offset === 'number' ? state.offset : 0;
  const items = all.slice(offset, offset + pageSize);
  const next = offset + items.length;
  return { items, newState: { offset: next }, hasMore: next < all.length };
}

const created = (i) => new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString();

const handlers = {
  'connector/handshake'(p) {
    if (p.protocolVersion !== '1') {
      throw { code: -32600, message: `protocol version ${p.protocolVersion} is not supported (this connector speaks 1)` };
    }
    return {
      protocolVersion: '1',
      provider: {
        name: 'nodebank', description: 'A connector in Node.js', defaultPageSize: 10,
        capabilities: ['fetch:accounts', 'fetch:payments', 'fetch:orders', 'fetch:conversions', 'create:payout'], configSchema: schema,
      },
    };
  },
  'connector/open'(p) {
    config = p.config || {};
    return { bootstrapOnInstall: ['accounts'], payoutsPerSecond: 50, uninstalls: true };
  },
  'connector/uninstall'() {
    if (config && config.uninstallFile) fs.writeFileSync(config.uninstallFile, 'uninstalled by node\n');
    return {};
  },
  'connector/createPayout'(p) {
    const i = p.initiation;
    return { payment: { reference: i.reference, createdAt: new Date().toISOString(), type: 'PAYOUT', amount: i.amount, asset: i.asset,
      scheme: 'sepa', status: 'SUCCEEDED', destinationAccountReference: i.destinationAccountReference, metadata: {}, raw: null } };
  },
  'connector/fetch'(p) {
    if (!config) throw { code: -32002, message: 'not open' };
    let all;
    if (p.resource === 'accounts') {
      all = [1, 2, 3].map((i) => ({ reference: `acc-${i}`, createdAt: created(i), name: `Account ${i}`, defaultAsset: 'EUR/2', metadata: {}, raw: { id: i } }));
    } else if (p.resource === 'payments') {
      const n = config.count || 0;
      all = Array.from({ length: n }, (_, i) => Object.assign(i % 2 === 1 ? { parentReference: `pay-${i - 1}` } : {}, {
        reference: `pay-${i}`, createdAt: created(i), type: 'PAY-IN', amount: String(1000 + i), asset: 'EUR/2',
        scheme: 'sepa', status: 'SUCCEEDED', destinationAccountReference: 'acc-1', metadata: { n: String(i) }, raw: { i },
      }));
      const out = page(all, p.state, p.pageSize || 10);
      if (!out.hasMore && n > 4) Object.assign(out, { paymentsToDelete: ['pay-2'], paymentsToCancel: ['pay-4'] });
      return out;
    } else if (p.resource === 'conversions') {
      all = [0, 1].map((i) => ({ reference: `conv-${i}`, createdAt: created(i), sourceAsset: 'USD/2', destinationAsset: 'USDC/6',
        sourceAmount: '100', destinationAmount: '1000000', status: 'COMPLETED', metadata: {}, raw: { i } }));
    } else if (p.resource === 'orders') {
      throw { code: -32022, message: 'not implemented' };
    } else {
      throw { code: -32011, message: `capability not supported: fetch:${p.resource}` };
    }
    const out = page(all, p.state, p.pageSize || 10);
    log('info', 'node fetched a page', { resource: p.resource, items: out.items.length });
    return out;
  },
};

function handle(msg) {
  if (msg.method === undefined) return; // a response: this connector makes no calls
  if (msg.id === undefined) return; // notifications ($/cancelRequest): nothing is long-running here
  const h = handlers[msg.method];
  if (!h) return send({ id: msg.id, error: { code: -32601, message: `method not found: ${msg.method}` } });
  try {
    send({ id: msg.id, result: h(msg.params || {}) });
  } catch (e) {
    const err = e && e.code ? e : { code: -32020, message: String(e && e.message ? e.message : e) };
    send({ id: msg.id, error: err });
  }
}

process.stdin.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const m = /Content-Length: *(\d+)/i.exec(buf.subarray(0, end).toString('ascii'));
    if (!m) { process.stderr.write('bad header\n'); process.exit(1); }
    const len = Number(m[1]);
    if (buf.length < end + 4 + len) return;
    const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
    buf = buf.subarray(end + 4 + len);
    handle(JSON.parse(body));
  }
});
process.stdin.on('end', () => process.exit(0));
