import type { HTTPExchangeParams } from '@switchboard/client';

// The daemon redacts captured traffic already (daemon/capture); these are
// scrubbed again here so a copied command never carries a credential even
// from an older daemon.
const secretHeaders = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'apikey',
  'x-auth-token', 'x-access-token', 'x-amz-security-token', 'x-goog-api-key', 'ocp-apim-subscription-key',
]);
const secretParams = new Set(['apikey', 'key', 'token', 'accesstoken', 'secret', 'clientsecret', 'password', 'signature', 'sig', 'auth']);

export const Redacted = '***';

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function redactURL(raw: string): string {
  try {
    const u = new URL(raw);
    for (const k of [...u.searchParams.keys()]) {
      if (secretParams.has(k.toLowerCase().replace(/[-_]/g, ''))) u.searchParams.set(k, Redacted);
    }
    if (u.password) u.password = Redacted;
    return u.toString();
  } catch {
    return raw;
  }
}

/**
 * The request of an exchange as a curl command line, secrets redacted:
 * credential headers and query parameters read *** (replace them to run
 * it). Headers are sorted so the command is stable.
 */
export function curlCommand(x: HTTPExchangeParams): string {
  const r = x.request;
  const parts = ['curl'];
  if (r.method && r.method !== 'GET') parts.push('-X', r.method);
  parts.push(quote(redactURL(r.url)));
  for (const name of Object.keys(r.headers ?? {}).sort()) {
    for (const v of r.headers[name] ?? []) {
      parts.push('-H', quote(`${name}: ${secretHeaders.has(name.toLowerCase()) ? Redacted : v}`));
    }
  }
  if (r.body) parts.push('--data-raw', quote(r.body));
  let cmd = parts.join(' ');
  if (r.bodyTruncated) cmd += '  # body truncated by the capture';
  return cmd;
}
