import {
  AbstractMessageReader,
  AbstractMessageWriter,
  DataCallback,
  Disposable,
  Message,
  MessageReader,
  MessageWriter,
} from 'vscode-jsonrpc';
import WebSocket from 'ws';

/**
 * Reads JSON-RPC messages from a websocket: one message per text frame, as
 * `switchboard serve` sends them. Frames that arrive before listen() are
 * kept and delivered then.
 */
export class WebSocketMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly pending: Message[] = [];

  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) {
        this.fireError(new Error('switchboard: unexpected binary websocket frame'));
        return;
      }
      let msg: Message;
      try {
        msg = JSON.parse(rawToString(data)) as Message;
      } catch (e) {
        this.fireError(e);
        return;
      }
      if (this.callback) this.callback(msg);
      else this.pending.push(msg);
    });
    socket.on('error', (err: Error) => this.fireError(err));
    socket.on('close', () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    for (const m of this.pending.splice(0)) callback(m);
    return Disposable.create(() => {
      if (this.callback === callback) this.callback = undefined;
    });
  }
}

/** Writes JSON-RPC messages to a websocket, one text frame each. */
export class WebSocketMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== WebSocket.OPEN) {
        const err = new Error('switchboard: websocket is not open');
        this.fireError(err, msg, ++this.errorCount);
        reject(err);
        return;
      }
      this.socket.send(JSON.stringify(msg), (err?: Error) => {
        if (err) {
          this.fireError(err, msg, ++this.errorCount);
          reject(err);
        } else {
          resolve();
        }
      });
    });
  }

  end(): void {
    this.socket.close();
  }
}

/**
 * Opens a websocket to the daemon (ws://HOST:PORT/rpc) with the token in
 * the Authorization header; rejects with the HTTP status when the daemon
 * refuses the upgrade (401 for a wrong token).
 */
export function openWebSocket(url: string, token: string | undefined, timeoutMs = 10000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    const socket = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
    const fail = (err: Error) => {
      cleanup();
      // terminate() while connecting reports an error of its own: drop it.
      socket.on('error', () => {});
      socket.terminate();
      reject(err);
    };
    const onOpen = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error) => fail(err);
    const onUnexpected = (_req: unknown, res: { statusCode?: number; statusMessage?: string }) =>
      fail(new Error(`switchboard: websocket ${url} refused: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
    const cleanup = () => {
      socket.off('open', onOpen);
      socket.off('error', onError);
      socket.off('unexpected-response', onUnexpected);
    };
    socket.on('open', onOpen);
    socket.on('error', onError);
    socket.on('unexpected-response', onUnexpected);
  });
}

function rawToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
