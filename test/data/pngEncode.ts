/**
 * A small PNG writer for tests, independent of the reader under test and of fast-png (which cannot
 * write Adam7, filters of its choosing or 2/4-bit grey): every colour type and bit depth the
 * specification allows, Adam7, and a chosen filter type for each stored row, applied forwards as the
 * specification defines them (Adam7's pass table is the reader's, checked against fast-png's at 8 and
 * 16 bits in pngPixels.test.ts). Also the chunk-level pieces for hand-made bad files.
 */
import { crc32, deflateSync } from 'node:zlib';
import { ADAM7 } from '../../src-main/data/pngChunks';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(8, 8 + data.length), crc32(out.subarray(4, 8))), 8 + data.length);
  return out;
}

export function ihdrChunk(w: number, h: number, depth = 8, colourType = 0, interlace = 0): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(w, 0);
  d.writeUInt32BE(h, 4);
  d[8] = depth;
  d[9] = colourType;
  d[12] = interlace;
  return pngChunk('IHDR', d);
}

export const IEND_CHUNK = pngChunk('IEND', new Uint8Array(0));

/** Samples a pixel for each colour type. */
export const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface PngSpec {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  interlace?: 0 | 1;
  /** RGB triples, for colour type 3. */
  palette?: number[];
  /** The filter type (0-4) of the n-th stored row, counted over all passes; default 0. */
  filter?: (row: number) => number;
  /** Chunks written between the PLTE and the IDAT. */
  extra?: Buffer[];
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Packs one row of samples (pixel-major, `channels` each) at `depth` bits, big-endian. */
function packRow(samples: number[], depth: number): number[] {
  if (depth === 8) return samples;
  if (depth === 16) return samples.flatMap((s) => [s >> 8, s & 0xff]);
  const out = new Array<number>(Math.ceil((samples.length * depth) / 8)).fill(0);
  samples.forEach((s, i) => {
    const bit = i * depth;
    out[bit >> 3] = (out[bit >> 3] ?? 0) | (s << (8 - depth - (bit & 7)));
  });
  return out;
}

/** Filters a row forwards: each byte minus its predictor from the raw left, up and up-left bytes. */
function filterRow(type: number, raw: number[], prev: number[] | null, bpp: number): number[] {
  return raw.map((x, i) => {
    const a = i >= bpp ? (raw[i - bpp] ?? 0) : 0;
    const b = prev ? (prev[i] ?? 0) : 0;
    const c = prev && i >= bpp ? (prev[i - bpp] ?? 0) : 0;
    const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type] ?? 0;
    return (x - predictor) & 0xff;
  });
}

/** The filtered scanlines of `samples` (row-major, `CHANNELS[colourType]` a pixel, at the file's scale). */
export function scanlines(spec: PngSpec, samples: ArrayLike<number>): Uint8Array {
  const channels = CHANNELS[spec.colourType] ?? 1;
  const bpp = Math.max(1, (channels * spec.depth) >> 3);
  const steps = spec.interlace ? ADAM7 : [[0, 0, 1, 1] as const];
  const out: number[] = [];
  let stored = 0;
  for (const [x0, y0, dx, dy] of steps) {
    let prev: number[] | null = null;
    for (let y = y0; y < spec.height && x0 < spec.width; y += dy) {
      const row: number[] = [];
      for (let x = x0; x < spec.width; x += dx) {
        for (let c = 0; c < channels; c++) row.push(samples[(y * spec.width + x) * channels + c] ?? 0);
      }
      const raw = packRow(row, spec.depth);
      const type = spec.filter?.(stored++) ?? 0;
      out.push(type, ...filterRow(type, raw, prev, bpp));
      prev = raw;
    }
  }
  return Uint8Array.from(out);
}

/** A PNG of `samples` as `spec` says. */
export function encodePng(spec: PngSpec, samples: ArrayLike<number>): Buffer {
  return pngOfRows(spec, deflateSync(scanlines(spec, samples)));
}

/** A PNG whose IDAT holds `compressed` as it is (a zlib stream of the filtered rows). */
export function pngOfRows(spec: PngSpec, compressed: Uint8Array): Buffer {
  const plte = spec.palette ? [pngChunk('PLTE', Uint8Array.from(spec.palette))] : [];
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdrChunk(spec.width, spec.height, spec.depth, spec.colourType, spec.interlace ?? 0),
    ...plte,
    ...(spec.extra ?? []),
    pngChunk('IDAT', compressed),
    IEND_CHUNK,
  ]);
}

/** A zero-filled PNG (every row filter 0, every sample 0) of `rawBytes` inflated bytes: small on disk at any size. */
export function zeroPng(spec: PngSpec, rawBytes: number): Buffer {
  return pngOfRows(spec, deflateSync(new Uint8Array(rawBytes)));
}
