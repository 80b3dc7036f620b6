// @ts-check
// A small JSON-RPC 2.0 client over a browser WebSocket: request ids, a
// pending map, notifications, $/cancelRequest, and answers to the few
// requests the daemon sends (window/workDoneProgress/create gets null).
// Method names and types come from protocol.js, generated from the Go
// protocol package; tsc --noEmit checks this file against them.
//
// Bad input is handled as the Go client (clients/go) handles it: a message
// above MaxMessageSize, one that is not JSON, or not a single JSON object
// (a batch: the daemon never sends one) is a protocol error; the socket is
// closed and every pending call fails with the reason. A response to an
// unknown id is ignored.

import { ClientNotifications, ServerRequests, CodeMethodNotFound, CodeRequestCancelled, CodeInternalError, MaxMessageSize } from './protocol.js';

/** @typedef {import('./protocol.js').MethodMap} MethodMap */
/** @typedef {import('./protocol.js').NotificationMap} NotificationMap */

export { CodeMethodNotFound, CodeRequestCancelled };

export class RPCError extends Error {
  /**
   * @param {number} code
   * @param {string} message
   * @param {unknown} [data]
   */
  constructor(code, message, data) {
    super(message);
    this.name = 'RPCError';
    this.code = code;
    this.data = data;
  }
}

export class RPCClient {
  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void, method: string}>} */
    this.pending = new Map();
    /** @type {Map<string, Set<(params: any) => void>>} */
    this.handlers = new Map();
    /** @type {Map<string, (params: any) => unknown>} */
    this.requestHandlers = new Map([[ServerRequests.WorkDoneProgressCreate, () => null]]);
    /** @type {((ev: CloseEvent) => void) | null} */
    this.onclose = null;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** Why the client closed the socket itself (a protocol error), or ''. */
    this.closeReason = '';
  }

  /** Opens the socket; resolves once it is open. */
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      // Binary frames are messages too, as on the Go side; an ArrayBuffer
      // decodes at once, in order (a Blob would not).
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      let opened = false;
      ws.addEventListener('open', () => { opened = true; resolve(); });
      ws.addEventListener('message', (ev) => this._receive(ev.data));
      ws.addEventListener('close', (ev) => {
        const err = new RPCError(-32099, this.closeReason ? `connection closed: ${this.closeReason}` : 'connection closed');
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        if (!opened) reject(new Error('could not connect (wrong token, or the daemon is not running)'));
        else if (this.onclose) this.onclose(ev);
      });
    });
  }

  close() { if (this.ws) this.ws.close(); }

  get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

  /**
   * Registers fn for notifications of method; returns an unsubscribe function.
   * @template {keyof NotificationMap} N
   * @param {N} method
   * @param {(params: NotificationMap[N]) => void} fn
   * @returns {() => boolean}
   */
  on(method, fn) {
    if (!this.handlers.has(method)) this.handlers.set(method, new Set());
    this.handlers.get(method).add(fn);
    return () => this.handlers.get(method).delete(fn);
  }

  /**
   * Sends a request. Returns {id, promise}: the id is what $/cancelRequest
   * names, the promise resolves to the result or rejects with an RPCError.
   * @template {keyof MethodMap} M
   * @param {M} method
   * @param {MethodMap[M]['params']} [params]
   * @returns {{id: number, promise: Promise<MethodMap[M]['result']>}}
   */
  start(method, params) {
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
    });
    this._send({ jsonrpc: '2.0', id, method, params });
    return { id, promise };
  }

  /**
   * Sends a request and resolves to its result.
   * @template {keyof MethodMap} M
   * @param {M} method
   * @param {MethodMap[M]['params']} [params]
   * @returns {Promise<MethodMap[M]['result']>}
   */
  request(method, params) { return this.start(method, params).promise; }

  /**
   * @param {string} method
   * @param {unknown} [params]
   */
  notify(method, params) { this._send({ jsonrpc: '2.0', method, params }); }

  /**
   * Asks the daemon to cancel request id; it then answers -32800.
   * @param {number} id
   */
  cancel(id) { this.notify(ClientNotifications.CancelRequest, { id }); }

  /** @param {any} msg */
  _send(msg) {
    if (!this.connected) {
      if (msg.id !== undefined && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p.reject(new RPCError(-32099, 'not connected'));
      }
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  /** @param {string | ArrayBuffer} data */
  _receive(data) {
    let text;
    try {
      text = typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch { this._protocolError('a binary frame that is not UTF-8'); return; }
    // A string's length in UTF-16 units is at most its length in UTF-8
    // bytes, so this never refuses a message within the limit.
    if (text.length > MaxMessageSize) { this._protocolError(`message too large: over ${MaxMessageSize} bytes`); return; }
    let msg;
    try { msg = JSON.parse(text); } catch { this._protocolError('message is not valid JSON'); return; }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) { this._protocolError('message is not a JSON object'); return; }
    this._dispatch(msg);
  }

  /**
   * Ends the connection after input the stream cannot trust.
   * @param {string} reason
   */
  _protocolError(reason) {
    console.error('rpc: protocol error, closing the connection:', reason);
    this.closeReason = reason;
    if (this.ws) this.ws.close(4000, 'protocol error');
  }

  /** @param {any} m */
  _dispatch(m) {
    if (typeof m.method === 'string') {
      if (m.id !== undefined && m.id !== null) { this._answer(m); return; }
      const hs = this.handlers.get(m.method);
      if (hs) for (const fn of [...hs]) {
        try { fn(m.params); } catch (e) { console.error('handler of', m.method, e); }
      }
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) p.reject(new RPCError(m.error.code, m.error.message, m.error.data));
    else p.resolve(m.result === undefined ? null : m.result);
  }

  /** @param {any} m */
  _answer(m) {
    const fn = this.requestHandlers.get(m.method);
    if (!fn) {
      this._send({ jsonrpc: '2.0', id: m.id, error: { code: CodeMethodNotFound, message: `method ${JSON.stringify(m.method)} not found` } });
      return;
    }
    let result;
    try { result = fn(m.params); } catch (e) {
      this._send({ jsonrpc: '2.0', id: m.id, error: { code: CodeInternalError, message: String(e && e.message || e) } });
      return;
    }
    this._send({ jsonrpc: '2.0', id: m.id, result: result === undefined ? null : result });
  }
}
