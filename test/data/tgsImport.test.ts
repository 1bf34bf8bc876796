import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRle } from '../../shared/data/rle';
import { DatasetImportError, importTgsFolder } from '../../src-main/data/tgsImport';
import { greyPng, mask16Png, palettePng, pattern, rgbGreyPng } from './pngFixtures';

// Non-square on purpose, so that a transposed size or RLE order shows.
const W = 8;
const H = 6;
const N = W * H;

function diagonalMask(offset: number): number[] {
  return Array.from({ length: N }, (_, p) => ((p % W) + Math.floor(p / W) + offset) % 4 === 0 ? 1 : 0);
}

const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-tgs-'));
  roots.push(root);
  mkdirSync(path.join(root, 'images'));
  mkdirSync(path.join(root, 'masks'));
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('importTgsFolder on a folder full of problems (masks/ and train.csv)', () => {
  let root = '';
  const good1 = pattern(N, 1);
  const good2 = pattern(N, 2);
  const palette = [
    [0, 0, 0],
    [60, 60, 60],
    [250, 250, 250],
  ];
  const palIndices = Array.from({ length: N }, (_, p) => p % 3);
  const m1 = diagonalMask(0);
  const m2 = diagonalMask(1);
  const mPal = diagonalMask(2);

  beforeAll(() => {
    root = tempRoot();
    const img = (name: string, bytes: Uint8Array | string) => writeFileSync(path.join(root, 'images', name), bytes);
    const msk = (name: string, bytes: Uint8Array | string) => writeFileSync(path.join(root, 'masks', name), bytes);
    const valid = greyPng(W, H, pattern(N, 9));
    img('good1.png', rgbGreyPng(W, H, good1));
    msk('good1.png', greyPng(W, H, m1.map((v) => v * 255)));
    img('good2.png', greyPng(W, H, good2));
    msk('good2.png', mask16Png(W, H, m2)); // 16-bit mask: valid
    img('pal.png', palettePng(W, H, palIndices, palette)); // palette image: valid
    msk('pal.png', palettePng(W, H, mPal, [[0, 0, 0], [255, 255, 255]]));
    img('norow.png', valid);
    msk('norow.png', mask16Png(W, H, m1));
    img('trunc.png', valid.subarray(0, Math.floor(valid.length / 2)));
    msk('trunc.png', mask16Png(W, H, m1));
    img('notpng.png', 'id,z\nthis is a CSV, not a picture\n');
    msk('notpng.png', mask16Png(W, H, m1));
    img('empty.png', new Uint8Array(0));
    msk('empty.png', mask16Png(W, H, m1));
    img('wide.png', greyPng(W + 1, H, pattern((W + 1) * H, 4)));
    msk('wide.png', mask16Png(W + 1, H, new Array<number>((W + 1) * H).fill(0)));
    img('maskbad.png', valid);
    msk('maskbad.png', mask16Png(W, H - 1, new Array<number>(W * (H - 1)).fill(1)));
    img('nomask.png', valid);
    msk('orphan.png', mask16Png(W, H, m1));
    img('notes.txt', 'not an image');
    writeFileSync(
      path.join(root, 'train.csv'),
      [
        'id,rle_mask',
        `good1,${encodeRle(Uint8Array.from(m1), H, W)}`,
        `good2,${encodeRle(Uint8Array.from(m1), H, W)}`, // disagrees with masks/good2.png
        'pal,1 2 3',
        `good1,${encodeRle(Uint8Array.from(m1), H, W)}`,
        'a,b,c',
        'ghost,1 1',
        '',
      ].join('\r\n'),
    );
    writeFileSync(path.join(root, 'depths.csv'), 'id,z\r\ngood1,100\r\ngood2,abc\r\npal,300\r\nnotanid,5\r\n');
  });

  it('imports exactly the good pairs, sorted by id, with their pixels, masks and depths', async () => {
    const ds = await importTgsFolder(root);
    expect(ds.ids).toEqual(['good1', 'good2', 'norow', 'pal']);
    expect([ds.height, ds.width]).toEqual([H, W]);
    expect(ds.info).toMatchObject({ count: 4, height: H, width: W, labelled: true, hasDepths: true, synthetic: false });
    expect(Array.from(ds.images.subarray(0, N))).toEqual(good1);
    expect(Array.from(ds.images.subarray(N, 2 * N))).toEqual(good2);
    const palGrey = palIndices.map((i) => palette[i]?.[0]);
    expect(Array.from(ds.images.subarray(3 * N, 4 * N))).toEqual(palGrey);
    expect(ds.masks && Array.from(ds.masks.subarray(0, N))).toEqual(m1);
    // masks/ wins over the disagreeing CSV row.
    expect(ds.masks && Array.from(ds.masks.subarray(N, 2 * N))).toEqual(m2);
    expect(ds.masks && Array.from(ds.masks.subarray(3 * N, 4 * N))).toEqual(mPal);
    expect(Array.from(ds.depths ?? [])).toEqual([100, NaN, NaN, 300]);
  });

  it('reports every problem by code, file and line', async () => {
    const ds = await importTgsFolder(root);
    const found = ds.info.problems.map((p) => [p.code, p.file, p.line ?? null, p.severity]);
    expect(found).toEqual([
      ['bad-depth', 'depths.csv', 3, 'warning'],
      ['empty-file', 'images/empty.png', null, 'error'],
      ['missing-mask', 'images/nomask.png', null, 'error'],
      ['ignored-file', 'images/notes.txt', null, 'warning'],
      ['not-png', 'images/notpng.png', null, 'error'],
      ['corrupt-png', 'images/trunc.png', null, 'error'],
      ['size-mismatch', 'images/wide.png', null, 'error'],
      ['size-mismatch', 'masks/maskbad.png', null, 'error'],
      ['missing-image', 'masks/orphan.png', null, 'error'],
      ['missing-rle', 'train.csv', null, 'warning'],
      ['rle-mismatch', 'train.csv', 3, 'warning'],
      ['bad-rle', 'train.csv', 4, 'warning'],
      ['duplicate-id', 'train.csv', 5, 'warning'],
      ['bad-row', 'train.csv', 6, 'error'],
      ['missing-image', 'train.csv', 7, 'error'],
    ]);
    const message = (file: string, code: string) => ds.info.problems.find((p) => p.file === file && p.code === code)?.message;
    expect(message('masks/maskbad.png', 'size-mismatch')).toBe('masks/maskbad.png: 8x5, expected 8x6 like images/maskbad.png');
    // Six readable 8x6 images (good1, good2, maskbad, nomask, norow, pal) set the size; good1 is the first.
    expect(message('images/wide.png', 'size-mismatch')).toBe(
      'images/wide.png: 9x6, expected 8x6 like images/good1.png (and 5 other images)',
    );
    expect(message('train.csv', 'rle-mismatch')).toMatch(/line 3: RLE for good2 differs from masks\/good2\.png in \d+ pixels/);
    expect(message('train.csv', 'missing-rle')).toMatch(/no row for norow/);
    expect(ds.info.problems.find((p) => p.code === 'missing-rle')?.id).toBe('norow');
  });

  it('gives the same fingerprint for the same files, and reports progress for every PNG', async () => {
    const seen: number[] = [];
    const a = await importTgsFolder(root, { concurrency: 3, onProgress: (done) => seen.push(done) });
    const b = await importTgsFolder(root);
    expect(a.info.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(a.info.fingerprint).toBe(b.info.fingerprint);
    // 10 images + 9 masks that have an image.
    expect(seen).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
  });
});

describe('importTgsFolder with train.csv only', () => {
  it('takes masks from the RLE rows (an empty masks/ does not count); an image without a row is a missing mask', async () => {
    const root = tempRoot(); // with an empty masks/ folder
    const m = diagonalMask(3);
    writeFileSync(path.join(root, 'images', 'a.png'), greyPng(W, H, pattern(N, 1)));
    writeFileSync(path.join(root, 'images', 'b.png'), greyPng(W, H, pattern(N, 2)));
    writeFileSync(path.join(root, 'images', 'c.png'), greyPng(W, H, pattern(N, 3)));
    writeFileSync(path.join(root, 'train.csv'), `id,rle_mask\na,${encodeRle(Uint8Array.from(m), H, W)}\nc,99 1\n`);
    const ds = await importTgsFolder(root, { name: 'rle only' });
    expect(ds.ids).toEqual(['a']);
    expect(ds.info.name).toBe('rle only');
    expect(ds.masks && Array.from(ds.masks)).toEqual(m);
    expect(ds.depths).toBeNull();
    expect(ds.info.problems.map((p) => [p.code, p.file, p.line ?? null])).toEqual([
      ['missing-mask', 'images/b.png', null],
      ['bad-rle', 'train.csv', 3],
    ]);
    expect(ds.info.problems[1]?.message).toMatch(/run 99\.\.99 goes past the last pixel 48/);
  });

  it('names the header it found when train.csv has the wrong one, and fails when nothing is left', async () => {
    const root = tempRoot();
    rmSync(path.join(root, 'masks'), { recursive: true });
    writeFileSync(path.join(root, 'images', 'a.png'), greyPng(W, H, pattern(N, 1)));
    writeFileSync(path.join(root, 'train.csv'), 'ImageId,EncodedPixels\na,1 1\n');
    const error = await importTgsFolder(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetImportError);
    if (!(error instanceof DatasetImportError)) return;
    expect(error.message).toMatch(/no usable samples .*1 bad-header, 1 missing-mask/);
    expect(error.problems[1]).toMatchObject({ code: 'bad-header', file: 'train.csv', line: 1 });
    expect(error.problems[1]?.message).toBe(
      'train.csv: header is "ImageId,EncodedPixels", expected "id,rle_mask"; the file was ignored',
    );
  });
});

describe('importTgsFolder on unlabelled data', () => {
  it('imports a folder of PNGs without masks, with depths from elsewhere', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'strata-tgs-'));
    roots.push(root);
    writeFileSync(path.join(root, 'b.png'), greyPng(W, H, pattern(N, 2)));
    writeFileSync(path.join(root, 'a.png'), rgbGreyPng(W, H, pattern(N, 1)));
    const depths = path.join(root, 'my-depths.csv');
    writeFileSync(depths, 'id,z\na,7.5\n');
    const ds = await importTgsFolder(root, { depthsPath: depths });
    expect(ds.ids).toEqual(['a', 'b']);
    expect(ds.masks).toBeNull();
    expect(ds.info).toMatchObject({ labelled: false, saltCoverage: null, count: 2, problems: [] });
    expect(Array.from(ds.depths ?? [])).toEqual([7.5, NaN]);
    expect(Array.from(ds.images.subarray(0, N))).toEqual(pattern(N, 1));
  });

  it('fails with a typed error for a folder without images', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'strata-tgs-'));
    roots.push(root);
    await expect(importTgsFolder(root)).rejects.toThrow(DatasetImportError);
    await expect(importTgsFolder(path.join(root, 'nope'))).rejects.toThrow(/is not a folder/);
  });
});
