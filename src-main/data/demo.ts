/**
 * A procedural, seismic-looking demo dataset, so the lab can be tried without the real data.
 * Images: layered reflectors (dipping, folded, laterally varying amplitude) plus noise. Salt bodies:
 * smooth blobs, domes rising from the bottom, and bodies entering from a side, filled with a chaotic
 * low-coherence texture and usually topped by a bright reflector of varying strength. Some images
 * have no salt; some have distractor zones of weak, chaotic layering without salt. Masks are exact:
 * the same inside test draws the image and the mask. Deterministic for a seed; always marked synthetic.
 */
import { mixSeed, mulberry32 } from '../../shared/data/random';
import type { Rng } from '../../shared/data/random';
import { assembleDataset } from './dataset';
import type { Dataset } from './dataset';

/** Options of `makeDemoDataset`. */
export interface DemoOptions {
  count?: number;
  /** Images are size x size. */
  size?: number;
  seed?: number;
}

/** Signed distance-like value: negative inside the salt, positive outside, about in pixels. */
type SaltShape = (x: number, y: number) => number;

/** Smooth value noise in about [-1, 1] on a size x size grid with `cells` cells across. */
function valueNoise(rng: Rng, size: number, cells: number): Float32Array {
  const n = cells + 2;
  const grid = new Float32Array(n * n);
  for (let i = 0; i < grid.length; i++) grid[i] = rng() * 2 - 1;
  const out = new Float32Array(size * size);
  const step = cells / size;
  for (let y = 0; y < size; y++) {
    const gy = y * step;
    const iy = Math.floor(gy);
    const fy = gy - iy;
    const sy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < size; x++) {
      const gx = x * step;
      const ix = Math.floor(gx);
      const fx = gx - ix;
      const sx = fx * fx * (3 - 2 * fx);
      const a = grid[iy * n + ix] ?? 0;
      const b = grid[iy * n + ix + 1] ?? 0;
      const c = grid[(iy + 1) * n + ix] ?? 0;
      const d = grid[(iy + 1) * n + ix + 1] ?? 0;
      out[y * size + x] = (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy;
    }
  }
  return out;
}

function between(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** Irregular blob: a radius that wobbles with angle; the centre may lie outside the image. */
function blob(rng: Rng, size: number, cx: number, cy: number): SaltShape {
  const radius = size * between(rng, 0.12, 0.45);
  const wobble = [2, 3, 4, 5].map((k) => {
    const a = between(rng, 0, 0.18 / (k - 1));
    const p = rng() * Math.PI * 2;
    return { ca: a * Math.cos(p), sa: a * Math.sin(p) };
  });
  return (x, y) => {
    const dx = x - cx;
    const dy = y - cy;
    const dist = Math.hypot(dx, dy);
    if (dist === 0) return -radius;
    // cos(k*theta + p) by repeated complex multiplication: no trigonometry per pixel.
    const c1 = dx / dist;
    const s1 = dy / dist;
    let ck = c1;
    let sk = s1;
    let r = radius;
    for (const w of wobble) {
      const c = ck * c1 - sk * s1;
      sk = sk * c1 + ck * s1;
      ck = c;
      r += radius * (w.ca * ck - w.sa * sk);
    }
    return dist - r;
  };
}

/** A dome rising from below: salt where y is below a smooth top curve. */
function dome(rng: Rng, size: number): SaltShape {
  const crestX = between(rng, -0.2, 1.2) * size;
  const crestY = between(rng, -0.4, 0.85) * size;
  const flank = between(rng, 0.2, 1.5) / size;
  const ripple = between(rng, 0, 4);
  const rippleWave = between(rng, 15, 40);
  const ripplePhase = rng() * Math.PI * 2;
  return (x, y) => {
    const top = crestY + flank * (x - crestX) ** 2 + ripple * Math.sin(x / rippleWave + ripplePhase);
    return top - y;
  };
}

/** Salt entering from the left or right edge, bounded by a tilted, wavy front. */
function flankBody(rng: Rng, size: number): SaltShape {
  const fromLeft = rng() < 0.5;
  const front = between(rng, 0.15, 0.95) * size;
  const tilt = between(rng, -0.6, 0.6);
  const wave = between(rng, 0, 6);
  const phase = rng() * Math.PI * 2;
  return (x, y) => {
    const edge = front + tilt * (y - size / 2) + wave * Math.sin(y / 12 + phase);
    return fromLeft ? x - edge : size - 1 - x - edge;
  };
}

function pickShape(rng: Rng, size: number): SaltShape | null {
  const kind = rng();
  if (kind < 0.3) return null;
  if (kind < 0.6) return blob(rng, size, between(rng, -0.15, 1.15) * size, between(rng, -0.15, 1.15) * size);
  if (kind < 0.85) return dome(rng, size);
  return flankBody(rng, size);
}

/** Draws one sample into `image` and `mask` (row-major size x size). */
function drawSample(rng: Rng, size: number, image: Uint8Array, mask: Uint8Array): void {
  const period = between(rng, 5, 14);
  const period2 = period * between(rng, 0.35, 0.6);
  const mix2 = between(rng, 0.15, 0.45);
  const dip = between(rng, -0.35, 0.35);
  const foldAmp = between(rng, 0, 10);
  const foldWave = between(rng, 40, 160);
  const foldPhase = rng() * Math.PI * 2;
  const phase2 = rng() * Math.PI * 2;
  const warp = valueNoise(rng, size, 3);
  const amplitude = valueNoise(rng, size, 5);
  const chaos = valueNoise(rng, size, Math.max(4, Math.round(size / 7)));
  const fine = valueNoise(rng, size, Math.max(8, Math.round(size / 3)));
  const shape = pickShape(rng, size);
  const topStrength = rng() < 0.2 ? 0 : between(rng, 0.15, 0.8);
  const saltLayering = between(rng, 0, 0.2);
  // A zone of weak, chaotic layering without salt, so that texture alone is not the answer.
  const distractor = rng() < 0.25 ? blob(rng, size, between(rng, 0, 1) * size, between(rng, 0, 1) * size) : null;
  const noise = between(rng, 0.05, 0.2);
  const gain = between(rng, 40, 65);
  const offset = between(rng, -15, 15);

  const fold = new Float32Array(size);
  for (let x = 0; x < size; x++) fold[x] = dip * x + foldAmp * Math.sin((2 * Math.PI * x) / foldWave + foldPhase);

  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      const shift = (fold[x] ?? 0) + 4 * (warp[p] ?? 0);
      const t = y - shift;
      const layers =
        (1 - mix2) * Math.sin((2 * Math.PI * t) / period) + mix2 * Math.sin((2 * Math.PI * t) / period2 + phase2);
      let value = layers * (0.7 + 0.3 * (amplitude[p] ?? 0));
      const chaotic = 0.6 * (chaos[p] ?? 0) + 0.4 * (fine[p] ?? 0);
      if (distractor) {
        const d = distractor(x, y);
        const w = d > 20 ? 0 : d < -20 ? 1 : 1 / (1 + Math.exp(d / 3));
        value = value * (1 - 0.6 * w) + 0.5 * chaotic * w;
      }
      const s = shape ? shape(x, y) : 1;
      if (s < 0) {
        mask[p] = 1;
        value = saltLayering * layers + 0.8 * chaotic;
      } else {
        mask[p] = 0;
      }
      if (shape && s > -6 && s < 6) value += topStrength * Math.exp(-((s / 1.6) ** 2));
      value += noise * (rng() + rng() - 1) * 2.4;
      image[p] = Math.max(0, Math.min(255, Math.round(128 + offset + gain * value)));
    }
  }
}

/** Builds the demo dataset: `count` samples of `size` x `size`, ids `demo-0000`...; fast (~0.5 s for 400). */
export function makeDemoDataset(opts: DemoOptions = {}): Dataset {
  const count = opts.count ?? 400;
  const size = opts.size ?? 101;
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`demo count must be a positive integer, got ${count}`);
  if (!Number.isInteger(size) || size < 8) throw new RangeError(`demo size must be an integer of at least 8, got ${size}`);
  const pixels = size * size;
  const images = new Uint8Array(count * pixels);
  const masks = new Uint8Array(count * pixels);
  const ids: string[] = [];
  const width = Math.max(4, String(count - 1).length);
  for (let i = 0; i < count; i++) {
    ids.push(`demo-${String(i).padStart(width, '0')}`);
    // One stream per sample: sample i looks the same whatever the count.
    const rng = mulberry32(mixSeed(seed, i));
    drawSample(rng, size, images.subarray(i * pixels, (i + 1) * pixels), masks.subarray(i * pixels, (i + 1) * pixels));
  }
  return assembleDataset(
    { name: 'demo (synthetic)', source: { kind: 'demo', seed, count }, synthetic: true, problems: [] },
    ids,
    size,
    size,
    images,
    masks,
    null,
  );
}
