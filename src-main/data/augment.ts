/**
 * Training-time augmentation: horizontal flip (on by default: seismic sections have no preferred
 * left/right), optional vertical flip (off: depth has a direction), small shifts and zooms with
 * reflect padding, and small brightness and contrast changes. A sample's augmentation depends only
 * on (seed, epoch, sample index), never on batch order or prefetching, so a run is reproducible.
 */
import { mixSeed, mulberry32 } from '../../shared/data/random';
import { RUN_CONFIG_OBJECT } from '../../shared/runs/request';
import type { RunConfig } from '../../shared/runs/types';
import type { NormStats } from './normalize';

/**
 * What augmentation may do: a run's `config.augment` (shared/runs/request.ts holds the meaning and
 * the limits of each setting). A setting left out is off, except `hflip`, which defaults to true.
 */
export type AugmentOptions = Partial<RunConfig['augment']>;

/** What is done to one sample: flips first, then the shift and zoom, then brightness and contrast. */
export interface AugmentPlan {
  hflip: boolean;
  vflip: boolean;
  /** Added to x / 255. */
  brightness: number;
  /** Factor around the image mean. */
  contrast: number;
  /** Rightward shift of the content, as a share of the width (may be fractional in pixels). */
  shiftX: number;
  /** Downward shift of the content, as a share of the height. */
  shiftY: number;
  /** Zoom about the image centre: above 1 enlarges the content, below 1 shrinks it (reflect padded). */
  zoom: number;
}

/** The identity: what validation and prediction use. */
export const NO_AUGMENT: AugmentPlan = { hflip: false, vflip: false, brightness: 0, contrast: 1, shiftX: 0, shiftY: 0, zoom: 1 };

const AUGMENT_SCHEMA = RUN_CONFIG_OBJECT.shape.augment.unwrap();
/** Options objects already checked against the schema (a run's options are checked once, not per sample). */
const checked = new WeakSet<AugmentOptions>();

/** Throws a RangeError naming the setting when `opts` is outside the run schema's limits. */
export function checkAugmentOptions(opts: AugmentOptions): void {
  if (checked.has(opts)) return;
  const r = AUGMENT_SCHEMA.safeParse(opts);
  if (!r.success) throw new RangeError(`augmentation: ${r.error.issues.map((i) => i.message).join('; ')}`);
  checked.add(opts);
}

/** The plan for sample `index` in `epoch` under `seed`. */
export function planAugment(opts: AugmentOptions, seed: number, epoch: number, index: number): AugmentPlan {
  checkAugmentOptions(opts);
  const rng = mulberry32(mixSeed(seed, epoch, index, 0x61756721));
  // Draw every number even when unused, so enabling one option does not change the others' draws;
  // later options draw after the earlier ones, so older runs' flips and jitter are unchanged.
  const h = rng();
  const v = rng();
  const b = rng();
  const c = rng();
  const sx = rng();
  const sy = rng();
  const z = rng();
  const brightness = opts.brightness ?? 0;
  const contrast = opts.contrast ?? 0;
  const shift = opts.shift ?? 0;
  const scale = opts.scale ?? 0;
  return {
    hflip: (opts.hflip ?? true) && h < 0.5,
    vflip: (opts.vflip ?? false) && v < 0.5,
    brightness: brightness > 0 ? (b * 2 - 1) * brightness : 0,
    contrast: contrast > 0 ? 1 + (c * 2 - 1) * contrast : 1,
    shiftX: shift > 0 ? (sx * 2 - 1) * shift : 0,
    shiftY: shift > 0 ? (sy * 2 - 1) * shift : 0,
    zoom: scale > 0 ? 1 + (z * 2 - 1) * scale : 1,
  };
}

/** Where `renderSample` writes: NHWC inputs and HW targets of one batch slot. */
export interface SampleTarget {
  x: Float32Array;
  /** Offset of the slot in `x`, in floats. */
  xOffset: number;
  channels: 1 | 3;
  y: Float32Array | null;
  yOffset: number;
}

/** `i` mirrored into [0, n) about the end pixels, which are not repeated (numpy 'reflect', cv2 BORDER_REFLECT_101). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/** For each output position on one axis: the two source positions and the weight of the second. */
interface AxisMap {
  lo: Int32Array;
  hi: Int32Array;
  w: Float64Array;
}

// Reused between samples (one image at a time in this process), so rendering allocates nothing per sample.
const rowMap: AxisMap = { lo: new Int32Array(0), hi: new Int32Array(0), w: new Float64Array(0) };
const colMap: AxisMap = { lo: new Int32Array(0), hi: new Int32Array(0), w: new Float64Array(0) };

/**
 * Fills `map` for an axis of `n` pixels: output position o shows source position
 * s = c + (o - c - shift) / zoom (c the centre), mirrored when `flip`, sampled between floor(s) and
 * floor(s) + 1 (both reflected into the axis).
 */
function fillAxis(map: AxisMap, n: number, shiftPx: number, zoom: number, flip: boolean): void {
  if (map.lo.length < n) {
    map.lo = new Int32Array(n);
    map.hi = new Int32Array(n);
    map.w = new Float64Array(n);
  }
  const centre = (n - 1) / 2;
  for (let o = 0; o < n; o++) {
    let s = centre + (o - centre - shiftPx) / zoom;
    if (flip) s = n - 1 - s;
    const i = Math.floor(s);
    map.lo[o] = reflectIndex(i, n);
    map.hi[o] = reflectIndex(i + 1, n);
    map.w[o] = s - i;
  }
}

/**
 * Writes one sample, augmented by `plan` and normalised with `stats` (input = (x' - mean) / std with
 * x' = clamp((x/255 - m) * contrast + m + brightness, 0, 1), m the mean of the unaugmented image),
 * into `target`. Grey is replicated into every channel. A shift or zoom samples the image bilinearly
 * with reflect padding; the mask is sampled by the same map and thresholded at 1/2, so it stays 0/1
 * and moves with the image. Without a shift or zoom, pixels are copied (flipped) exactly.
 */
export function renderSample(
  image: Uint8Array,
  mask: Uint8Array | null,
  height: number,
  width: number,
  plan: AugmentPlan,
  stats: NormStats,
  target: SampleTarget,
): void {
  const { x, xOffset, channels, y, yOffset } = target;
  const jitter = plan.brightness !== 0 || plan.contrast !== 1;
  let imageMean = 0;
  if (jitter) {
    for (let p = 0; p < image.length; p++) imageMean += image[p] ?? 0;
    imageMean /= image.length * 255;
  }
  const write = (dst: number, raw: number): void => {
    let v = raw / 255;
    if (jitter) v = Math.min(1, Math.max(0, (v - imageMean) * plan.contrast + imageMean + plan.brightness));
    const value = (v - stats.mean) / stats.std;
    const base = xOffset + dst * channels;
    for (let ch = 0; ch < channels; ch++) x[base + ch] = value;
  };
  if (plan.shiftX === 0 && plan.shiftY === 0 && plan.zoom === 1) {
    for (let row = 0; row < height; row++) {
      const srcRow = plan.vflip ? height - 1 - row : row;
      for (let col = 0; col < width; col++) {
        const src = srcRow * width + (plan.hflip ? width - 1 - col : col);
        const dst = row * width + col;
        write(dst, image[src] ?? 0);
        if (y && mask) y[yOffset + dst] = mask[src] ?? 0;
      }
    }
    return;
  }
  if (!(plan.zoom > 0) || !Number.isFinite(plan.zoom) || !Number.isFinite(plan.shiftX) || !Number.isFinite(plan.shiftY)) {
    throw new RangeError(`augment plan: zoom must be a finite number above 0 and shifts finite (zoom ${plan.zoom}, shifts ${plan.shiftX}, ${plan.shiftY})`);
  }
  fillAxis(rowMap, height, plan.shiftY * height, plan.zoom, plan.vflip);
  fillAxis(colMap, width, plan.shiftX * width, plan.zoom, plan.hflip);
  const { lo: cLo, hi: cHi, w: cW } = colMap;
  for (let row = 0; row < height; row++) {
    const top = (rowMap.lo[row] ?? 0) * width;
    const bottom = (rowMap.hi[row] ?? 0) * width;
    const wr = rowMap.w[row] ?? 0;
    for (let col = 0; col < width; col++) {
      const a = cLo[col] ?? 0;
      const b = cHi[col] ?? 0;
      const wc = cW[col] ?? 0;
      const dst = row * width + col;
      // Lerps, so a weight of 0 gives the source pixel exactly (whole-pixel shifts copy pixels).
      const ta = image[top + a] ?? 0;
      const ba = image[bottom + a] ?? 0;
      const t = ta + ((image[top + b] ?? 0) - ta) * wc;
      const u = ba + ((image[bottom + b] ?? 0) - ba) * wc;
      write(dst, t + (u - t) * wr);
      if (y && mask) {
        const mta = mask[top + a] ?? 0;
        const mba = mask[bottom + a] ?? 0;
        const mt = mta + ((mask[top + b] ?? 0) - mta) * wc;
        const mu = mba + ((mask[bottom + b] ?? 0) - mba) * wc;
        y[yOffset + dst] = mt + (mu - mt) * wr >= 0.5 ? 1 : 0;
      }
    }
  }
}
