import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeGreyPng, decodeMaskPng } from '../../src-main/data/png';
import { greyPng, mask16Png, palettePng, pattern, rgbGreyPng } from './pngFixtures';

describe('decodeGreyPng', () => {
  it('reads 8-bit grey and R=G=B RGB identically, without a colour flag', () => {
    const pixels = pattern(12, 1);
    for (const bytes of [greyPng(4, 3, pixels), rgbGreyPng(4, 3, pixels)]) {
      const png = decodeGreyPng(bytes);
      expect(png).toEqual({ ok: true, width: 4, height: 3, pixels: Uint8Array.from(pixels), colour: false });
    }
  });

  it('takes the rounded mean of real colour pixels and flags them', () => {
    // (10 + 20 + 31) / 3 = 20.33 -> 20; (0 + 0 + 2) / 3 = 0.67 -> 1; alpha is ignored.
    const bytes = encode({ width: 2, height: 1, data: Uint8Array.from([10, 20, 31, 255, 0, 0, 2, 0]), depth: 8, channels: 4 });
    const png = decodeGreyPng(bytes);
    expect(png).toEqual({ ok: true, width: 2, height: 1, pixels: Uint8Array.from([20, 1]), colour: true });
  });

  it('scales 16-bit and 1-bit grey to 0..255', () => {
    const sixteen = encode({ width: 3, height: 1, data: Uint16Array.from([0, 257 * 100, 65535]), depth: 16, channels: 1 });
    const g16 = decodeGreyPng(sixteen);
    expect(g16.ok && Array.from(g16.pixels)).toEqual([0, 100, 255]);
    // 1-bit, width 10: two bytes per row, bits from the high end. Row: 1011000001.
    const oneBit = encode({ width: 10, height: 1, data: Uint8Array.from([0b10110000, 0b01000000]), depth: 1, channels: 1 });
    const g1 = decodeGreyPng(oneBit);
    expect(g1.ok && Array.from(g1.pixels)).toEqual([255, 0, 255, 255, 0, 0, 0, 0, 0, 255]);
  });

  it('expands palette images', () => {
    const palette = [
      [0, 0, 0],
      [90, 90, 90],
      [200, 200, 200],
    ];
    const png = decodeGreyPng(palettePng(3, 2, [0, 1, 2, 2, 1, 0], palette));
    expect(png.ok && Array.from(png.pixels)).toEqual([0, 90, 200, 200, 90, 0]);
  });

  it('reports empty, non-PNG and truncated files as typed failures', () => {
    expect(decodeGreyPng(new Uint8Array(0))).toMatchObject({ ok: false, code: 'empty-file' });
    const text = decodeGreyPng(new TextEncoder().encode('hello, I am not an image'));
    expect(text).toMatchObject({ ok: false, code: 'not-png' });
    expect(!text.ok && text.detail).toMatch(/first bytes 68 65 6c 6c/);
    const good = greyPng(16, 16, pattern(256, 3));
    for (const cut of [10, 30, Math.floor(good.length / 2), good.length - 13]) {
      expect(decodeGreyPng(good.subarray(0, cut))).toMatchObject({ ok: false, code: 'corrupt-png' });
    }
  });

  it('catches a flipped byte inside the compressed data by its CRC', () => {
    const bytes = greyPng(16, 16, pattern(256, 5)).slice();
    const idat = Buffer.from(bytes).indexOf('IDAT');
    bytes[idat + 6] = (bytes[idat + 6] ?? 0) ^ 0xff;
    const png = decodeGreyPng(bytes);
    expect(png).toMatchObject({ ok: false, code: 'corrupt-png' });
  });
});

describe('decodeMaskPng', () => {
  it('thresholds 16-bit {0, 65535} masks at > 0', () => {
    const mask = [0, 1, 1, 0, 0, 1];
    const png = decodeMaskPng(mask16Png(3, 2, mask));
    expect(png).toEqual({ ok: true, width: 3, height: 2, mask: Uint8Array.from(mask) });
  });

  it('counts any non-zero grey or colour as salt, including 16-bit value 1', () => {
    const small = encode({ width: 3, height: 1, data: Uint16Array.from([0, 1, 200]), depth: 16, channels: 1 });
    expect(decodeMaskPng(small)).toEqual({ ok: true, width: 3, height: 1, mask: Uint8Array.from([0, 1, 1]) });
    const palette = decodeMaskPng(palettePng(2, 2, [0, 1, 1, 0], [[0, 0, 0], [0, 0, 9]]));
    expect(palette).toEqual({ ok: true, width: 2, height: 2, mask: Uint8Array.from([0, 1, 1, 0]) });
  });
});
