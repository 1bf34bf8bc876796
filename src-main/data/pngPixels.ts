/**
 * The second half of reading a PNG: the image data that pngChunks.ts inflated (once, to its exact
 * size) is unfiltered in place and handed out one stored row at a time, as colour samples at the
 * file's own scale. Nothing the size of the image is allocated here: a row buffer of at most the
 * image's width, so a decode holds the inflated data and the caller's output, no other copy.
 * Covers every format the PNG specification allows: filters 0-4, bit depths 1/2/4/8/16, colour types
 * 0/2/3/4/6 (alpha dropped, palette expanded) and Adam7 interlacing.
 */
import { channelsOf, passesOf } from './pngChunks';
import type { CheckedPng } from './pngChunks';

/**
 * One stored row's colour samples (0..max): `count` pixels landing at `start`, `start + step`, ... of
 * the row-major image. Grey rows pass one array as `r`, `g` and `b`. The arrays are reused row to row.
 */
export interface PixelRow {
  start: number;
  step: number;
  count: number;
  r: Uint16Array;
  g: Uint16Array;
  b: Uint16Array;
}

/** Largest sample value of the rows `forEachRow` hands out: 255 for palette images, else 2^depth - 1. */
export function sampleMax(png: CheckedPng): number {
  return png.palette ? 255 : 2 ** png.header.depth - 1;
}

/** The Paeth predictor of the PNG specification (section 9.4). */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Undoes the filter of the row whose bytes start at `at` (its filter byte is at `at - 1`), in place;
 * `prior` is where the pass's previous row starts, or -1 for its first row (taken as zeros).
 * False for a filter type the specification does not define.
 */
function unfilterRow(data: Uint8Array, at: number, prior: number, rowBytes: number, bpp: number): boolean {
  const type = data[at - 1];
  const end = at + rowBytes;
  if (type === 0) return true;
  if (type === 1) {
    for (let i = at + bpp; i < end; i++) data[i] = (data[i] ?? 0) + (data[i - bpp] ?? 0);
    return true;
  }
  if (type === 2) {
    if (prior >= 0) for (let i = 0; i < rowBytes; i++) data[at + i] = (data[at + i] ?? 0) + (data[prior + i] ?? 0);
    return true;
  }
  if (type === 3) {
    for (let i = 0; i < rowBytes; i++) {
      const left = i >= bpp ? (data[at + i - bpp] ?? 0) : 0;
      const up = prior >= 0 ? (data[prior + i] ?? 0) : 0;
      data[at + i] = (data[at + i] ?? 0) + ((left + up) >> 1);
    }
    return true;
  }
  if (type === 4) {
    for (let i = 0; i < rowBytes; i++) {
      const left = i >= bpp ? (data[at + i - bpp] ?? 0) : 0;
      const up = prior >= 0 ? (data[prior + i] ?? 0) : 0;
      const upLeft = i >= bpp && prior >= 0 ? (data[prior + i - bpp] ?? 0) : 0;
      data[at + i] = (data[at + i] ?? 0) + paeth(left, up, upLeft);
    }
    return true;
  }
  return false;
}

/** Copies sample `c` of the first `count` pixels of the unfiltered row at `at` into `out`. */
function readChannel(data: Uint8Array, at: number, count: number, c: number, channels: number, depth: number, out: Uint16Array): void {
  if (depth === 8) {
    for (let i = 0, k = at + c; i < count; i++, k += channels) out[i] = data[k] ?? 0;
  } else if (depth === 16) {
    for (let i = 0, k = at + 2 * c; i < count; i++, k += 2 * channels) out[i] = ((data[k] ?? 0) << 8) | (data[k + 1] ?? 0);
  } else {
    // 1, 2 and 4 bits: one channel (grey or palette index), packed from the high bits of each byte.
    const mask = (1 << depth) - 1;
    for (let i = 0, bit = 0; i < count; i++, bit += depth) out[i] = ((data[at + (bit >> 3)] ?? 0) >> (8 - depth - (bit & 7))) & mask;
  }
}

/**
 * Unfilters the image data of `png` in place (it is consumed) and calls `visit` for each stored row,
 * pass by pass. Returns null, or what is wrong (an unknown filter type, a palette index past the
 * palette) with the row or pixel, after which no more rows are visited.
 */
export function forEachRow(png: CheckedPng, visit: (row: PixelRow) => void): string | null {
  const { header, palette, rows: data } = png;
  const channels = channelsOf(header);
  const depth = header.depth;
  const bpp = Math.max(1, (channels * depth) >> 3);
  const r = new Uint16Array(header.width);
  const colour = channels >= 3 || palette !== null;
  const g = colour ? new Uint16Array(header.width) : r;
  const b = colour ? new Uint16Array(header.width) : r;
  const entries = palette ? palette.length / 3 : 0;
  let at = 1;
  for (const pass of passesOf(header)) {
    for (let y = 0; y < pass.height; y++) {
      const imageRow = pass.y0 + y * pass.dy;
      if (!unfilterRow(data, at, y === 0 ? -1 : at - pass.rowBytes - 1, pass.rowBytes, bpp)) {
        return `unknown filter type ${data[at - 1] ?? 0} in row ${imageRow}${header.interlace ? ` (Adam7 pass ${pass.dx}x${pass.dy} at ${pass.x0},${pass.y0})` : ''}`;
      }
      const start = imageRow * header.width + pass.x0;
      readChannel(data, at, pass.width, 0, channels, depth, r);
      if (palette) {
        for (let i = 0; i < pass.width; i++) {
          const index = r[i] ?? 0;
          if (index >= entries) return `palette index ${index} at pixel ${start + i * pass.dx} is past the ${entries}-entry palette`;
          r[i] = palette[index * 3] ?? 0;
          g[i] = palette[index * 3 + 1] ?? 0;
          b[i] = palette[index * 3 + 2] ?? 0;
        }
      } else if (colour) {
        readChannel(data, at, pass.width, 1, channels, depth, g);
        readChannel(data, at, pass.width, 2, channels, depth, b);
      }
      visit({ start, step: pass.dx, count: pass.width, r, g, b });
      at += pass.rowBytes + 1;
    }
  }
  return null;
}
