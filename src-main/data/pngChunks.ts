/**
 * The checks a PNG passes before anything in it is inflated, and the one inflation: the chunk layout,
 * the IHDR's declared size against {@link PNG_MAX_SIDE} and {@link PNG_MAX_INFLATED}, then the
 * compressed image data inflated once, into one buffer of the exact byte count that size holds (more
 * is refused there). A 40 KB file can declare 20000x20000 pixels or carry a zlib stream that inflates
 * to gigabytes (a decompression bomb); both are refused here with memory bounded by the declared size,
 * which is itself bounded. The inflated rows go to the decoder (pngPixels.ts); nothing inflates twice.
 */
import { crc32, inflateSync } from 'node:zlib';
import { LIMITS } from '../../shared/arch/limits';

/**
 * Largest width and height read, in pixels: a design's input is at most `LIMITS.size.max` on a side
 * (shared/arch/limits.ts), so no design could train on a larger image.
 */
export const PNG_MAX_SIDE = LIMITS.size.max;

/**
 * Largest inflated image data of one PNG, in bytes: that of a {@link PNG_MAX_SIDE}-square 8-bit RGBA
 * image (64 MiB and one filter byte a row), so every 8-bit format is read at the side limit, but not a
 * 16-bit RGB or RGBA image that large (96 and 128 MiB). One decode holds this buffer, the file's bytes
 * and its 8-bit output (at most 16 MiB), nothing more: about 80 MiB for the widest accepted image (an
 * import of one 4096x4096 8-bit RGBA image, its packed copy included, peaked 96 MiB over the process's start).
 */
export const PNG_MAX_INFLATED = PNG_MAX_SIDE * (1 + PNG_MAX_SIDE * 4);

/** What the IHDR declares. */
export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  interlace: number;
}

/**
 * A PNG that passed the checks: its header, its palette and its image data, inflated. Ancillary
 * chunks (iCCP's own zlib stream among them, and tRNS: alpha is not read) are dropped unread.
 */
export interface CheckedPng {
  header: PngHeader;
  /** The PLTE's RGB triples, for palette images (colour type 3) only; null otherwise. */
  palette: Uint8Array | null;
  /** The filtered scanlines, exactly {@link inflatedBytes} of the header; the decoder may unfilter them in place. */
  rows: Uint8Array;
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
/** Adam7's seven passes: first column, first row, column step, row step. */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;
const COLOUR_NAMES = new Map([[0, 'grey'], [2, 'RGB'], [3, 'palette'], [4, 'grey+alpha'], [6, 'RGBA']]);
const TRUNCATED = 'file ends early (truncated?)';
const MIB = 1024 * 1024;

function corrupt(detail: string): ChunkFailure {
  return { code: 'corrupt-png', detail };
}

/** Samples per pixel of a checked header's colour type. */
export function channelsOf(header: PngHeader): number {
  return COLOUR_TYPES.get(header.colourType)?.channels ?? 0;
}

/**
 * One pass over the image: the whole image, or one of Adam7's seven. Its pixels are columns `x0`,
 * `x0 + dx`, ... of rows `y0`, `y0 + dy`, ...; each of its `height` rows is a filter byte and `rowBytes`.
 */
export interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  rowBytes: number;
}

/** The passes of the image data, in the order they are stored; Adam7's empty passes are left out. */
export function passesOf(header: PngHeader): Pass[] {
  const bits = channelsOf(header) * header.depth;
  const { width: w, height: h } = header;
  const steps = header.interlace === 0 ? [[0, 0, 1, 1] as const] : ADAM7;
  return steps
    .map(([x0, y0, dx, dy]) => {
      const width = Math.ceil(Math.max(0, w - x0) / dx);
      return { x0, y0, dx, dy, width, height: Math.ceil(Math.max(0, h - y0) / dy), rowBytes: Math.ceil((width * bits) / 8) };
    })
    .filter((p) => p.width > 0 && p.height > 0);
}

/** The exact number of bytes the image data must inflate to, from the header alone. */
export function inflatedBytes(header: PngHeader): number {
  return passesOf(header).reduce((sum, p) => sum + p.height * (1 + p.rowBytes), 0);
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MiB`;
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
  const bytes = inflatedBytes(header);
  if (bytes > PNG_MAX_INFLATED) {
    const format = `${depth}-bit ${COLOUR_NAMES.get(colourType) ?? ''}`;
    return {
      code: 'too-large',
      detail:
        `a ${width}x${height} ${format} image holds ${bytes} bytes of image data (${mib(bytes)}); Strata decodes at most ` +
        `${PNG_MAX_INFLATED} bytes (${mib(PNG_MAX_INFLATED)}, a ${PNG_MAX_SIDE}x${PNG_MAX_SIDE} 8-bit RGBA image) per image, so it was not decoded`,
    };
  }
  return header;
}

/** Concatenates byte ranges (one range is returned as it is). */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Inflates the image data into one buffer, stopping at `expected` bytes: more is a bomb, less a truncated image. */
function inflateRows(stream: Uint8Array, expected: number, header: PngHeader): Uint8Array | ChunkFailure {
  if (stream.length === 0) return corrupt('no image data (no IDAT chunk)');
  let rows: Uint8Array;
  try {
    // One output chunk one byte larger than the data: zlib fills it in place, with no chunk list to
    // concatenate (Node's default 16 KiB chunks double the peak), and a bomb fails on its first extra byte.
    rows = inflateSync(stream, { maxOutputLength: expected, chunkSize: Math.max(64, expected + 1) });
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : null;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      return corrupt(`image data inflates past the ${expected} bytes a ${header.width}x${header.height} image holds; decoding stopped there`);
    }
    return corrupt(`compressed image data is invalid (${error instanceof Error ? error.message : String(error)})`);
  }
  return rows.length < expected ? corrupt(`pixel data is truncated (inflates to ${rows.length} of ${expected} bytes)`) : rows;
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

/** The IHDR, the first chunk: there must be one, of 13 bytes, declaring a size within the limits. */
function firstHeader(bytes: Uint8Array, view: DataView): { header: PngHeader; end: number } | ChunkFailure {
  const first = readChunk(bytes, view, 8);
  if ('code' in first) return first;
  if (first.type !== 'IHDR' || first.data.length !== 13) {
    return corrupt(`the first chunk is ${JSON.stringify(first.type)} of ${first.data.length} bytes, expected IHDR of 13`);
  }
  const header = checkHeader(first.data);
  return 'code' in header ? header : { header, end: first.end };
}

/** Bytes of a PNG up to the end of its IHDR: all {@link readPngHeader} needs. */
export const PNG_HEADER_BYTES = 33;

/**
 * The header of a PNG whose signature is already checked, from its first {@link PNG_HEADER_BYTES}
 * bytes (more are ignored): what an import counts before it decodes anything.
 */
export function readPngHeader(head: Uint8Array): PngHeader | ChunkFailure {
  const bytes = head.subarray(0, PNG_HEADER_BYTES);
  const found = firstHeader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return 'code' in found ? found : found.header;
}

/**
 * Walks the chunks of a PNG whose signature is already checked: the first must be the one IHDR, with
 * a size within the limits; every chunk must fit in the file with a correct CRC; and the image data
 * must inflate to exactly what the header declares (inflating stops at that count).
 */
export function checkPngChunks(bytes: Uint8Array): CheckedPng | ChunkFailure {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = firstHeader(bytes, view);
  if ('code' in found) return found;
  const { header } = found;
  const idat: Uint8Array[] = [];
  let palette: Uint8Array | null = null;
  for (let at = found.end; ; ) {
    const chunk = readChunk(bytes, view, at);
    if ('code' in chunk) return chunk;
    if (chunk.type === 'IHDR') return corrupt(`a second IHDR chunk at byte ${at}`);
    if (chunk.type === 'PLTE') {
      if (header.colourType === 0 || header.colourType === 4) return corrupt(`a PLTE chunk in a grey image (colour type ${header.colourType})`);
      if (chunk.data.length === 0 || chunk.data.length % 3 !== 0) return corrupt(`the PLTE chunk at byte ${at} holds ${chunk.data.length} bytes, not whole RGB entries`);
      if (palette) return corrupt(`a second PLTE chunk at byte ${at}`);
      // In an RGB or RGBA image a PLTE is only a suggested palette for displays; the pixels stay RGB.
      palette = header.colourType === 3 ? chunk.data : new Uint8Array(0);
    }
    if (chunk.type === 'IDAT') idat.push(chunk.data);
    if (chunk.type === 'IEND') break;
    at = chunk.end;
  }
  if (header.colourType === 3 && !palette) return corrupt('a palette image (colour type 3) without a PLTE chunk');
  const rows = inflateRows(concat(idat), inflatedBytes(header), header);
  return 'code' in rows ? rows : { header, palette: header.colourType === 3 ? palette : null, rows };
}
