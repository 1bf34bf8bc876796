/**
 * Training-time augmentation: horizontal flip (on by default: seismic sections have no preferred
 * left/right), optional vertical flip (off: depth has a direction), and small brightness/contrast
 * jitter. A sample's augmentation depends only on (seed, epoch, sample index), never on batch order
 * or prefetching, so a run is reproducible.
 */
import { mixSeed, mulberry32 } from '../../shared/data/random';
import type { NormStats } from './normalize';

/** What augmentation may do. */
export interface AugmentOptions {
  /** Flip left-right with probability 1/2. Default true. */
  hflip?: boolean;
  /** Flip top-bottom with probability 1/2. Default false. */
  vflip?: boolean;
  /** Largest brightness shift, in units of the [0, 1] pixel range (e.g. 0.05). Default 0. */
  brightness?: number;
  /** Largest relative contrast change around the image mean (e.g. 0.1 for factors 0.9..1.1). Default 0. */
  contrast?: number;
}

/** What is done to one sample. */
export interface AugmentPlan {
  hflip: boolean;
  vflip: boolean;
  /** Added to x / 255. */
  brightness: number;
  /** Factor around the image mean. */
  contrast: number;
}

/** The identity: what validation and prediction use. */
export const NO_AUGMENT: AugmentPlan = { hflip: false, vflip: false, brightness: 0, contrast: 1 };

/** The plan for sample `index` in `epoch` under `seed`. */
export function planAugment(opts: AugmentOptions, seed: number, epoch: number, index: number): AugmentPlan {
  const rng = mulberry32(mixSeed(seed, epoch, index, 0x61756721));
  // Draw every number even when unused, so enabling one option does not change the others' draws.
  const h = rng();
  const v = rng();
  const b = rng();
  const c = rng();
  const brightness = opts.brightness ?? 0;
  const contrast = opts.contrast ?? 0;
  return {
    hflip: (opts.hflip ?? true) && h < 0.5,
    vflip: (opts.vflip ?? false) && v < 0.5,
    brightness: brightness > 0 ? (b * 2 - 1) * brightness : 0,
    contrast: contrast > 0 ? 1 + (c * 2 - 1) * contrast : 1,
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

/**
 * Writes one sample, augmented by `plan` and normalised with `stats` (input = (x' - mean) / std with
 * x' = clamp((x/255 - m) * contrast + m + brightness, 0, 1), m the image's mean), into `target`.
 * Grey is replicated into every channel; the mask is flipped like the image.
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
  for (let row = 0; row < height; row++) {
    const srcRow = plan.vflip ? height - 1 - row : row;
    for (let col = 0; col < width; col++) {
      const src = srcRow * width + (plan.hflip ? width - 1 - col : col);
      let v = (image[src] ?? 0) / 255;
      if (jitter) v = Math.min(1, Math.max(0, (v - imageMean) * plan.contrast + imageMean + plan.brightness));
      const value = (v - stats.mean) / stats.std;
      const dst = row * width + col;
      const base = xOffset + dst * channels;
      for (let ch = 0; ch < channels; ch++) x[base + ch] = value;
      if (y && mask) y[yOffset + dst] = mask[src] ?? 0;
    }
  }
}
