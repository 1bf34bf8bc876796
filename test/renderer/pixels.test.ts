import { describe, expect, it } from 'vitest';
import { composeOverlay, DEFAULT_OVERLAY, fromBase64, PixelSizeError } from '../../src-renderer/workflows/pixels';

/** RGB of pixel (y, x) of a 5-wide RGBA buffer. */
const rgb = (px: Uint8ClampedArray, y: number, x: number) => Array.from(px.slice((y * 5 + x) * 4, (y * 5 + x) * 4 + 3));

describe('sample pixels', () => {
  it('decodes the API base64 into bytes', () => {
    // 'AAEC/w==' is the bytes 0x00 0x01 0x02 0xff.
    expect(Array.from(fromBase64('AAEC/w=='))).toEqual([0, 1, 2, 255]);
    expect(fromBase64('')).toHaveLength(0);
  });

  it('tints the inside of the mask, draws its edge in full colour, and leaves the rest grey', () => {
    const image = new Uint8Array(25).fill(100);
    const mask = new Uint8Array(25);
    for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) mask[y * 5 + x] = 1;
    const px = composeOverlay(image, mask, 5, 5);
    expect(DEFAULT_OVERLAY).toEqual({ rgb: [255, 128, 0], fill: 0.35, outline: true });
    expect(rgb(px, 0, 0)).toEqual([100, 100, 100]);
    // Edge of the mask: the overlay colour itself.
    expect(rgb(px, 1, 1)).toEqual([255, 128, 0]);
    expect(rgb(px, 3, 2)).toEqual([255, 128, 0]);
    // Interior (2,2): 100*0.65 + c*0.35 → R 154.25, G 109.8, B 65, rounded.
    expect(rgb(px, 2, 2)).toEqual([154, 110, 65]);
    expect(px[3]).toBe(255);
    expect(px[(2 * 5 + 2) * 4 + 3]).toBe(255);
  });

  it('fills without an outline when asked, and draws the grey alone without a mask', () => {
    const image = Uint8Array.from([0, 50, 200, 255]);
    const mask = Uint8Array.from([1, 0, 0, 0]);
    const px = composeOverlay(image, mask, 2, 2, { rgb: [255, 0, 0], fill: 0.5, outline: false });
    // 0*0.5 + 255*0.5 = 127.5, which the clamped array rounds to the even 128.
    expect(Array.from(px.slice(0, 4))).toEqual([128, 0, 0, 255]);
    expect(Array.from(composeOverlay(image, null, 2, 2).filter((_, i) => i % 4 === 0))).toEqual([0, 50, 200, 255]);
  });

  it('refuses buffers that do not match the stated size', () => {
    expect(() => composeOverlay(new Uint8Array(3), null, 2, 2)).toThrow(PixelSizeError);
    expect(() => composeOverlay(new Uint8Array(4), new Uint8Array(5), 2, 2)).toThrow(/mask has 5 bytes, expected 2x2 = 4/);
  });
});
