import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRle, encodeRle } from '../../shared/data/rle';
import { decodeMaskPng } from '../../src-main/data/png';
import { TGS_DIR } from '../helpers/paths';

describe('RLE against the real TGS masks', () => {
  it('decodes every train.csv row to its mask PNG (> 0) and encodes every PNG back to the row', () => {
    const lines = readFileSync(path.join(TGS_DIR, 'train.csv'), 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,rle_mask');
    const rows = lines.slice(1);
    expect(rows).toHaveLength(readdirSync(path.join(TGS_DIR, 'masks')).length);
    let salty = 0;
    for (const row of rows) {
      const [id = '', rle = ''] = row.split(',');
      const png = decodeMaskPng(readFileSync(path.join(TGS_DIR, 'masks', `${id}.png`)));
      if (!png.ok) throw new Error(`masks/${id}.png: ${png.detail}`);
      const decoded = decodeRle(rle, png.height, png.width);
      if (!decoded.ok) throw new Error(`train.csv ${id}: ${decoded.error}`);
      // Compare without per-pixel expect calls: 3600 x 10201 assertions would dominate the run time.
      if (Buffer.compare(decoded.mask, png.mask) !== 0) throw new Error(`decode mismatch for ${id}`);
      if (encodeRle(png.mask, png.height, png.width) !== rle) throw new Error(`encode mismatch for ${id}`);
      if (rle !== '') salty++;
    }
    expect(rows.length).toBe(3600);
    // The README's split: some masks are empty, most are not; both paths were exercised.
    expect(salty).toBeGreaterThan(0);
    expect(salty).toBeLessThan(rows.length);
  });
});
