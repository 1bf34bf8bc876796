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

/**
 * Deepest nesting decoded: far past any request or reply (a design document is 4 levels deep), and
 * well inside the call stack of the code that walks decoded values (zod, JSON.stringify).
 */
export const MAX_WIRE_DEPTH = 512;

function numberOf(v: unknown): number | undefined {
  if (!isRecord(v) || typeof v[NUM_KEY] !== 'string' || Object.keys(v).length !== 1) return undefined;
  const s = v[NUM_KEY];
  return s === 'NaN' || s === 'Infinity' || s === '-Infinity' ? Number(s) : undefined;
}

/**
 * The value of wire text; throws SyntaxError for malformed JSON and for nesting deeper than
 * {@link MAX_WIRE_DEPTH}. The value is walked with a stack, not recursion (a reviver recurses, and a
 * 10 KB body of brackets overflowed it), so the depth is checked before anything recursive sees it.
 */
export function decodeWire(text: string): unknown {
  const root: unknown = JSON.parse(text);
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value, depth } = top;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_WIRE_DEPTH) throw new SyntaxError(`JSON nested deeper than ${MAX_WIRE_DEPTH} levels`);
    const container = value as Record<string, unknown>;
    for (const key of Object.keys(container)) {
      const n = numberOf(container[key]);
      // defineProperty, so that a "__proto__" key stays an own field as JSON.parse made it.
      if (n !== undefined) Object.defineProperty(container, key, { value: n, writable: true, enumerable: true, configurable: true });
      else stack.push({ value: container[key], depth: depth + 1 });
    }
  }
  return numberOf(root) ?? root;
}
