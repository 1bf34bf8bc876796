/**
 * Strata's own PNG reader (pngChunks.ts inflates once, pngPixels.ts unfilters in place) is pixel-exact:
 * against fast-png, the decoder it replaced, on real TGS images and masks read from ../shared/tgs at
 * test time, and on generated PNGs of every format the specification allows (each colour type and
 * bit depth, plain and Adam7, every filter type, odd sizes) against the samples they were written from.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../shared/data/random';
import { decodeGreyPng, decodeMaskPng } from '../../src-main/data/png';
import { TGS_DIR } from '../helpers/paths';
import { CHANNELS, encodePng, pngOfRows, scanlines } from './pngEncode';
import type { PngSpec } from './pngEncode';

interface Expected {
  width: number;
  height: number;
  grey: Uint8Array;
  colour: boolean;
  mask: Uint8Array;
}

/** What the reader must give for colour samples (r, g, b at the file's scale, 0..max) of each pixel. */
function expectedFrom(width: number, height: number, max: number, rgb: (p: number) => [number, number, number]): Expected {
  const grey = new Uint8Array(width * height);
  const mask = new Uint8Array(width * height);
  let colour = false;
  for (let p = 0; p < grey.length; p++) {
    const [r, g, b] = rgb(p);
    const same = r === g && g === b;
    colour ||= !same;
    const value = same ? r : (r + g + b) / 3;
    grey[p] = max === 255 ? Math.round(value) : Math.round((value * 255) / max);
    mask[p] = r > 0 || g > 0 || b > 0 ? 1 : 0;
  }
  return { width, height, grey, colour, mask };
}

/** The same, from fast-png's decode (its samples unpacked, its palette expanded, alpha dropped). */
function fromFastPng(bytes: Uint8Array): Expected {
  const { width, height, depth, channels, data, palette } = decode(bytes);
  const rowBytes = Math.ceil((width * depth) / 8);
  const sample = (p: number, c: number): number => {
    if (depth >= 8) return data[p * channels + c] ?? 0;
    const [x, y] = [p % width, Math.floor(p / width)];
    return ((data[y * rowBytes + Math.floor((x * depth) / 8)] ?? 0) >> (8 - depth - ((x * depth) % 8))) & ((1 << depth) - 1);
  };
  return expectedFrom(width, height, palette ? 255 : 2 ** depth - 1, (p) => {
    if (palette) {
      const [r = 0, g = 0, b = 0] = palette[sample(p, 0)] ?? [];
      return [r, g, b];
    }
    return channels >= 3 ? [sample(p, 0), sample(p, 1), sample(p, 2)] : [sample(p, 0), sample(p, 0), sample(p, 0)];
  });
}

function expectReads(bytes: Uint8Array, want: Expected, label: string): void {
  const grey = decodeGreyPng(bytes);
  const mask = decodeMaskPng(bytes);
  // Compared as Buffers with a label: a failing diff names the case, not thousands of pixels.
  expect(grey.ok && { ...grey, pixels: Buffer.from(grey.pixels).toString('hex') }, label).toEqual({
    ok: true,
    width: want.width,
    height: want.height,
    pixels: Buffer.from(want.grey).toString('hex'),
    colour: want.colour,
  });
  expect(mask.ok && Buffer.from(mask.mask).toString('hex'), label).toBe(Buffer.from(want.mask).toString('hex'));
}

const FORMATS: [colourType: number, depths: number[]][] = [
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]],
];
const SIZES = [
  [1, 1],
  [3, 2],
  [13, 7],
  [17, 9],
];

describe('reading every PNG format, pixel-exact', () => {
  it('reads each colour type, bit depth, filter type and size, plain and Adam7, as written', () => {
    let cases = 0;
    for (const [colourType, depths] of FORMATS) {
      for (const depth of depths) {
        for (const interlace of [0, 1] as const) {
          for (const [width = 1, height = 1] of SIZES) {
            for (let shift = 0; shift < 5; shift++) {
              const next = mulberry32(cases + 1);
              const channels = CHANNELS[colourType] ?? 1;
              const max = 2 ** depth - 1;
              const entries = colourType === 3 ? 2 ** depth : 0;
              // Palette entries: some grey (R=G=B), some colour.
              const palette = Array.from({ length: entries }, (_, e) => {
                const rgb = [0, 0, 0].map(() => Math.floor(next() * 256));
                return e % 3 === 0 ? [rgb[0] ?? 0, rgb[0] ?? 0, rgb[0] ?? 0] : rgb;
              }).flat();
              // Grey-looking pixels (R=G=B) half the time in colour images, so both paths are taken.
              const samples: number[] = [];
              for (let p = 0; p < width * height; p++) {
                const v = Math.floor(next() * (max + 1));
                const px = Array.from({ length: channels }, () => Math.floor(next() * (max + 1)));
                if (channels >= 3 && next() < 0.5) px.fill(v, 0, 3);
                samples.push(...px);
              }
              const spec: PngSpec = { width, height, depth, colourType, interlace, filter: (row) => (row + shift) % 5, ...(entries ? { palette } : {}) };
              const bytes = encodePng(spec, samples);
              const at = (p: number, c: number): number => samples[p * channels + c] ?? 0;
              const want = expectedFrom(width, height, colourType === 3 ? 255 : max, (p) => {
                if (colourType === 3) return [palette[at(p, 0) * 3] ?? 0, palette[at(p, 0) * 3 + 1] ?? 0, palette[at(p, 0) * 3 + 2] ?? 0];
                return channels >= 3 ? [at(p, 0), at(p, 1), at(p, 2)] : [at(p, 0), at(p, 0), at(p, 0)];
              });
              const label = `colour type ${colourType}, ${depth}-bit, ${width}x${height}, interlace ${interlace}, filters from ${shift}`;
              expectReads(bytes, want, label);
              // fast-png agrees, except on Adam7 below 8 bits, which it unpacks a byte a pixel (wrongly).
              if (interlace === 0 || depth >= 8) expect(fromFastPng(bytes), label).toEqual(want);
              cases++;
            }
          }
        }
      }
    }
    expect(cases).toBe(15 * 2 * SIZES.length * 5);
  });

  it('refuses a filter type past 4 and a palette index past the palette, by row and pixel', () => {
    const rows = scanlines({ width: 2, height: 3, depth: 8, colourType: 0 }, [1, 2, 3, 4, 5, 6]);
    rows[6] = 5; // the third row's filter byte
    expect(decodeGreyPng(pngOfRows({ width: 2, height: 3, depth: 8, colourType: 0 }, deflateSync(rows)))).toEqual({
      ok: false,
      code: 'corrupt-png',
      detail: 'corrupt PNG: unknown filter type 5 in row 2',
    });
    const spec: PngSpec = { width: 2, height: 2, depth: 8, colourType: 3, palette: [0, 0, 0, 9, 9, 9] };
    expect(decodeMaskPng(encodePng(spec, [0, 1, 1, 2]))).toEqual({
      ok: false,
      code: 'corrupt-png',
      detail: 'corrupt PNG: palette index 2 at pixel 3 is past the 2-entry palette',
    });
  });
});

describe('reading the real TGS images and masks, pixel-exact against fast-png', () => {
  const names = readdirSync(path.join(TGS_DIR, 'images')).sort();
  // Every 12th of the 3600 pairs: 300 images (8-bit RGB, R=G=B) and their 16-bit grey masks.
  const sample = names.filter((_, i) => i % 12 === 0);

  it('reads them as fast-png does', () => {
    for (const name of sample) {
      for (const folder of ['images', 'masks']) {
        const bytes = readFileSync(path.join(TGS_DIR, folder, name));
        expectReads(bytes, fromFastPng(bytes), `${folder}/${name}`);
      }
    }
    expect(sample.length).toBe(300);
  });

  it('reads their pixels written again with each filter type and with Adam7', () => {
    for (const name of sample.slice(0, 20)) {
      const image = decode(readFileSync(path.join(TGS_DIR, 'images', name)));
      const mask = decode(readFileSync(path.join(TGS_DIR, 'masks', name)));
      const want = fromFastPng(readFileSync(path.join(TGS_DIR, 'images', name)));
      const wantMask = fromFastPng(readFileSync(path.join(TGS_DIR, 'masks', name)));
      const size = { width: image.width, height: image.height };
      for (const [interlace, filter] of [[0, 0], [0, 1], [0, 2], [0, 3], [0, 4], [1, 4], [1, 3]] as const) {
        const filters = { interlace, filter: (row: number) => (interlace ? (row + filter) % 5 : filter) };
        expectReads(encodePng({ ...size, depth: image.depth, colourType: 2, ...filters }, image.data), want, `images/${name}, filter ${filter}, interlace ${interlace}`);
        expectReads(encodePng({ ...size, depth: mask.depth, colourType: 0, ...filters }, mask.data), wantMask, `masks/${name}, filter ${filter}, interlace ${interlace}`);
      }
    }
  });
});
