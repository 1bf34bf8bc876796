import { describe, expect, it } from 'vitest';
import { decodeRle, encodeRle } from '../../shared/data/rle';

describe('encodeRle', () => {
  it('numbers pixels column-major from 1 (hand-computed)', () => {
    // 3 rows x 2 columns, row-major:   1 0 / 1 1 / 0 1
    // column 0 holds rows 0,1 -> pixels 1,2; column 1 holds rows 1,2 -> pixels 3+1+1=5, 6.
    expect(encodeRle(Uint8Array.from([1, 0, 1, 1, 0, 1]), 3, 2)).toBe('1 2 5 2');
  });

  it('lets a run continue from the bottom of one column into the top of the next', () => {
    // column 0 full (1,2,3) and row 0 of column 1 (4): one run of 4.
    expect(encodeRle(Uint8Array.from([1, 1, 1, 0, 1, 0]), 3, 2)).toBe('1 4');
  });

  it('encodes the empty mask as the empty string and a full mask as one run', () => {
    expect(encodeRle(new Uint8Array(6), 3, 2)).toBe('');
    expect(encodeRle(new Uint8Array(6).fill(1), 3, 2)).toBe('1 6');
  });

  it('rejects a mask of the wrong size', () => {
    expect(() => encodeRle(new Uint8Array(5), 3, 2)).toThrow(/5 pixels, expected 3x2/);
  });
});

describe('decodeRle', () => {
  it('inverts the hand-computed example', () => {
    const result = decodeRle('1 2 5 2', 3, 2);
    expect(result).toEqual({ ok: true, mask: Uint8Array.from([1, 0, 1, 1, 0, 1]) });
  });

  it('accepts the empty string, extra whitespace and adjacent runs', () => {
    expect(decodeRle('', 3, 2)).toEqual({ ok: true, mask: new Uint8Array(6) });
    expect(decodeRle('  1 2\t 3 1 ', 3, 2)).toEqual({ ok: true, mask: Uint8Array.from([1, 0, 1, 0, 1, 0]) });
  });

  it.each([
    ['1 2 3', /odd number of numbers \(3\)/],
    ['1 x', /length "x" is not an integer/],
    ['1.5 2', /start "1.5" is not an integer/],
    ['-1 2', /start "-1" is not an integer/],
    ['0 2', /start 0 is below 1/],
    ['2 0', /zero length at start 2/],
    ['5 3', /run 5..7 goes past the last pixel 6/],
    ['1 3 2 1', /overlaps or precedes the previous run ending at 3/],
    ['4 1 1 1', /overlaps or precedes the previous run ending at 4/],
  ])('rejects %j', (rle, error) => {
    const result = decodeRle(rle, 3, 2);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });

  it('round-trips random masks', () => {
    let state = 7;
    for (let trial = 0; trial < 50; trial++) {
      const h = 1 + (trial % 9);
      const w = 1 + ((trial * 5) % 11);
      const mask = Uint8Array.from({ length: h * w }, () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 16) % 3 === 0 ? 1 : 0);
      const decoded = decodeRle(encodeRle(mask, h, w), h, w);
      expect(decoded).toEqual({ ok: true, mask });
    }
  });
});
