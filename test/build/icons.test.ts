/**
 * The icon files in resources/ (what electron-builder puts in every target) are the ones
 * src-main/build/icons.ts makes now, and each container holds what its platform looks for.
 */
import { decode } from 'fast-png';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ICNS_TYPES, ICO_SIZES, iconSvg, PNG_SIZES, renderIcon, RESOURCES_DIR, staleIconFiles } from '../../src-main/build/icons';

const file = (name: string): Buffer => readFileSync(path.join(RESOURCES_DIR, name));

describe('resources/ icons', () => {
  it('are current with the generator (npm run build:icons)', () => {
    expect(staleIconFiles()).toEqual([]);
  });

  it('has a PNG of each size, square, with an alpha channel', () => {
    for (const size of PNG_SIZES) {
      const png = decode(file(`icons/${size}x${size}.png`));
      expect([png.width, png.height, png.channels, png.depth], `${size}`).toEqual([size, size, 4, 8]);
    }
    expect(decode(file('icon.png')).width).toBe(1024);
  });

  it('draws the mark: a transparent corner, the sky at the top and the white dome low in the middle', () => {
    for (const size of [16, 256]) {
      const px = renderIcon(size);
      const at = (x: number, y: number): number[] => [...px.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
      expect(at(0, 0)[3], `${size}: corner`).toBe(0);
      const sky = at(Math.floor(size / 2), Math.floor(size * 0.16));
      expect(sky[3]).toBe(255);
      expect(Math.max(...sky.slice(0, 3)), `${size}: sky is dark`).toBeLessThan(80);
      const dome = at(Math.floor(size / 2), Math.floor(size * 0.8));
      expect(Math.min(...dome.slice(0, 3)), `${size}: dome is white`).toBeGreaterThan(200);
      const stratum = at(Math.floor(size * 0.2), Math.floor(size * 0.5));
      expect(stratum[0] ?? 0, `${size}: a warm stratum`).toBeGreaterThan((stratum[2] ?? 0) + 60);
    }
  });

  it('icon.ico lists every Windows size, 256 as PNG and the rest as 32-bit bitmaps', () => {
    const ico = file('icon.ico');
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, ICO_SIZES.length]);
    ICO_SIZES.forEach((size, i) => {
      const e = 6 + 16 * i;
      expect(ico[e] === 0 ? 256 : ico[e]).toBe(size);
      expect(ico.readUInt16LE(e + 6)).toBe(32);
      const data = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8));
      if (size === 256) {
        expect(decode(data).width).toBe(256);
      } else {
        expect([data.readUInt32LE(0), data.readInt32LE(4), data.readInt32LE(8), data.readUInt16LE(14)]).toEqual([40, size, size * 2, 32]);
      }
    });
  });

  it('icon.icns holds each PNG entry at the size its type names', () => {
    const icns = file('icon.icns');
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const found: [string, number][] = [];
    for (let o = 8; o < icns.length; o += icns.readUInt32BE(o + 4)) {
      found.push([icns.toString('latin1', o, o + 4), decode(icns.subarray(o + 8, o + icns.readUInt32BE(o + 4))).width]);
    }
    expect(found).toEqual(ICNS_TYPES.map(([t, s]) => [t, s]));
  });

  it('icon.svg is the vector source of the same shapes', () => {
    const svg = file('icon.svg').toString('utf8');
    expect(svg).toBe(iconSvg());
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 1024 1024"/);
    expect((svg.match(/<path /g) ?? []).length).toBe(6);
  });
});
