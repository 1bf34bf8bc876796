/**
 * Property-based fuzzing (issue 20 item 9) of the PNG reader on mutated real PNGs: a few TGS images
 * and masks read from ../shared/tgs at test time (never copied here) and small PNGs of the other
 * formats. Mutations work on the chunks with CRCs recomputed (so they reach past the CRC check): IHDR
 * fields, chunks dropped, repeated, swapped or inserted, and the inflated rows changed and deflated
 * again; and on the raw bytes (flips, cuts). Every result is a decoded image within the size limit or
 * a typed failure; nothing throws, and the process's peak memory stays bounded.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeGreyPng, decodeMaskPng, PNG_MAX_SIDE } from '../../src-main/data/png';
import { greyPng, mask16Png, palettePng, pattern } from '../data/pngFixtures';
import { TGS_DIR } from '../helpers/paths';
import { fuzz } from './fuzzRuns';

interface Chunk {
  type: string;
  data: Uint8Array;
}

/** The chunks of a PNG, each a copy (a Buffer's slice would share the seed's bytes). */
function chunksOf(png: Uint8Array): Chunk[] {
  const out: Chunk[] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    out.push({ type: Buffer.from(png.subarray(at + 4, at + 8)).toString('latin1'), data: Uint8Array.from(png.subarray(at + 8, at + 8 + length)) });
    at += 12 + length;
  }
  return out;
}

function pngOf(chunks: readonly Chunk[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const { type, data } of chunks) {
    const c = Buffer.alloc(12 + data.length);
    c.writeUInt32BE(data.length, 0);
    c.write(type.padEnd(4, ' ').slice(0, 4), 4, 'latin1');
    c.set(data, 8);
    c.writeUInt32BE(crc32(c.subarray(8, 8 + data.length), crc32(c.subarray(4, 8))), 8 + data.length);
    parts.push(c);
  }
  return Buffer.concat(parts);
}

const tgsIds = readdirSync(path.join(TGS_DIR, 'images')).sort().slice(0, 3).map((name) => name.slice(0, -4));
const SEEDS: Uint8Array[] = [
  ...tgsIds.map((id) => readFileSync(path.join(TGS_DIR, 'images', `${id}.png`))),
  ...tgsIds.map((id) => readFileSync(path.join(TGS_DIR, 'masks', `${id}.png`))),
  greyPng(7, 5, pattern(35, 2)),
  mask16Png(6, 4, pattern(24, 3).map((v) => v % 2)),
  palettePng(5, 5, pattern(25, 4).map((v) => v % 3), [[0, 0, 0], [9, 9, 9], [200, 100, 50]]),
  encode({ width: 4, height: 3, data: Uint8Array.from(pattern(48, 5)), depth: 8, channels: 4 }),
  encode({ width: 9, height: 2, data: Uint8Array.from([0b10110000, 0b01000000, 0xff, 0x00]), depth: 1, channels: 1 }),
];

const u32 = fc.oneof(fc.constantFrom(0, 1, 2, 101, PNG_MAX_SIDE, PNG_MAX_SIDE + 1, 2 ** 16, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
const chunkType = fc.oneof(fc.constantFrom('IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND', 'iCCP', 'tEXt', 'acTL', 'fcTL', 'fdAT', 'pHYs'), fc.string({ minLength: 4, maxLength: 4 }));

type Mutation =
  | { op: 'ihdr'; field: number; value: number }
  | { op: 'drop' | 'repeat'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'insert'; at: number; type: string; data: Uint8Array }
  | { op: 'rows'; at: number; bytes: Uint8Array; resize: number }
  | { op: 'flip'; at: number; xor: number }
  | { op: 'cut'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // IHDR byte offsets: 0 width, 4 height (u32s); 8 depth, 9 colour type, 10..12 methods (bytes).
  fc.record({ op: fc.constant('ihdr' as const), field: fc.constantFrom(0, 4, 8, 9, 10, 11, 12), value: u32 }),
  fc.record({ op: fc.constantFrom('drop' as const, 'repeat' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), type: chunkType, data: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ op: fc.constant('rows' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }), resize: fc.integer({ min: -40, max: 40 }) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
);

/** Changes the inflated rows (filter bytes and samples), resizes them and deflates them into one IDAT. */
function mutateRows(chunks: Chunk[], m: Extract<Mutation, { op: 'rows' }>): Chunk[] {
  const idat = chunks.filter((c) => c.type === 'IDAT');
  let rows: Buffer;
  try {
    rows = inflateSync(Buffer.concat(idat.map((c) => c.data)));
  } catch {
    return chunks;
  }
  const changed = Buffer.alloc(Math.max(0, rows.length + m.resize));
  rows.copy(changed);
  if (changed.length > 0) changed.set(m.bytes.subarray(0, changed.length - (m.at % changed.length)), m.at % changed.length);
  const first = chunks.findIndex((c) => c.type === 'IDAT');
  const rest = chunks.filter((c) => c.type !== 'IDAT');
  rest.splice(first < 0 ? rest.length : first, 0, { type: 'IDAT', data: deflateSync(changed) });
  return rest;
}

function apply(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let chunks = chunksOf(seed);
  const byteOps: Mutation[] = [];
  for (const m of mutations) {
    const n = chunks.length;
    if (m.op === 'ihdr') {
      const ihdr = chunks.find((c) => c.type === 'IHDR');
      if (!ihdr || ihdr.data.length < 13) continue;
      const view = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, ihdr.data.byteLength);
      if (m.field < 8) view.setUint32(m.field, m.value);
      else view.setUint8(m.field, m.value & 0xff);
    } else if (m.op === 'drop' && n > 0) chunks.splice(m.at % n, 1);
    else if (m.op === 'repeat' && n > 0) chunks.splice(m.at % n, 0, chunks[m.at % n] as Chunk);
    else if (m.op === 'swap' && n > 0) {
      const [a, b] = [m.at % n, m.with % n];
      [chunks[a], chunks[b]] = [chunks[b] as Chunk, chunks[a] as Chunk];
    } else if (m.op === 'insert') chunks.splice(m.at % (n + 1), 0, { type: m.type, data: m.data });
    else if (m.op === 'rows') chunks = mutateRows(chunks, m);
    else byteOps.push(m);
  }
  const bytes = pngOf(chunks);
  for (const m of byteOps) {
    if (m.op === 'flip') bytes[m.at % bytes.length] = (bytes[m.at % bytes.length] ?? 0) ^ m.xor;
    if (m.op === 'cut') return bytes.subarray(0, m.at % bytes.length);
  }
  return bytes;
}

const CODES = ['empty-file', 'not-png', 'corrupt-png', 'too-large'];

describe('decodeGreyPng and decodeMaskPng on mutated PNGs', () => {
  it('the seeds decode (so the mutations start from valid files)', () => {
    expect(tgsIds).toHaveLength(3);
    for (const seed of SEEDS) expect(decodeGreyPng(seed).ok).toBe(true);
  });

  it('decode any mutation within the limits, or fail with a typed failure; peak memory stays bounded', async () => {
    const input = fc.tuple(fc.constantFrom(...SEEDS.keys()), fc.array(mutation, { minLength: 1, maxLength: 4 }));
    const before = process.resourceUsage().maxRSS * 1024;
    const outcomes = new Map<string, number>();
    await fuzz('PNG mutations', input, ([seedIndex, mutations]) => {
      const bytes = apply(SEEDS[seedIndex] ?? new Uint8Array(), mutations);
      const grey = decodeGreyPng(bytes);
      const mask = decodeMaskPng(bytes);
      expect(grey.ok).toBe(mask.ok);
      for (const r of [grey, mask]) {
        if (r.ok) {
          expect(r.width).toBeLessThanOrEqual(PNG_MAX_SIDE);
          expect(r.height).toBeLessThanOrEqual(PNG_MAX_SIDE);
          expect('pixels' in r ? r.pixels.length : r.mask.length).toBe(r.width * r.height);
        } else {
          expect(CODES).toContain(r.code);
          expect(r.detail).toMatch(/\S/);
        }
      }
      const key = grey.ok ? 'decoded' : `${grey.code}: ${grey.detail.replace(/"(?:[^"\\]|\\.)*"/g, "X").replace(/\d+/g, "N").slice(0, 70)}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    });
    console.log([...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v}\t${k}`).join('\n'));
    // One decode at the limit holds at most 128 MiB of rows; this run's images are far smaller.
    expect(process.resourceUsage().maxRSS * 1024 - before).toBeLessThan(300 * 1024 * 1024);
  });

  it('ignores what the PNG specification lets a decoder ignore: ancillary chunks, and a suggested palette in a truecolour image', async () => {
    // Chunks a decoder may skip: any type with a lowercase first letter (ancillary), and PLTE in an
    // RGB or RGBA image (a suggested palette for displays that need one). The pixels must not change.
    const colourTypeOf = (png: Uint8Array) => png[25] ?? 0;
    const seeds = [...SEEDS.keys()];
    const decodedSeeds = SEEDS.map((seed) => decodeGreyPng(seed));
    const ancillary = fc
      .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), fc.string({ minLength: 3, maxLength: 3, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ') }))
      .map(([a, rest]) => a + rest);
    const input = fc.tuple(fc.constantFrom(...seeds), fc.oneof(ancillary, fc.constant('PLTE')), fc.uint8Array({ minLength: 3, maxLength: 48 }).map((d) => d.subarray(0, d.length - (d.length % 3))), fc.nat());
    await fuzz('PNG skippable chunks', input, ([seedIndex, type, data, where]) => {
      const seed = SEEDS[seedIndex] ?? new Uint8Array();
      if (type === 'PLTE' && ![2, 6].includes(colourTypeOf(seed))) return;
      const chunks = chunksOf(seed);
      // Anywhere after the IHDR and before the IEND.
      chunks.splice(1 + (where % (chunks.length - 1)), 0, { type, data });
      const [got, want] = [decodeGreyPng(pngOf(chunks)), decodedSeeds[seedIndex] ?? decodeGreyPng(seed)];
      // Typed arrays compared as buffers: toEqual walks 10,201 pixels one by one.
      expect(got.ok ? { ...got, pixels: Buffer.from(got.pixels).toString('base64') } : got).toEqual(want.ok ? { ...want, pixels: Buffer.from(want.pixels).toString('base64') } : want);
    }, 0.25);
  });

  // Regression cases of what the fuzzers found (each failed before its fix).
  it('a suggested PLTE in a real RGB image leaves its pixels as they are (found by the fuzzer: "palette index past the palette")', () => {
    const seed = SEEDS[0] ?? new Uint8Array();
    const chunks = chunksOf(seed);
    chunks.splice(1, 0, { type: 'PLTE', data: new Uint8Array(3) });
    const got = decodeGreyPng(pngOf(chunks));
    const want = decodeGreyPng(seed);
    expect(got.ok && want.ok && Buffer.from(got.pixels).equals(Buffer.from(want.pixels))).toBe(true);
  });

  it('a PLTE in a grey image, and a palette image without one, are corrupt (not decoded as the other kind)', () => {
    const grey = chunksOf(greyPng(3, 1, [0, 1, 2]));
    grey.splice(1, 0, { type: 'PLTE', data: Uint8Array.from([9, 9, 9, 50, 50, 50, 90, 90, 90]) });
    expect(decodeGreyPng(pngOf(grey))).toEqual({ ok: false, code: 'corrupt-png', detail: 'corrupt PNG: a PLTE chunk in a grey image (colour type 0)' });
    const indexed = chunksOf(palettePng(3, 1, [0, 1, 2], [[9, 9, 9], [50, 50, 50], [90, 90, 90]])).filter((c) => c.type !== 'PLTE');
    expect(decodeGreyPng(pngOf(indexed))).toEqual({ ok: false, code: 'corrupt-png', detail: 'corrupt PNG: a palette image (colour type 3) without a PLTE chunk' });
  });
});
