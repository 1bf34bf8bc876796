/**
 * The checks a PNG passes before anything in it is inflated: the chunk layout, the IHDR's declared
 * size against {@link PNG_MAX_SIDE}, and the compressed image data inflated with a cap at the exact
 * byte count that size holds. A 40 KB file can declare 20000x20000 pixels or carry a zlib stream that
 * inflates to gigabytes (a decompression bomb); both are refused here with memory bounded by the
 * declared size, which is itself bounded.
 */
import { crc32, inflateSync } from 'node:zlib';
import { LIMITS } from '../../shared/arch/limits';

/**
 * Largest width and height read, in pixels: a design's input is at most `LIMITS.size.max` on a side
 * (shared/arch/limits.ts), so no design could train on a larger image. At this size the raw data of
 * the widest format (16-bit RGBA) is 128 MiB, the most one decode holds.
 */
export const PNG_MAX_SIDE = LIMITS.size.max;

/** What the IHDR declares. */
export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  interlace: number;
}

/** A PNG that passed the checks: its header and the chunks the decoder needs, verbatim. */
export interface CheckedPng {
  header: PngHeader;
  /**
   * The signature and the IHDR, PLTE (palette images only), tRNS, IDAT and IEND chunks; ancillary
   * chunks (iCCP's own zlib stream among them) are left out.
   */
  bytes: Uint8Array;
}

/** Why the checks refused a file: `too-large` for a declared size past the limit, `corrupt-png` for the rest. */
export interface ChunkFailure {
  code: 'corrupt-png' | 'too-large';
  detail: string;
}

/** Samples per pixel of each colour type, with the bit depths the PNG specification allows for it. */
const COLOUR_TYPES = new Map<number, { channels: number; depths: number[] }>([
  [0, { channels: 1, depths: [1, 2, 4, 8, 16] }],
  [2, { channels: 3, depths: [8, 16] }],
  [3, { channels: 1, depths: [1, 2, 4, 8] }],
  [4, { channels: 2, depths: [8, 16] }],
  [6, { channels: 4, depths: [8, 16] }],
]);
/** Chunks the decoder is given; everything else is dropped unread. */
const KEPT = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
/** Adam7's seven passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;
const TRUNCATED = 'file ends early (truncated?)';

function corrupt(detail: string): ChunkFailure {
  return { code: 'corrupt-png', detail };
}

/** Filtered scanline bytes of a w x h image: one filter byte per row plus the packed samples. */
function scanlineBytes(w: number, h: number, bitsPerPixel: number): number {
  return w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8));
}

/** The exact number of bytes the image data must inflate to, from the header alone. */
export function inflatedBytes(header: PngHeader): number {
  const channels = COLOUR_TYPES.get(header.colourType)?.channels ?? 0;
  const bits = channels * header.depth;
  const { width: w, height: h } = header;
  if (header.interlace === 0) return scanlineBytes(w, h, bits);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + scanlineBytes(Math.ceil(Math.max(0, w - x0) / dx), Math.ceil(Math.max(0, h - y0) / dy), bits), 0);
}

function checkHeader(data: Uint8Array): PngHeader | ChunkFailure {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const header: PngHeader = {
    width: view.getUint32(0),
    height: view.getUint32(4),
    depth: data[8] ?? 0,
    colourType: data[9] ?? 0,
    interlace: data[12] ?? 0,
  };
  const { width, height, depth, colourType, interlace } = header;
  if (width === 0 || height === 0) return corrupt(`image is ${width}x${height}`);
  if (width > PNG_MAX_SIDE || height > PNG_MAX_SIDE) {
    return {
      code: 'too-large',
      detail: `image is ${width}x${height}; Strata reads images up to ${PNG_MAX_SIDE}x${PNG_MAX_SIDE} (a design's largest input), so it was not decoded`,
    };
  }
  const colour = COLOUR_TYPES.get(colourType);
  if (!colour) return corrupt(`unknown colour type ${colourType}`);
  if (!colour.depths.includes(depth)) return corrupt(`bit depth ${depth} is not allowed for colour type ${colourType}`);
  if ((data[10] ?? 0) !== 0 || (data[11] ?? 0) !== 0) return corrupt(`unknown compression or filter method (${data[10] ?? 0}, ${data[11] ?? 0})`);
  if (interlace > 1) return corrupt(`unknown interlace method ${interlace}`);
  return header;
}

/** Concatenates byte ranges. */
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Inflates the image data, stopping at `expected` bytes: more is a bomb, less a truncated image. */
function checkInflate(stream: Uint8Array, expected: number, header: PngHeader): ChunkFailure | null {
  if (stream.length === 0) return corrupt('no image data (no IDAT chunk)');
  let inflated: number;
  try {
    inflated = inflateSync(stream, { maxOutputLength: expected }).length;
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : null;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      return corrupt(`image data inflates past the ${expected} bytes a ${header.width}x${header.height} image holds; decoding stopped there`);
    }
    return corrupt(`compressed image data is invalid (${error instanceof Error ? error.message : String(error)})`);
  }
  return inflated < expected ? corrupt(`pixel data is truncated (inflates to ${inflated} of ${expected} bytes)`) : null;
}

interface Chunk {
  type: string;
  data: Uint8Array;
  /** Offset of the chunk's length field, and one past its CRC. */
  start: number;
  end: number;
}

/** The chunk at `at`: it must fit in the file and its CRC must match. */
function readChunk(bytes: Uint8Array, view: DataView, at: number): Chunk | ChunkFailure {
  if (at + 12 > bytes.length) return corrupt(TRUNCATED);
  const length = view.getUint32(at);
  const end = at + 12 + length;
  if (end > bytes.length) return corrupt(TRUNCATED);
  const typeBytes = bytes.subarray(at + 4, at + 8);
  const type = String.fromCharCode(...typeBytes);
  const data = bytes.subarray(at + 8, at + 8 + length);
  if (crc32(data, crc32(typeBytes)) !== view.getUint32(end - 4)) return corrupt(`CRC mismatch in chunk ${JSON.stringify(type)} at byte ${at}`);
  return { type, data, start: at, end };
}

/**
 * Walks the chunks of a PNG whose signature is already checked: the first must be the one IHDR, with
 * a size within the limit; every chunk must fit in the file with a correct CRC; and the image data
 * must inflate to exactly what the header declares (inflating stops at that count).
 */
export function checkPngChunks(bytes: Uint8Array): CheckedPng | ChunkFailure {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = readChunk(bytes, view, 8);
  if ('code' in first) return first;
  if (first.type !== 'IHDR' || first.data.length !== 13) {
    return corrupt(`the first chunk is ${JSON.stringify(first.type)} of ${first.data.length} bytes, expected IHDR of 13`);
  }
  const header = checkHeader(first.data);
  if ('code' in header) return header;
  const kept: Uint8Array[] = [bytes.subarray(0, first.end)];
  const idat: Uint8Array[] = [];
  let palette = false;
  for (let at = first.end; ; ) {
    const chunk = readChunk(bytes, view, at);
    if ('code' in chunk) return chunk;
    if (chunk.type === 'IHDR') return corrupt(`a second IHDR chunk at byte ${at}`);
    if (chunk.type === 'PLTE') {
      if (header.colourType === 0 || header.colourType === 4) return corrupt(`a PLTE chunk in a grey image (colour type ${header.colourType})`);
      palette = true;
    }
    // In an RGB or RGBA image a PLTE is only a suggested palette for displays; the pixels stay RGB.
    const ignored = chunk.type === 'PLTE' && header.colourType !== 3;
    if (KEPT.has(chunk.type) && !ignored) kept.push(bytes.subarray(chunk.start, chunk.end));
    if (chunk.type === 'IDAT') idat.push(chunk.data);
    if (chunk.type === 'IEND') break;
    at = chunk.end;
  }
  if (header.colourType === 3 && !palette) return corrupt('a palette image (colour type 3) without a PLTE chunk');
  return checkInflate(concat(idat), inflatedBytes(header), header) ?? { header, bytes: concat(kept) };
}
