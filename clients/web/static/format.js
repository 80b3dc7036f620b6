// Formatting of wire values: amounts are integer minor units as decimal
// strings, assets are "CODE/DECIMALS", times are RFC 3339.

/** Splits "USD/2" into {code: "USD", decimals: 2}; decimals is 0 when absent. */
export function parseAsset(asset) {
  const s = String(asset ?? '');
  const i = s.lastIndexOf('/');
  if (i < 0) return { code: s, decimals: 0 };
  const d = Number.parseInt(s.slice(i + 1), 10);
  return { code: s.slice(0, i), decimals: Number.isFinite(d) && d >= 0 ? d : 0 };
}

function group(intPart) {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Formats minor units with the asset's decimals, exactly (no floats):
 * formatAmount("123456", "EUR/2") is "1,234.56". Anything that is not an
 * integer string is returned as it is.
 */
export function formatAmount(amount, asset) {
  const s = String(amount ?? '');
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (!m) return s;
  const neg = m[1] === '-';
  const { decimals } = parseAsset(asset);
  let digits = m[2].replace(/^0+(?=\d)/, '');
  if (decimals > 0) {
    digits = digits.padStart(decimals + 1, '0');
    const int = digits.slice(0, digits.length - decimals);
    const frac = digits.slice(digits.length - decimals);
    return (neg ? '-' : '') + group(int) + '.' + frac;
  }
  return (neg ? '-' : '') + group(digits);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** "2024-03-31T00:00:00Z" as "2024-03-31 00:00:00" (UTC). */
export function formatTime(t) {
  if (!t) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Local clock time with milliseconds, for logs. */
export function clock(t) {
  const d = t ? new Date(t) : new Date();
  if (Number.isNaN(d.getTime())) return String(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function formatCount(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : String(n ?? '');
}

/** Pretty JSON of a value; a string holding JSON is parsed first. */
export function prettyJSON(v) {
  if (typeof v === 'string') {
    try { return JSON.stringify(JSON.parse(v), null, 2); } catch { return v; }
  }
  return JSON.stringify(v, null, 2);
}
