import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../shared/data/rle';
import { decodeGreyPng } from '../../src-main/data/png';
import { importTgsFolder } from '../../src-main/data/tgsImport';
import { TGS_DIR } from '../helpers/paths';

describe('importTgsFolder on the real TGS data', () => {
  it('imports all 3600 pairs with no problems', async () => {
    const ds = await importTgsFolder(TGS_DIR);
    expect(ds.info.problems).toEqual([]);
    expect(ds.info).toMatchObject({ count: 3600, height: 101, width: 101, labelled: true, hasDepths: true, synthetic: false });

    // Spot-check one sample against the files themselves.
    const k = 1234;
    const id = ds.ids[k] ?? '';
    const png = decodeGreyPng(readFileSync(path.join(TGS_DIR, 'images', `${id}.png`)));
    expect(png.ok && Buffer.compare(png.pixels, ds.images.subarray(k * 10201, (k + 1) * 10201))).toBe(0);
    const row = readFileSync(path.join(TGS_DIR, 'train.csv'), 'utf8')
      .split(/\r?\n/)
      .find((line) => line.startsWith(`${id},`));
    const decoded = decodeRle(row?.split(',')[1] ?? '', 101, 101);
    expect(decoded.ok && ds.masks && Buffer.compare(decoded.mask, ds.masks.subarray(k * 10201, (k + 1) * 10201))).toBe(0);
    const depthRow = readFileSync(path.join(TGS_DIR, 'depths.csv'), 'utf8')
      .split(/\r?\n/)
      .find((line) => line.startsWith(`${id},`));
    expect(ds.depths?.[k]).toBe(Number(depthRow?.split(',')[1]));

    // Coverage statistics agree with the masks: empty + binned = count.
    const cov = ds.info.saltCoverage;
    expect(cov && cov.empty + cov.bins.reduce((a, b) => a + b, 0)).toBe(3600);
  });

  it('imports test/ as unlabelled data', async () => {
    const ds = await importTgsFolder(path.join(TGS_DIR, 'test'), { depthsPath: path.join(TGS_DIR, 'depths.csv') });
    expect(ds.info).toMatchObject({ count: 200, labelled: false, hasDepths: true, problems: [] });
    expect(ds.masks).toBeNull();
    expect(Array.from(ds.depths ?? []).every(Number.isFinite)).toBe(true);
  });
});
