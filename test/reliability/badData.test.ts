/**
 * The bad-input corpus in test/fixtures/bad (see its README): every broken image, mask, CSV row and
 * design gives a problem that names its file (and CSV line), and the good part still imports.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArchitectureText } from '../../shared/arch';
import type { DatasetProblem } from '../../shared/data/types';
import { DatasetImportError, importTgsFolder } from '../../src-main/data/tgsImport';
import { checkDesign } from '../../src-main/lab/designs';
import { REPO_ROOT } from '../helpers/paths';

const BAD = path.join(REPO_ROOT, 'test/fixtures/bad');

function row(p: DatasetProblem): [string, string, number | null, string] {
  return [p.file, p.code, p.line ?? null, p.severity];
}

describe('images and masks (fixtures/bad/dataset)', () => {
  it('imports the four good pairs (8-bit RGB, 16-bit grey, palette, empty mask) and skips each bad file by name', async () => {
    const ds = await importTgsFolder(path.join(BAD, 'dataset'));
    expect(ds.ids).toEqual(['good-empty-mask', 'good-grey16', 'good-palette', 'good-rgb']);
    expect([ds.height, ds.width]).toEqual([101, 101]);
    // The salt block is rows 10..29 x columns 20..49: 600 pixels in every non-empty mask.
    const px = 101 * 101;
    const salt = (i: number) => (ds.masks ?? new Uint8Array()).subarray(i * px, (i + 1) * px).reduce((a, b) => a + b, 0);
    expect([0, 1, 2, 3].map(salt)).toEqual([0, 600, 600, 600]);
    expect(ds.masks?.[1 * px + 10 * 101 + 20]).toBe(1);
    expect(ds.masks?.[1 * px + 9 * 101 + 20]).toBe(0);
    expect(ds.info.problems.map(row)).toEqual([
      ['depths.csv', 'bad-depth', 3, 'warning'],
      ['depths.csv', 'duplicate-id', 5, 'warning'],
      ['images/no-mask.png', 'missing-mask', null, 'error'],
      ['images/not-a-png.png', 'not-png', null, 'error'],
      ['images/truncated.png', 'corrupt-png', null, 'error'],
      ['images/wrong-size.png', 'size-mismatch', null, 'error'],
      ['images/zero-bytes.png', 'empty-file', null, 'error'],
      ['masks/mask-truncated.png', 'corrupt-png', null, 'error'],
      ['masks/mask-wrong-size.png', 'size-mismatch', null, 'error'],
      ['masks/mask-zero-bytes.png', 'empty-file', null, 'error'],
      ['masks/no-image.png', 'missing-image', null, 'error'],
    ]);
  });

  it('says what is wrong with each file, in words a user can act on', async () => {
    const ds = await importTgsFolder(path.join(BAD, 'dataset'));
    const msg = (file: string) => ds.info.problems.find((p) => p.file === file)?.message;
    expect(msg('images/zero-bytes.png')).toBe('images/zero-bytes.png: empty file (0 bytes)');
    expect(msg('images/not-a-png.png')).toBe(
      'images/not-a-png.png: not a PNG file (first bytes 69 64 2c 7a 0a 74 68 69, expected 89 50 4e 47 0d 0a 1a 0a)',
    );
    expect(msg('images/truncated.png')).toMatch(/^images\/truncated\.png: corrupt PNG: /);
    expect(msg('masks/mask-truncated.png')).toMatch(/^masks\/mask-truncated\.png: corrupt PNG: /);
    // 8 readable 101x101 images set the size; good-empty-mask is the first by id.
    expect(msg('images/wrong-size.png')).toBe('images/wrong-size.png: 100x101, expected 101x101 like images/good-empty-mask.png (and 7 other images)');
    expect(msg('masks/mask-wrong-size.png')).toBe('masks/mask-wrong-size.png: 100x101, expected 101x101 like images/mask-wrong-size.png');
    expect(msg('images/no-mask.png')).toBe('images/no-mask.png: no mask (no masks/no-mask.png); the image was skipped');
    expect(msg('masks/no-image.png')).toBe('masks/no-image.png: no images/no-image.png for this mask');
  });

  it('reads depths.csv with CRLF line endings: numbers kept, a non-number and a duplicate named by line', async () => {
    const ds = await importTgsFolder(path.join(BAD, 'dataset'));
    expect(readFileSync(path.join(BAD, 'dataset/depths.csv'), 'utf8')).toContain('\r\n');
    expect(Array.from(ds.depths ?? [])).toEqual([505, NaN, 303, 101]);
    const msgs = ds.info.problems.filter((p) => p.file === 'depths.csv').map((p) => p.message);
    expect(msgs).toEqual([
      'depths.csv line 3: depth "deep" for good-grey16 is not a number; the depth is unknown',
      'depths.csv line 5: id good-palette already appeared on line 4; this row was ignored',
    ]);
  });
});

describe('train.csv and depths.csv (fixtures/bad/csv)', () => {
  it('keeps the good rows and names the line, id and fault of each bad RLE', async () => {
    const ds = await importTgsFolder(path.join(BAD, 'csv'));
    expect(readFileSync(path.join(BAD, 'csv/train.csv'), 'utf8')).toContain('\r\n');
    // "ok" and the first "duplicate" row import; a duplicate's second row is ignored, not fatal.
    expect(ds.ids).toEqual(['duplicate', 'ok']);
    // ok: "1 5 200 3" is column-major from 1: pixels 1..5 are rows 0..4 of column 0; pixels 200..202
    // are rows 98..100 of column 1 (pixel k is row (k-1) % 101 of column floor((k-1) / 101)).
    const ok = (ds.masks ?? new Uint8Array()).subarray(101 * 101, 2 * 101 * 101);
    const on: number[] = [];
    ok.forEach((v, p) => v && on.push(p));
    expect(on).toEqual([0, 101, 202, 303, 404, 98 * 101 + 1, 99 * 101 + 1, 100 * 101 + 1]);
    expect(ds.info.problems.map((p) => [p.file, p.code, p.line ?? null, p.id ?? null])).toEqual([
      ['depths.csv', 'bad-depth', 3, 'odd-tokens'],
      ['images/no-row.png', 'missing-mask', null, 'no-row'],
      ['train.csv', 'bad-rle', 3, 'odd-tokens'],
      ['train.csv', 'bad-rle', 4, 'negative-start'],
      ['train.csv', 'bad-rle', 5, 'zero-start'],
      ['train.csv', 'bad-rle', 6, 'past-end'],
      ['train.csv', 'bad-rle', 7, 'overlap'],
      ['train.csv', 'duplicate-id', 9, 'duplicate'],
      ['train.csv', 'missing-image', 10, 'ghost'],
    ]);
    const msg = (line: number) => ds.info.problems.find((p) => p.file === 'train.csv' && p.line === line)?.message;
    expect(msg(3)).toBe('train.csv line 3: bad RLE for odd-tokens: odd number of numbers (3); RLE is "start length" pairs');
    expect(msg(4)).toBe('train.csv line 4: bad RLE for negative-start: pair 1: start "-3" is not an integer');
    expect(msg(5)).toBe('train.csv line 5: bad RLE for zero-start: pair 1: start 0 is below 1 (pixels are numbered from 1)');
    expect(msg(6)).toBe('train.csv line 6: bad RLE for past-end: pair 1: run 10200..10204 goes past the last pixel 10201 (101x101)');
    expect(msg(7)).toBe('train.csv line 7: bad RLE for overlap: pair 2: run starting at 12 overlaps or precedes the previous run ending at 14');
    expect(msg(9)).toBe('train.csv line 9: id duplicate already appeared on line 8; this row was ignored');
    expect(msg(10)).toBe('train.csv line 10: no images/ghost.png for id ghost');
  });

  it('refuses a train.csv with the wrong header by name, and says why nothing imports', async () => {
    const error = await importTgsFolder(path.join(BAD, 'wrong-header')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetImportError);
    if (!(error instanceof DatasetImportError)) return;
    expect(error.message).toMatch(/^no usable samples in .*wrong-header \(1 bad-header, 1 missing-mask\)$/);
    expect(error.problems.map(row)).toEqual([
      ['images/a.png', 'missing-mask', null, 'error'],
      ['train.csv', 'bad-header', 1, 'error'],
    ]);
    expect(error.problems[1]?.message).toBe('train.csv: header is "ImageId,EncodedPixels", expected "id,rle_mask"; the file was ignored');
  });
});

describe('design JSON (fixtures/bad/designs)', () => {
  const read = (name: string) => readFileSync(path.join(BAD, 'designs', `${name}.json`), 'utf8');
  const errorsOf = (name: string) => {
    const r = parseArchitectureText(read(name));
    if (r.ok) {
      const check = checkDesign(JSON.parse(read(name)) as unknown);
      return check.errors.map((e) => ({ code: e.code, message: e.message, at: e.nodeId ?? e.path ?? null }));
    }
    return r.errors.map((e) => ({ code: e.code, message: e.message, at: e.path ?? null }));
  };

  it('the valid control design parses and validates', () => {
    expect(errorsOf('valid-tiny')).toEqual([]);
  });

  it('not JSON: bad-json with the parser position', () => {
    expect(errorsOf('not-json')).toEqual([{ code: 'bad-json', message: expect.stringMatching(/^not valid JSON: .*position 300/), at: null }]);
  });

  it('wrong schema version: stops at once and names both versions', () => {
    expect(errorsOf('wrong-version')).toEqual([
      { code: 'version', message: 'schema version 99 is not supported; this Strata reads version 1', at: 'version' },
    ]);
  });

  it('unknown node kind: names the node, the kind and the kinds there are', () => {
    expect(errorsOf('unknown-kind')).toEqual([
      {
        code: 'unknown-kind',
        message: 'node "e1" (nodes[4]): unknown kind "transformer"; known kinds: input, conv, resnet, down, up, bn, merge, head, saltHead',
        at: 'nodes[4].kind',
      },
    ]);
  });

  it('a cycle: names the nodes around it', () => {
    const errors = errorsOf('cycle');
    expect(errors.find((e) => e.code === 'cycle')).toEqual({ code: 'cycle', message: 'cycle: e0 -> merge0 -> d0 -> e0', at: 'e0' });
  });

  it('absurd sizes: 10^9 blocks and a kernel of 0 are refused with the field and the bound', () => {
    expect(errorsOf('absurd-blocks')).toEqual([
      { code: 'bad-param', message: 'node "bottom" (nodes[8].blocks): must be at most 10000, got 1000000000', at: 'nodes[8].blocks' },
    ]);
    expect(errorsOf('zero-kernel')).toEqual([
      { code: 'bad-param', message: 'node "e2" (nodes[6].kernel): must be at least 1, got 0', at: 'nodes[6].kernel' },
    ]);
  });

  it('the deepest design the limits allow is valid', () => {
    const check = checkDesign(JSON.parse(read('deep-valid')) as unknown);
    expect(check.valid).toBe(true);
    // 7 levels x 10,000 blocks x 2 convs, + stem + head = 140,002; the 6 samplers add one conv each.
    expect(check.summary?.convLayers).toBe(7 * 10_000 * 2 + 2 + 6);
  });
});
