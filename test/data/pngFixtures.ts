/** Writing small PNG files for data tests. */
import { encode } from 'fast-png';
import type { ImageData } from 'fast-png';

/** An 8-bit grey PNG of row-major `pixels`. */
export function greyPng(width: number, height: number, pixels: ArrayLike<number>): Uint8Array {
  return encode({ width, height, data: Uint8Array.from(pixels), depth: 8, channels: 1 });
}

/** An 8-bit RGB PNG with R=G=B=`pixels` (as the TGS images are stored). */
export function rgbGreyPng(width: number, height: number, pixels: ArrayLike<number>): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.fill(pixels[p] ?? 0, p * 3, p * 3 + 3);
  return encode({ width, height, data, depth: 8, channels: 3 });
}

/** A 16-bit grey mask with salt = 65535 (as the TGS salt masks are stored). */
export function mask16Png(width: number, height: number, mask: ArrayLike<number>): Uint8Array {
  const data = new Uint16Array(width * height);
  for (let p = 0; p < data.length; p++) data[p] = (mask[p] ?? 0) ? 65535 : 0;
  return encode({ width, height, data, depth: 16, channels: 1 });
}

/** An 8-bit palette PNG: `indices` into `palette` ([r, g, b] entries). */
export function palettePng(width: number, height: number, indices: ArrayLike<number>, palette: number[][]): Uint8Array {
  const png: ImageData = { width, height, data: Uint8Array.from(indices), depth: 8, channels: 1, palette };
  return encode(png);
}

/** A deterministic pattern of `n` byte values. */
export function pattern(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 37 + seed * 11) % 256);
}
