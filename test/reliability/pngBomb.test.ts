/**
 * Decompression bombs (issue 20 item 2): PNGs that declare or inflate to far more pixels than a design
 * can take are refused from their IHDR or at the inflated byte count their size holds, by file, and a
 * folder of them imports within a few hundred MB (peak RSS of a child process doing the import).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeGreyPng, decodeMaskPng, PNG_MAX_SIDE } from '../../src-main/data/png';
import { inflatedBytes } from '../../src-main/data/pngChunks';
import { REPO_ROOT } from '../helpers/paths';

const BOMBS = path.join(REPO_ROOT, 'test/fixtures/bad/bombs');
const MB = 1024 * 1024;

interface ChildResult {
  ids: string[];
  problems: { file: string; code: string; message: string }[];
  rssBeforeImport: number;
  maxRss: number;
  vmHwm: number | null;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(8, 8 + data.length), crc32(out.subarray(4, 8))), 8 + data.length);
  return out;
}
function ihdr(w: number, h: number, depth = 8, colourType = 0, interlace = 0): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(w, 0);
  d.writeUInt32BE(h, 4);
  d[8] = depth;
  d[9] = colourType;
  d[12] = interlace;
  return chunk('IHDR', d);
}
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IEND = chunk('IEND', new Uint8Array(0));
/** An 8-bit grey w x h PNG of zero rows (filter 0), with `extra` chunks after the IHDR. */
function greyZeros(w: number, h: number, extra: Buffer[] = [], rawBytes = h * (w + 1)): Buffer {
  return Buffer.concat([SIGNATURE, ihdr(w, h), ...extra, chunk('IDAT', deflateSync(new Uint8Array(rawBytes))), IEND]);
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
    const bytes = Buffer.concat([SIGNATURE, ihdr(w, h, 8, 0, 1), chunk('IDAT', deflateSync(Uint8Array.from(rows))), IEND]);
    expect(decodeGreyPng(bytes)).toEqual({ ok: true, width: w, height: h, pixels, colour: false });
  });

  it('refuses a second IHDR that would re-declare the size after the checks', () => {
    const bytes = Buffer.concat([SIGNATURE, ihdr(2, 2), ihdr(5000, 5000), chunk('IDAT', deflateSync(new Uint8Array(6))), IEND]);
    expect(decodeGreyPng(bytes)).toMatchObject({ ok: false, code: 'corrupt-png', detail: 'corrupt PNG: a second IHDR chunk at byte 33' });
  });

  it('never inflates an ancillary chunk: an iCCP profile is dropped unread', () => {
    // Not a zlib stream at all: a decoder that inflated the profile would fail on it.
    const iccp = chunk('iCCP', Buffer.concat([Buffer.from('bomb\0\0', 'latin1'), Buffer.from('not zlib data at all')]));
    const png = decodeGreyPng(greyZeros(3, 2, [iccp]));
    expect(png).toEqual({ ok: true, width: 3, height: 2, pixels: new Uint8Array(6), colour: false });
  });
});

describe('importing a folder of bombs (fixtures/bad/bombs)', () => {
  it('reports each bomb by file, keeps the good pair, and peaks under 400 MB', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/reliability/pngBombChild.ts'), BOMBS], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
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
    console.log(`bomb import: peak RSS ${(out.maxRss / MB).toFixed(0)} MiB (VmHWM ${out.vmHwm === null ? '-' : (out.vmHwm / MB).toFixed(0)} MiB), ${(out.rssBeforeImport / MB).toFixed(0)} MiB before the import`);
    expect(out.maxRss).toBeLessThan(400 * MB);
    if (out.vmHwm !== null) expect(out.vmHwm).toBeLessThan(400 * MB);
  });
});
