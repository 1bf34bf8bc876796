/**
 * Reading PNGs into what the lab uses: 8-bit grey images and 0/1 masks.
 * Any valid PNG is accepted (1/2/4/8/16-bit; grey, grey+alpha, RGB, RGBA, palette); alpha is ignored.
 * Bad input never throws: it comes back as a typed failure that the importer turns into a problem.
 * Nothing is inflated before the declared size is checked (see pngChunks.ts): images past
 * {@link PNG_MAX_SIDE} on a side are refused as `too-large`, and image data that inflates past what its
 * size holds is stopped there.
 */
import { decode } from 'fast-png';
import type { DecodedPng } from 'fast-png';
import { checkPngChunks } from './pngChunks';

export { PNG_MAX_SIDE } from './pngChunks';

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

/** Colour samples at the file's own scale (0..2^depth-1), alpha dropped, palette expanded. */
interface Planes {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB) samples per pixel. */
  channels: 1 | 3;
  samples: Uint8Array | Uint16Array;
  /** Largest possible sample value. */
  max: number;
}

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

/** Unpacks 1/2/4-bit samples (one channel, rows padded to whole bytes) into one byte each. */
function unpackBits(data: ArrayLike<number>, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const perByte = 8 / depth;
  const valueMask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = data[y * rowBytes + Math.floor(x / perByte)] ?? 0;
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & valueMask;
    }
  }
  return out;
}

function toPlanes(png: DecodedPng): Planes | PngFailure {
  const { width, height, depth, channels, data } = png;
  const pixels = width * height;
  if (pixels === 0) return corrupt(`image is ${width}x${height}`);
  const expected = depth < 8 ? Math.ceil((width * depth) / 8) * height * channels : pixels * channels;
  if (data.length < expected) {
    return corrupt(`pixel data is truncated (${data.length} of ${expected} samples)`);
  }
  if (png.palette) {
    const palette = png.palette;
    const indices = depth < 8 ? unpackBits(data, width, height, depth) : data;
    const samples = new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      const entry = palette[indices[p] ?? 0];
      if (!entry) return corrupt(`palette index ${indices[p] ?? 0} at pixel ${p} is past the ${palette.length}-entry palette`);
      samples[p * 3] = entry[0] ?? 0;
      samples[p * 3 + 1] = entry[1] ?? 0;
      samples[p * 3 + 2] = entry[2] ?? 0;
    }
    return { width, height, channels: 3, samples, max: 255 };
  }
  const max = 2 ** depth - 1;
  if (depth < 8) {
    if (channels !== 1) return corrupt(`${depth}-bit samples with ${channels} channels`);
    return { width, height, channels: 1, samples: unpackBits(data, width, height, depth), max };
  }
  const source = data instanceof Uint8ClampedArray ? new Uint8Array(data.buffer, data.byteOffset, data.length) : data;
  if (channels === 1) return { width, height, channels: 1, samples: source.subarray(0, pixels), max };
  if (channels === 2) {
    const samples = depth === 16 ? new Uint16Array(pixels) : new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) samples[p] = source[p * 2] ?? 0;
    return { width, height, channels: 1, samples, max };
  }
  if (channels === 3) return { width, height, channels: 3, samples: source.subarray(0, pixels * 3), max };
  if (channels === 4) {
    const samples = depth === 16 ? new Uint16Array(pixels * 3) : new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      samples[p * 3] = source[p * 4] ?? 0;
      samples[p * 3 + 1] = source[p * 4 + 1] ?? 0;
      samples[p * 3 + 2] = source[p * 4 + 2] ?? 0;
    }
    return { width, height, channels: 3, samples, max };
  }
  return corrupt(`unsupported channel count ${channels}`);
}

function readPlanes(bytes: Uint8Array): Planes | PngFailure {
  const bad = checkSignature(bytes);
  if (bad) return bad;
  const checked = checkPngChunks(bytes);
  if ('code' in checked) return checked.code === 'too-large' ? { ok: false, ...checked } : corrupt(checked.detail);
  let png: DecodedPng;
  try {
    // The chunks' CRCs were checked on the way, and the image data inflates to its declared size.
    png = decode(checked.bytes);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    const message = error instanceof Error ? error.message : String(error);
    const hint = /outside the bounds/i.test(message) ? 'file ends early (truncated?)' : message;
    return corrupt(`${hint}${cause}`);
  }
  return toPlanes(png);
}

/**
 * Reads PNG bytes as an 8-bit grey image. 16-bit samples are rounded to 8 bits, 1/2/4-bit ones
 * stretched to 0..255. RGB pixels with R=G=B give that value (exact for the TGS images); others the
 * rounded mean of R, G, B, flagged by `colour`.
 */
export function decodeGreyPng(bytes: Uint8Array): GreyPng | PngFailure {
  const planes = readPlanes(bytes);
  if ('ok' in planes) return planes;
  const { width, height, channels, samples, max } = planes;
  const pixels = new Uint8Array(width * height);
  const scale = 255 / max;
  let colour = false;
  for (let p = 0; p < pixels.length; p++) {
    let value: number;
    if (channels === 1) {
      value = samples[p] ?? 0;
    } else {
      const r = samples[p * 3] ?? 0;
      const g = samples[p * 3 + 1] ?? 0;
      const b = samples[p * 3 + 2] ?? 0;
      if (r === g && g === b) {
        value = r;
      } else {
        colour = true;
        value = (r + g + b) / 3;
      }
    }
    pixels[p] = max === 255 ? Math.round(value) : Math.round(value * scale);
  }
  return { ok: true, width, height, pixels, colour };
}

/** Reads PNG bytes as a 0/1 mask: 1 where any colour sample is above 0 (so 16-bit {0, 65535} works). */
export function decodeMaskPng(bytes: Uint8Array): MaskPng | PngFailure {
  const planes = readPlanes(bytes);
  if ('ok' in planes) return planes;
  const { width, height, channels, samples } = planes;
  const mask = new Uint8Array(width * height);
  for (let p = 0; p < mask.length; p++) {
    if (channels === 1) {
      mask[p] = (samples[p] ?? 0) > 0 ? 1 : 0;
    } else {
      const i = p * 3;
      mask[p] = (samples[i] ?? 0) > 0 || (samples[i + 1] ?? 0) > 0 || (samples[i + 2] ?? 0) > 0 ? 1 : 0;
    }
  }
  return { ok: true, width, height, mask };
}
