/**
 * Sample thumbnails from the raw bytes the API sends: grey pixels with the salt mask laid over them,
 * as RGBA ready for `ImageData`. Pure, so the blend can be checked pixel by pixel.
 */

/** Bytes of a base64 string (the API's pixel encoding). Throws on malformed base64. */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Colour and strength of the mask overlay. */
export interface OverlayStyle {
  /** Salt colour, 0..255 each. */
  rgb: readonly [number, number, number];
  /** Weight of the salt colour inside the mask, 0..1. */
  fill: number;
  /** Draw the mask's outline in the full colour. */
  outline: boolean;
}

/** Default overlay: a translucent orange fill with a solid edge, legible on both dark and light ground. */
export const DEFAULT_OVERLAY: OverlayStyle = { rgb: [255, 128, 0], fill: 0.35, outline: true };

/** Thrown when pixel buffers do not match the stated size. */
export class PixelSizeError extends Error {
  override readonly name = 'PixelSizeError';
}

/** True when pixel (y, x) is salt and a 4-neighbour is not (the image border counts as not salt). */
function isEdge(mask: Uint8Array, y: number, x: number, h: number, w: number): boolean {
  if (y === 0 || x === 0 || y === h - 1 || x === w - 1) return true;
  const i = y * w + x;
  return mask[i - 1] === 0 || mask[i + 1] === 0 || mask[i - w] === 0 || mask[i + w] === 0;
}

/**
 * RGBA of a `height`x`width` grey image with `mask` (0/1 bytes, or null for unlabelled data) laid
 * over it: salt pixels are blended towards the overlay colour, edge pixels take it fully.
 */
export function composeOverlay(
  image: Uint8Array,
  mask: Uint8Array | null,
  height: number,
  width: number,
  style: OverlayStyle = DEFAULT_OVERLAY,
): Uint8ClampedArray {
  const n = height * width;
  if (image.length !== n) throw new PixelSizeError(`image has ${image.length} bytes, expected ${height}x${width} = ${n}`);
  if (mask && mask.length !== n) throw new PixelSizeError(`mask has ${mask.length} bytes, expected ${height}x${width} = ${n}`);
  const out = new Uint8ClampedArray(n * 4);
  const [r, g, b] = style.rgb;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const grey = image[i] as number;
      let rr = grey;
      let gg = grey;
      let bb = grey;
      if (mask && mask[i] !== 0) {
        const a = style.outline && isEdge(mask, y, x, height, width) ? 1 : style.fill;
        rr = grey * (1 - a) + r * a;
        gg = grey * (1 - a) + g * a;
        bb = grey * (1 - a) + b * a;
      }
      const o = i * 4;
      out[o] = rr;
      out[o + 1] = gg;
      out[o + 2] = bb;
      out[o + 3] = 255;
    }
  }
  return out;
}
