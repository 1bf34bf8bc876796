/**
 * JSON as the HTTP transport sends it. Plain JSON turns NaN and infinities into null, but metrics
 * use NaN for a diverged loss; they travel as `{"$num":"NaN"}` and come back as numbers, so the
 * renderer sees what Electron's structured clone would have given it.
 */

const NUM_KEY = '$num';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON text of `value`, non-finite numbers kept. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [NUM_KEY]: String(v) } : v));
}

/** The value of wire text; throws SyntaxError for malformed JSON. */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (isRecord(v) && typeof v[NUM_KEY] === 'string' && Object.keys(v).length === 1) {
      const s = v[NUM_KEY];
      if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') return Number(s);
    }
    return v;
  });
}
