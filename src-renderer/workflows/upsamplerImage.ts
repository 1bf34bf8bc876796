/** Drawing an upsampler's response map: signed values as grey around mid-grey, scaled to the largest magnitude. */

/** RGBA pixels of an h x w map: 0 is mid-grey, +max white, -max black; an all-zero map is flat grey. */
export function responseImage(map: ArrayLike<number>, h: number, w: number): Uint8ClampedArray<ArrayBuffer> {
  let max = 0;
  for (let i = 0; i < h * w; i++) max = Math.max(max, Math.abs(map[i] ?? 0));
  const out = new Uint8ClampedArray(new ArrayBuffer(h * w * 4));
  for (let i = 0; i < h * w; i++) {
    const v = max > 0 ? (map[i] ?? 0) / max : 0;
    const g = Math.round(127.5 + 127.5 * v);
    out.set([g, g, g, 255], i * 4);
  }
  return out;
}
