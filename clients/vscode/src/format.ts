import type { HTTPExchangeParams, LogParams } from '@switchboard/client';

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** JSON of v, cut to max characters. */
export function short(v: unknown, max: number): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** "GET /v1/payments?limit=5" for the tree. */
export function exchangeLabel(x: HTTPExchangeParams): string {
  let target = x.request.url;
  try {
    const u = new URL(x.request.url);
    target = u.pathname + u.search;
  } catch {
    // keep the raw url
  }
  return `${x.request.method} ${target}`;
}

/** The output channel's line of an http/exchange notification. */
export function exchangeLine(x: HTTPExchangeParams): string {
  const outcome = x.response ? String(x.response.status) : `error: ${x.error ?? 'no response'}`;
  return `[http] ${x.operation}: ${x.request.method} ${x.request.url} -> ${outcome} (${Math.round(x.durationMs)} ms) #${x.id}`;
}

/** The output channel's line of a log notification. */
export function logLine(l: LogParams): string {
  const fields = l.fields && Object.keys(l.fields).length ? ' ' + JSON.stringify(l.fields) : '';
  const sid = l.sessionId ? ` ${l.sessionId.slice(0, 8)}` : '';
  return `[${l.level}]${sid} ${l.message}${fields}`;
}
