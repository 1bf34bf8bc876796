/**
 * Decompression bombs (issue 20 item 2): PNGs that declare or inflate to far more pixels than a design
 * can take are refused from their IHDR or at the inflated byte count their size holds, by file, and a
 * folder of them imports within a few hundred MB (peak RSS of a child process doing the import).
 * Legal images are bounded too: one image's inflated data by PNG_MAX_INFLATED (inflated once, never
 * twice), one import's pixels by IMPORT_MAX_PIXELS, checked from the IHDRs before decoding; the
 * 4096x4096 fixtures for those are zero-filled and generated at test time (16 to 130 KB each).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGreyPng, decodeMaskPng, PNG_MAX_INFLATED, PNG_MAX_SIDE, readPngSize } from '../../src-main/data/png';
import { inflatedBytes } from '../../src-main/data/pngChunks';
import { DatasetImportError, IMPORT_MAX_PIXELS, importTgsFolder } from '../../src-main/data/tgsImport';
import { greyPng, mask16Png } from '../data/pngFixtures';
import { IEND_CHUNK, ihdrChunk, PNG_SIGNATURE, pngChunk, zeroPng } from '../data/pngEncode';
import { REPO_ROOT } from '../helpers/paths';

const BOMBS = path.join(REPO_ROOT, 'test/fixtures/bad/bombs');
const MB = 1024 * 1024;

interface ChildResult {
  ids?: string[];
  /** The message of a refused import (`DatasetImportError`). */
  refused?: string;
  problems: { file: string; code: string; message: string }[];
  rssBeforeImport: number;
  maxRss: number;
  vmHwm: number | null;
}

/** An 8-bit grey w x h PNG of zero rows (filter 0), with `extra` chunks after the IHDR. */
function greyZeros(w: number, h: number, extra: Buffer[] = [], rawBytes = h * (w + 1)): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdrChunk(w, h), ...extra, pngChunk('IDAT', deflateSync(new Uint8Array(rawBytes))), IEND_CHUNK]);
}

/** Runs pngBombChild.ts on `dir` and returns what it printed. */
function importInChild(dir: string): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/reliability/pngBombChild.ts'), dir], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
}

function peak(label: string, out: ChildResult): string {
  return `${label}: peak RSS ${(out.maxRss / MB).toFixed(0)} MiB (VmHWM ${out.vmHwm === null ? '-' : (out.vmHwm / MB).toFixed(0)} MiB), ${(out.rssBeforeImport / MB).toFixed(0)} MiB before the import`;
}

describe('PNG size limits, before inflating', () => {
  it('refuses the fixtures by their IHDR with too-large, naming the size and the limit', () => {
    const read = (rel: string) => readFileSync(path.join(BOMBS, rel));
    expect(decodeGreyPng(read('images/zeros-20000.png'))).toEqual({
      ok: false,
      code: 'too-large',
      detail: "image is 20000x20000; Strata reads images up to 4096x4096 (a design's largest input), so it was not decoded",
    });
    expect(decodeGreyPng(read('images/wide-one-row.png'))).toMatchObject({ ok: false, code: 'too-large', detail: expect.stringMatching(/^image is 268435456x1;/) });
    expect(decodeMaskPng(read('masks/mask-4097.png'))).toMatchObject({ ok: false, code: 'too-large', detail: expect.stringMatching(/^image is 4097x4097;/) });
  });

  it('takes the limit itself: 4096 on a side, from the designs\' input limit', () => {
    expect(PNG_MAX_SIDE).toBe(4096);
    const png = decodeGreyPng(greyZeros(4096, 3));
    expect(png.ok && [png.width, png.height]).toEqual([4096, 3]);
  });

  it('stops inflating at the byte count the declared size holds', () => {
    const png = decodeGreyPng(readFileSync(path.join(BOMBS, 'images/inflate-past.png')));
    expect(png).toEqual({
      ok: false,
      code: 'corrupt-png',
      detail: 'corrupt PNG: image data inflates past the 10302 bytes a 101x101 image holds; decoding stopped there',
    });
    // One byte more than the rows hold is refused too; one byte less is a truncated image.
    expect(decodeGreyPng(greyZeros(4, 4, [], 21))).toMatchObject({ ok: false, detail: expect.stringMatching(/inflates past the 20 bytes/) });
    expect(decodeGreyPng(greyZeros(4, 4, [], 19))).toMatchObject({ ok: false, detail: 'corrupt PNG: pixel data is truncated (inflates to 19 of 20 bytes)' });
  });

  it('counts Adam7 passes exactly', () => {
    // 3x3 grey 8-bit, Adam7 pass sizes: 1x1, none (starts at column 4), none (row 4), 1x1, 2x1, 1x2, 3x1;
    // each row is one filter byte plus its pixels.
    expect(inflatedBytes({ width: 3, height: 3, depth: 8, colourType: 0, interlace: 1 })).toBe(2 + 0 + 0 + 2 + 3 + 4 + 4);
    expect(inflatedBytes({ width: 101, height: 101, depth: 16, colourType: 6, interlace: 0 })).toBe(101 * (1 + 101 * 8));
  });

  it('reads an interlaced image whose data inflates to exactly the Adam7 count', () => {
    // An Adam7 encoder for 8-bit grey: each pass's pixels, rows with filter byte 0.
    const [w, h] = [13, 7];
    const pixels = Uint8Array.from({ length: w * h }, (_, p) => (p * 37) % 256);
    const rows: number[] = [];
    for (const [x0, y0, dx, dy] of [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const) {
      if (x0 >= w) continue;
      for (let y = y0; y < h; y += dy) {
        rows.push(0);
        for (let x = x0; x < w; x += dx) rows.push(pixels[y * w + x] ?? 0);
      }
    }
    expect(rows.length).toBe(inflatedBytes({ width: w, height: h, depth: 8, colourType: 0, interlace: 1 }));
    const bytes = Buffer.concat([PNG_SIGNATURE, ihdrChunk(w, h, 8, 0, 1), pngChunk('IDAT', deflateSync(Uint8Array.from(rows))), IEND_CHUNK]);
    expect(decodeGreyPng(bytes)).toEqual({ ok: true, width: w, height: h, pixels, colour: false });
  });

  it('refuses a second IHDR that would re-declare the size after the checks', () => {
    const bytes = Buffer.concat([PNG_SIGNATURE, ihdrChunk(2, 2), ihdrChunk(5000, 5000), pngChunk('IDAT', deflateSync(new Uint8Array(6))), IEND_CHUNK]);
    expect(decodeGreyPng(bytes)).toMatchObject({ ok: false, code: 'corrupt-png', detail: 'corrupt PNG: a second IHDR chunk at byte 33' });
  });

  it('never inflates an ancillary chunk: an iCCP profile is dropped unread', () => {
    // Not a zlib stream at all: a decoder that inflated the profile would fail on it.
    const iccp = pngChunk('iCCP', Buffer.concat([Buffer.from('bomb\0\0', 'latin1'), Buffer.from('not zlib data at all')]));
    const png = decodeGreyPng(greyZeros(3, 2, [iccp]));
    expect(png).toEqual({ ok: true, width: 3, height: 2, pixels: new Uint8Array(6), colour: false });
  });
});

describe('importing a folder of bombs (fixtures/bad/bombs)', () => {
  it('reports each bomb by file, keeps the good pair, and peaks under 400 MB', () => {
    const out = importInChild(BOMBS);
    expect(out.ids).toEqual(['good']);
    expect(out.problems.map((p) => [p.file, p.code])).toEqual([
      ['images/inflate-past.png', 'corrupt-png'],
      ['images/wide-one-row.png', 'too-large'],
      ['images/zeros-20000.png', 'too-large'],
      ['masks/mask-4097.png', 'too-large'],
    ]);
    expect(out.problems[2]?.message).toBe(
      "images/zeros-20000.png: image is 20000x20000; Strata reads images up to 4096x4096 (a design's largest input), so it was not decoded",
    );
    // Decoded to bytes, zeros-20000 alone is 400 MB (and fast-png's 1-bit rows 50 MB more), wide-one-row
    // 256 MiB: a decoder that inflated them first peaks past 1 GB. Node and tsx take about 100 MB.
    console.log(peak('bomb import', out));
    expect(out.maxRss).toBeLessThan(400 * MB);
    if (out.vmHwm !== null) expect(out.vmHwm).toBeLessThan(400 * MB);
  });
});

const zeroCache = new Map<string, Buffer>();
/** A zero-filled PNG of the given format, its image data exactly what its size holds (made once a format). */
function zeros(width: number, height: number, depth: number, colourType: number): Buffer {
  const spec = { width, height, depth, colourType };
  const key = JSON.stringify(spec);
  const png = zeroCache.get(key) ?? zeroPng(spec, inflatedBytes({ ...spec, interlace: 0 }));
  zeroCache.set(key, png);
  return png;
}

describe('decoded-size budgets: the widest legal images', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-png-budget-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses a 4096x4096 16-bit RGBA image (128 MiB of image data) by its header, naming the size and the limit', () => {
    const detail =
      'a 4096x4096 16-bit RGBA image holds 134221824 bytes of image data (128 MiB); Strata decodes at most 67112960 bytes ' +
      '(64 MiB, a 4096x4096 8-bit RGBA image) per image, so it was not decoded';
    // (A decoded image is compared by its size only: a failing diff of 16M pixels would not end.)
    const png = decodeGreyPng(zeros(4096, 4096, 16, 6));
    expect(png.ok ? `decoded ${png.width}x${png.height}` : png).toEqual({ ok: false, code: 'too-large', detail });
    // The limit is the inflated byte count: the same format just inside it reads, one pixel more a side does not.
    expect(PNG_MAX_INFLATED).toBe(inflatedBytes({ width: 4096, height: 4096, depth: 8, colourType: 6, interlace: 0 }));
    const head = (w: number, h: number, depth: number, colourType: number) => Buffer.concat([PNG_SIGNATURE, ihdrChunk(w, h, depth, colourType)]);
    expect(readPngSize(head(2896, 2896, 16, 6))).toMatchObject({ width: 2896, height: 2896 });
    expect(readPngSize(head(2897, 2897, 16, 6))).toMatchObject({ ok: false, code: 'too-large', detail: expect.stringMatching(/^a 2897x2897 16-bit RGBA image holds 67143769 bytes/) });
    expect(readPngSize(head(4096, 4096, 16, 2))).toMatchObject({ ok: false, code: 'too-large', detail: expect.stringMatching(/^a 4096x4096 16-bit RGB image holds 100667392 bytes of image data \(96 MiB\)/) });
  });

  it('decodes the largest accepted image (4096x4096 8-bit RGBA) in a child under 300 MB, and names the refused one by file', () => {
    const dir = path.join(tmp, 'widest');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'rgba8.png'), zeros(4096, 4096, 8, 6));
    writeFileSync(path.join(dir, 'rgba16.png'), zeros(4096, 4096, 16, 6));
    const out = importInChild(dir);
    expect(out.ids).toEqual(['rgba8']);
    expect(out.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^rgba16\.png: a 4096x4096 16-bit RGBA image holds 134221824 bytes/)]);
    // The 8-bit RGBA image's data is 64 MiB, inflated once into one buffer and unfiltered in place; its
    // grey output and the packed dataset are 16 MiB each. Before: inflated twice (the check, then
    // fast-png), expanded to RGB and grey planes: 334 MiB for it alone, 595 MiB for the 16-bit one.
    console.log(peak('widest image', out));
    expect(out.maxRss).toBeLessThan(300 * MB);
    if (out.vmHwm !== null) expect(out.vmHwm).toBeLessThan(300 * MB);
  });

  it('refuses an import of twenty 4096x4096 images from their IHDRs, in a child under 300 MB', () => {
    const dir = path.join(tmp, 'twenty');
    mkdirSync(dir);
    const png = zeros(4096, 4096, 8, 0);
    for (let i = 0; i < 20; i++) writeFileSync(path.join(dir, `big${String(i).padStart(2, '0')}.png`), png);
    const out = importInChild(dir);
    expect(out.refused).toBe(
      `${dir}: its 20 images hold 335544320 pixels (320 Mpixel); one import decodes at most 268435456 pixels (256 Mpixel), so nothing was decoded; import fewer or smaller images`,
    );
    // Before: all twenty decoded and packed, 786 MiB.
    console.log(peak('twenty 4096x4096 images', out));
    expect(out.maxRss).toBeLessThan(300 * MB);
  });

  it('counts images and masks against the import budget before decoding anything', async () => {
    expect(IMPORT_MAX_PIXELS).toBe(2 ** 28);
    const dir = path.join(tmp, 'labelled');
    mkdirSync(path.join(dir, 'images'), { recursive: true });
    mkdirSync(path.join(dir, 'masks'));
    for (const id of ['a', 'b', 'c']) {
      writeFileSync(path.join(dir, 'images', `${id}.png`), greyPng(3, 2, [1, 2, 3, 4, 5, 6]));
      writeFileSync(path.join(dir, 'masks', `${id}.png`), mask16Png(3, 2, [0, 1, 0, 1, 0, 1]));
    }
    // A file whose header is refused is not decoded, so it does not count: it is reported by file.
    writeFileSync(path.join(dir, 'images', 'd.png'), zeros(4096, 4096, 16, 6));
    // Three images and three masks of 6 pixels: 36.
    expect((await importTgsFolder(dir, { maxPixels: 36 })).ids).toEqual(['a', 'b', 'c']);
    let progress = 0;
    const refused = await importTgsFolder(dir, { maxPixels: 35, onProgress: () => progress++ }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DatasetImportError);
    expect((refused as Error).message).toBe(
      `${dir}: its 4 images and 3 masks hold 36 pixels; one import decodes at most 35 pixels, so nothing was decoded; import fewer or smaller images`,
    );
    expect(progress).toBe(0);
  });
});
