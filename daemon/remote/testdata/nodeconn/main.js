// A Switchboard connector written by hand in Node.js, with no
// dependencies: the connector protocol of docs/connector-protocol.md
// (JSON-RPC 2.0 with LSP framing on stdin/stdout). It serves accounts and
// payments generated from its config, with offset pagination.
'use strict';

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
        capabilities: ['fetch:accounts', 'fetch:payments'], configSchema: schema,
      },
    };
  },
  'connector/open'(p) {
    config = p.config || {};
    return {};
  },
  'connector/fetch'(p) {
    if (!config) throw { code: -32002, message: 'not open' };
    let all;
    if (p.resource === 'accounts') {
      all = [1, 2, 3].map((i) => ({ reference: `acc-${i}`, createdAt: created(i), name: `Account ${i}`, defaultAsset: 'EUR/2', metadata: {}, raw: { id: i } }));
    } else if (p.resource === 'payments') {
      const n = config.count || 0;
      all = Array.from({ length: n }, (_, i) => ({
        reference: `pay-${i}`, createdAt: created(i), type: 'PAY-IN', amount: String(1000 + i), asset: 'EUR/2',
        scheme: 'sepa', status: 'SUCCEEDED', destinationAccountReference: 'acc-1', metadata: { n: String(i) }, raw: { i },
      }));
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
