import { describe, expect, it } from 'vitest';
import { responseImage } from '../../src-renderer/workflows/upsamplerImage';

describe('upsampler response image', () => {
  it('draws signed values around mid-grey, scaled to the largest magnitude', () => {
    const px = responseImage([2, -2, 0, 1], 2, 2);
    // 127.5 + 127.5 * v / 2, rounded: +2 -> 255, -2 -> 0, 0 -> 128, 1 -> 191.
    expect(Array.from(px.filter((_, i) => i % 4 === 0))).toEqual([255, 0, 128, 191]);
    expect(Array.from(px.filter((_, i) => i % 4 === 3))).toEqual([255, 255, 255, 255]);
  });

  it('draws an all-zero map flat', () => {
    expect(new Set(responseImage([0, 0, 0, 0], 2, 2).filter((_, i) => i % 4 === 0))).toEqual(new Set([128]));
  });
});
