/**
 * Reading PNGs into what the lab uses: 8-bit grey images and 0/1 masks.
 * Any valid PNG is accepted (1/2/4/8/16-bit; grey, grey+alpha, RGB, RGBA, palette; Adam7); alpha is ignored.
 * Bad input never throws: it comes back as a typed failure that the importer turns into a problem.
 * Nothing is inflated before the declared size is checked (see pngChunks.ts): images past
 * {@link PNG_MAX_SIDE} on a side or {@link PNG_MAX_INFLATED} bytes of image data are refused as
 * `too-large`, and image data that inflates past what its size holds is stopped there. The data is
 * inflated once and unfiltered in place (pngPixels.ts) straight into the 8-bit output.
 */
import { checkPngChunks, readPngHeader } from './pngChunks';
import type { CheckedPng, ChunkFailure, PngHeader } from './pngChunks';
import { forEachRow, sampleMax } from './pngPixels';
import type { PixelRow } from './pngPixels';

export { PNG_HEADER_BYTES, PNG_MAX_INFLATED, PNG_MAX_SIDE } from './pngChunks';
export type { PngHeader } from './pngChunks';

/** Why bytes could not be read as a PNG. `detail` does not name the file: the caller does. */
export interface PngFailure {
  ok: false;
  code: 'empty-file' | 'not-png' | 'corrupt-png' | 'too-large';
  detail: string;
}

/** A PNG read as an 8-bit grey image. */
export interface GreyPng {
  ok: true;
  width: number;
  height: number;
  /** Row-major, height*width. */
  pixels: Uint8Array;
  /** True when some pixel had R, G, B not all equal; those pixels are the rounded mean of R, G, B. */
  colour: boolean;
}

/** A PNG read as a binary mask: a pixel is 1 when any colour channel is above 0. */
export interface MaskPng {
  ok: true;
  width: number;
  height: number;
  /** Row-major 0/1, height*width. */
  mask: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function checkSignature(bytes: Uint8Array): PngFailure | null {
  if (bytes.length === 0) return { ok: false, code: 'empty-file', detail: 'empty file (0 bytes)' };
  const isPng = bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
  if (!isPng) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return { ok: false, code: 'not-png', detail: `not a PNG file (first bytes ${head}, expected 89 50 4e 47 0d 0a 1a 0a)` };
  }
  return null;
}

function corrupt(detail: string): PngFailure {
  return { ok: false, code: 'corrupt-png', detail: `corrupt PNG: ${detail}` };
}

/** A refusal of the chunk reader as a decode failure: a size past the limits keeps its own code, anything else is corrupt. */
function refusal(f: ChunkFailure): PngFailure {
  return f.code === 'too-large' ? { ok: false, ...f } : corrupt(f.detail);
}

/** The checked, inflated PNG in `bytes`, or why not. */
function checkPng(bytes: Uint8Array): CheckedPng | PngFailure {
  const bad = checkSignature(bytes);
  if (bad) return bad;
  const checked = checkPngChunks(bytes);
  if ('code' in checked) return refusal(checked);
  return checked;
}

/**
 * The header of a PNG from its first {@link PNG_HEADER_BYTES} bytes, checked as a decode would check
 * it (signature, IHDR, size limits), or why it would be refused; nothing is inflated.
 */
export function readPngSize(head: Uint8Array): PngHeader | PngFailure {
  const bad = checkSignature(head);
  if (bad) return bad;
  const header = readPngHeader(head);
  if ('code' in header) return refusal(header);
  return header;
}

/** Decodes `bytes` into a width*height output through `visit`, which writes one stored row into it. */
function decodeInto(
  bytes: Uint8Array,
  visit: (row: PixelRow, out: Uint8Array, max: number) => void,
): { width: number; height: number; out: Uint8Array } | PngFailure {
  const png = checkPng(bytes);
  if ('ok' in png) return png;
  const { width, height } = png.header;
  const out = new Uint8Array(width * height);
  const max = sampleMax(png);
  const failed = forEachRow(png, (row) => visit(row, out, max));
  return failed === null ? { width, height, out } : corrupt(failed);
}

/**
 * Reads PNG bytes as an 8-bit grey image. 16-bit samples are rounded to 8 bits, 1/2/4-bit ones
 * stretched to 0..255. RGB pixels with R=G=B give that value (exact for the TGS images); others the
 * rounded mean of R, G, B, flagged by `colour`.
 */
export function decodeGreyPng(bytes: Uint8Array): GreyPng | PngFailure {
  let colour = false;
  const decoded = decodeInto(
    bytes,
    ({ start, step, count, r, g, b }, pixels, max) => {
      const scale = 255 / max;
      for (let i = 0; i < count; i++) {
        const red = r[i] ?? 0;
        const green = g[i] ?? 0;
        const blue = b[i] ?? 0;
        let value = red;
        if (red !== green || green !== blue) {
          colour = true;
          value = (red + green + blue) / 3;
        }
        pixels[start + i * step] = max === 255 ? Math.round(value) : Math.round(value * scale);
      }
    },
  );
  if ('ok' in decoded) return decoded;
  return { ok: true, width: decoded.width, height: decoded.height, pixels: decoded.out, colour };
}

/** Reads PNG bytes as a 0/1 mask: 1 where any colour sample is above 0 (so 16-bit {0, 65535} works). */
export function decodeMaskPng(bytes: Uint8Array): MaskPng | PngFailure {
  const decoded = decodeInto(
    bytes,
    ({ start, step, count, r, g, b }, mask) => {
      for (let i = 0; i < count; i++) mask[start + i * step] = (r[i] ?? 0) > 0 || (g[i] ?? 0) > 0 || (b[i] ?? 0) > 0 ? 1 : 0;
    },
  );
  if ('ok' in decoded) return decoded;
  return { ok: true, width: decoded.width, height: decoded.height, mask: decoded.out };
}
