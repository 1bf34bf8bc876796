/**
 * TGS / Kaggle run-length encoding of binary masks.
 * Pixels are numbered top to bottom, then left to right (column-major), from 1:
 * index = col * height + row + 1. The string is space-separated `start length` pairs in increasing
 * order; the empty string is the empty mask.
 */

/** Result of `decodeRle`: the mask (row-major, 0/1) or why the string is invalid. */
export type RleDecodeResult = { ok: true; mask: Uint8Array } | { ok: false; error: string };

/** Encodes a row-major 0/1 mask (any non-zero counts as 1) of `height` x `width` pixels. */
export function encodeRle(mask: Uint8Array, height: number, width: number): string {
  if (mask.length !== height * width) {
    throw new RangeError(`encodeRle: mask has ${mask.length} pixels, expected ${height}x${width} = ${height * width}`);
  }
  const parts: string[] = [];
  let runStart = 0;
  let runLength = 0;
  for (let col = 0; col < width; col++) {
    for (let row = 0; row < height; row++) {
      if (mask[row * width + col] !== 0) {
        if (runLength === 0) runStart = col * height + row + 1;
        runLength++;
      } else if (runLength > 0) {
        parts.push(`${runStart} ${runLength}`);
        runLength = 0;
      }
    }
  }
  if (runLength > 0) parts.push(`${runStart} ${runLength}`);
  return parts.join(' ');
}

const INTEGER = /^[0-9]+$/;

/**
 * Decodes an RLE string into a row-major 0/1 mask. Never throws for bad input: an odd number of
 * tokens, a token that is not a non-negative integer, a start below 1, a zero length, a run past the
 * last pixel, or runs that overlap or are out of order all give `{ ok: false, error }`.
 * Adjacent runs (one starting right after the previous ends) are valid.
 */
export function decodeRle(rle: string, height: number, width: number): RleDecodeResult {
  const total = height * width;
  const mask = new Uint8Array(total);
  const trimmed = rle.trim();
  if (trimmed === '') return { ok: true, mask };
  const tokens = trimmed.split(/\s+/);
  if (tokens.length % 2 !== 0) {
    return { ok: false, error: `odd number of numbers (${tokens.length}); RLE is "start length" pairs` };
  }
  let previousEnd = 0; // 1-based index of the last pixel of the previous run
  for (let i = 0; i < tokens.length; i += 2) {
    const startToken = tokens[i] ?? '';
    const lengthToken = tokens[i + 1] ?? '';
    const pair = (i >> 1) + 1;
    if (!INTEGER.test(startToken)) return { ok: false, error: `pair ${pair}: start "${startToken}" is not an integer` };
    if (!INTEGER.test(lengthToken)) return { ok: false, error: `pair ${pair}: length "${lengthToken}" is not an integer` };
    const start = Number(startToken);
    const length = Number(lengthToken);
    if (start < 1) return { ok: false, error: `pair ${pair}: start ${start} is below 1 (pixels are numbered from 1)` };
    if (length === 0) return { ok: false, error: `pair ${pair}: zero length at start ${start}` };
    const end = start + length - 1;
    if (end > total) {
      return { ok: false, error: `pair ${pair}: run ${start}..${end} goes past the last pixel ${total} (${height}x${width})` };
    }
    if (start <= previousEnd) {
      return {
        ok: false,
        error: `pair ${pair}: run starting at ${start} overlaps or precedes the previous run ending at ${previousEnd}`,
      };
    }
    for (let index = start - 1; index < end; index++) {
      const col = Math.floor(index / height);
      const row = index - col * height;
      mask[row * width + col] = 1;
    }
    previousEnd = end;
  }
  return { ok: true, mask };
}
