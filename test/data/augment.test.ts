/**
 * Shifts and zooms with reflect padding, brightness and contrast: hand-worked small cases, the
 * mask moving with the image, exact identity, determinism per (seed, epoch, index) and bounds.
 */
import { describe, expect, it } from 'vitest';
import { mixSeed, mulberry32 } from '../../shared/data/random';
import type { AugmentOptions, AugmentPlan } from '../../src-main/data/augment';
import { NO_AUGMENT, planAugment, reflectIndex, renderSample } from '../../src-main/data/augment';
import { BatchStream } from '../../src-main/data/batches';
import { assembleDataset } from '../../src-main/data/dataset';

const identity = { mean: 0, std: 1 };
/** The usual TGS strengths (the options' suggested values; the default is the h-flip alone). */
const TGS_STRENGTHS = { shift: 0.1, scale: 0.1, brightness: 0.05, contrast: 0.1 } as const;

/** Renders `image` (and `mask`) of h x w with `plan`, one channel, identity normalisation: x = v / 255. */
function render(image: Uint8Array, mask: Uint8Array | null, h: number, w: number, plan: AugmentPlan, channels: 1 | 3 = 1) {
  const x = new Float32Array(h * w * channels);
  const y = mask ? new Float32Array(h * w) : null;
  renderSample(image, mask, h, w, plan, identity, { x, xOffset: 0, channels, y, yOffset: 0 });
  return { x, y };
}

/** `f(r, c)` over h x w, row-major. */
function grid(h: number, w: number, f: (r: number, c: number) => number): Uint8Array {
  return Uint8Array.from({ length: h * w }, (_, p) => f(Math.floor(p / w), p % w));
}

/** A 101 x 101 labelled sample: a salt blob (two discs) on a textured background. */
function tgsLike(seed: number): { image: Uint8Array; mask: Uint8Array } {
  const rng = mulberry32(seed);
  const mask = grid(101, 101, (r, c) => ((r - 60) ** 2 + (c - 35) ** 2 < 600 || (r - 30) ** 2 + (c - 75) ** 2 < 300 ? 1 : 0));
  const image = Uint8Array.from(mask, (m) => Math.floor(rng() * 60) + (m ? 150 : 30));
  return { image, mask };
}

const plan = (p: Partial<AugmentPlan>): AugmentPlan => ({ ...NO_AUGMENT, ...p });

describe('reflect padding', () => {
  it('mirrors about the end pixels without repeating them (numpy "reflect", BORDER_REFLECT_101)', () => {
    // np.pad(np.arange(5), 9, mode='reflect') at positions -9..13.
    const numpy = [1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3];
    expect(Array.from({ length: 23 }, (_, k) => reflectIndex(k - 9, 5))).toEqual(numpy);
    expect([reflectIndex(-3, 1), reflectIndex(4, 1), reflectIndex(-1, 2), reflectIndex(2, 2)]).toEqual([0, 0, 1, 0]);
  });
});

describe('shifts (hand-worked, 5 x 5)', () => {
  // Pixel (r, c) holds 10 * (5r + c): 0..240.
  const image = grid(5, 5, (r, c) => 10 * (5 * r + c));
  const at = (rows: number[], cols: number[]) => rows.flatMap((r) => cols.map((c) => Math.fround((10 * (5 * r + c)) / 255)));

  it('moves the content one pixel right with a share of 0.2, the left column mirrored in', () => {
    const { x } = render(image, null, 5, 5, plan({ shiftX: 0.2 }));
    // Output column c shows source column c - 1; column 0 shows -1, reflected to 1.
    expect(Array.from(x)).toEqual(at([0, 1, 2, 3, 4], [1, 0, 1, 2, 3]));
  });

  it('moves one pixel down and two left: rows [1,0,1,2,3], columns [2,3,4,3,2]', () => {
    const { x } = render(image, null, 5, 5, plan({ shiftY: 0.2, shiftX: -0.4 }));
    expect(Array.from(x)).toEqual(at([1, 0, 1, 2, 3], [2, 3, 4, 3, 2]));
  });

  it('moves the mask by the same map, reflected copies included, and flips before shifting', () => {
    const mask = grid(5, 5, (r, c) => (r === 1 && (c === 1 || c === 2) ? 1 : 0));
    const { y } = render(image, mask, 5, 5, plan({ shiftX: 0.2 }));
    // Output columns 0, 2 and 3 show source columns 1, 1 and 2.
    expect(Array.from(y ?? [])).toEqual(Array.from(grid(5, 5, (r, c) => (r === 1 && [0, 2, 3].includes(c) ? 1 : 0))));
    // Mirrored first (salt at columns 2, 3), then shifted: columns 3 and 4.
    const flipped = render(image, mask, 5, 5, plan({ shiftX: 0.2, hflip: true }));
    expect(Array.from(flipped.y ?? [])).toEqual(Array.from(grid(5, 5, (r, c) => (r === 1 && (c === 3 || c === 4) ? 1 : 0))));
    expect(Array.from(flipped.x)).toEqual(at([0, 1, 2, 3, 4], [3, 4, 3, 2, 1]));
  });

  it('interpolates a half-pixel shift bilinearly', () => {
    const { x } = render(image, null, 5, 5, plan({ shiftX: 0.1 }));
    // Source columns -0.5, 0.5, 1.5, 2.5, 3.5: the first between column 1 (reflected -1) and 0.
    const row = [5, 5, 15, 25, 35].map((v) => v / 255);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 5; c++) expect(x[r * 5 + c]).toBeCloseTo((50 * r) / 255 + (row[c] ?? 0), 6);
  });
});

describe('zooms (hand-worked)', () => {
  it('zooms a ramp in by 1.25 about the centre: sources 0.4, 1.2, 2, 2.8, 3.6 on each axis', () => {
    const image = grid(5, 5, (r, c) => 50 * r + 10 * c);
    const { x } = render(image, null, 5, 5, plan({ zoom: 1.25 }));
    const s = [0.4, 1.2, 2, 2.8, 3.6];
    for (let r = 0; r < 5; r++) for (let c = 0; c < 5; c++) expect(x[r * 5 + c]).toBeCloseTo((50 * (s[r] ?? 0) + 10 * (s[c] ?? 0)) / 255, 6);
  });

  it('shifts in output pixels after the zoom, the border sample interpolated with its reflection', () => {
    const image = grid(5, 5, (r, c) => 50 * r + 10 * c);
    const { x } = render(image, null, 5, 5, plan({ zoom: 1.25, shiftX: 0.2 }));
    // Columns: s = 2 + (o - 1 - 2) / 1.25 = -0.4, 0.4, 1.2, 2, 2.8. At -0.4 the sample lies between
    // column -1 (reflected: column 1, 10) and column 0 (0), 0.6 of the way: 4, like at 0.4.
    const sc = [0.4, 0.4, 1.2, 2, 2.8];
    const sr = [0.4, 1.2, 2, 2.8, 3.6];
    for (let r = 0; r < 5; r++) for (let c = 0; c < 5; c++) expect(x[r * 5 + c]).toBeCloseTo((50 * (sr[r] ?? 0) + 10 * (sc[c] ?? 0)) / 255, 6);
  });

  // 7 x 7, a 3 x 3 salt block at rows and columns 2..4; the image is 20 + 200 x mask.
  const inBlock = (i: number) => i >= 2 && i <= 4;
  const mask = grid(7, 7, (r, c) => (inBlock(r) && inBlock(c) ? 1 : 0));
  const image = Uint8Array.from(mask, (m) => 20 + 200 * m);

  it('zooming in by 1.5 grows the block to 5 x 5 less its corners, with the image interpolated at the same places', () => {
    const { x, y } = render(image, mask, 7, 7, plan({ zoom: 1.5 }));
    // Sources 1, 5/3, 7/3, 3, 11/3, 13/3, 5: the block's profile there is 0, 2/3, 1, 1, 1, 2/3, 0,
    // and the interpolated mask is the product of the row's and the column's.
    const f = [0, 2 / 3, 1, 1, 1, 2 / 3, 0];
    // Rows and columns 1..5 are salt, but the corners (4/9 < 1/2) are not: a 5 x 5 block, corners cut.
    const corner = (i: number) => i === 1 || i === 5;
    const grown = (i: number) => i >= 1 && i <= 5;
    expect(Array.from(y ?? [])).toEqual(Array.from(grid(7, 7, (r, c) => (grown(r) && grown(c) && !(corner(r) && corner(c)) ? 1 : 0))));
    for (let r = 0; r < 7; r++) for (let c = 0; c < 7; c++) expect(x[r * 7 + c]).toBeCloseTo((20 + 200 * (f[r] ?? 0) * (f[c] ?? 0)) / 255, 6);
  });

  it('zooming out by 0.5 shrinks the block to its centre and mirrors copies in at the border', () => {
    const { x, y } = render(image, mask, 7, 7, plan({ zoom: 0.5 }));
    // Sources 2o - 3 = -3, -1, 1, 3, 5, 7, 9, reflected to 3, 1, 1, 3, 5, 5, 3.
    const kept = [1, 0, 0, 1, 0, 0, 1];
    const expectedMask = grid(7, 7, (r, c) => (kept[r] ?? 0) * (kept[c] ?? 0));
    expect(Array.from(y ?? [])).toEqual(Array.from(expectedMask));
    expect(Array.from(x)).toEqual(Array.from(expectedMask, (m) => Math.fround((20 + 200 * m) / 255)));
  });
});

describe('the mask under any plan', () => {
  it('stays 0/1 and is exactly where the two-level image is above its midpoint (it moves with the image)', () => {
    const { image, mask } = tgsLike(3);
    // A two-level image, 20 off salt and 220 on it: interpolating it interpolates the mask, so the
    // transformed mask must be the transformed image above 120.
    const twoLevel = Uint8Array.from(mask, (m) => 20 + 200 * m);
    const opts: AugmentOptions = { hflip: true, vflip: true, shift: 0.5, scale: 0.5 };
    let salt = 0;
    for (let i = 0; i < 40; i++) {
      const p = planAugment(opts, 11, 0, i);
      const { x, y } = render(twoLevel, mask, 101, 101, p);
      const wrong: string[] = [];
      for (let q = 0; q < x.length; q++) {
        const v = (x[q] ?? 0) * 255;
        const m = y?.[q];
        if (m !== 0 && m !== 1) wrong.push(`pixel ${q}: mask ${m}`);
        else if (Math.abs(v - 120) > 1e-3 && m !== (v > 120 ? 1 : 0)) wrong.push(`pixel ${q}: mask ${m}, image ${v}`);
        salt += m ?? 0;
      }
      expect(wrong).toEqual([]);
      // The real image is sampled by the same map: every value lies between the image's extremes.
      const real = render(image, null, 101, 101, p).x;
      expect(Math.min(...real) * 255).toBeGreaterThanOrEqual(Math.min(...image) - 1e-3);
      expect(Math.max(...real) * 255).toBeLessThanOrEqual(Math.max(...image) + 1e-3);
    }
    expect(salt).toBeGreaterThan(0);
  });
});

describe('the identity', () => {
  it('reproduces the unaugmented normalised pixels bit for bit, in every channel', () => {
    const { image, mask } = tgsLike(5);
    const stats = { mean: 0.47, std: 0.16 };
    const x = new Float32Array(101 * 101 * 3);
    const y = new Float32Array(101 * 101);
    renderSample(image, mask, 101, 101, NO_AUGMENT, stats, { x, xOffset: 0, channels: 3, y, yOffset: 0 });
    const want = Float32Array.from(image, (v) => (v / 255 - stats.mean) / stats.std);
    expect(Array.from(x)).toEqual(Array.from(want).flatMap((v) => [v, v, v]));
    expect(Array.from(y)).toEqual(Array.from(mask));
  });

  it('is what every option off plans, and flips with brightness and contrast keep the pixel formula', () => {
    const off = { hflip: false, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 };
    for (let i = 0; i < 50; i++) expect(planAugment(off, 9, 2, i)).toEqual(NO_AUGMENT);
    const { image } = tgsLike(6);
    const p = plan({ hflip: true, brightness: 0.03, contrast: 1.07 });
    const { x } = render(image, null, 101, 101, p);
    const mean = image.reduce((s, v) => s + v, 0) / (image.length * 255);
    const want = grid(101, 101, (r, c) => image[r * 101 + 100 - c] ?? 0);
    expect(Array.from(x)).toEqual(Array.from(want, (raw) => Math.fround(Math.min(1, Math.max(0, (raw / 255 - mean) * 1.07 + mean + 0.03)))));
  });
});

describe('planning', () => {
  const all: AugmentOptions = { hflip: true, vflip: true, shift: 0.1, scale: 0.1, brightness: 0.05, contrast: 0.1 };

  it('is a function of (seed, epoch, index) only', () => {
    expect(planAugment(all, 4, 2, 17)).toEqual(planAugment({ ...all }, 4, 2, 17));
    const base = planAugment(all, 4, 2, 17);
    expect(planAugment(all, 4, 3, 17)).not.toEqual(base);
    expect(planAugment(all, 4, 2, 18)).not.toEqual(base);
    expect(planAugment(all, 5, 2, 17)).not.toEqual(base);
  });

  it('draws every number whether or not its option is on, the shift and zoom after the older four', () => {
    for (let i = 0; i < 30; i++) {
      const rng = mulberry32(mixSeed(8, 1, i, 0x61756721));
      const u = Array.from({ length: 7 }, () => rng());
      const p = planAugment(all, 8, 1, i);
      expect(p).toEqual({
        hflip: (u[0] ?? 1) < 0.5,
        vflip: (u[1] ?? 1) < 0.5,
        brightness: ((u[2] ?? 0) * 2 - 1) * 0.05,
        contrast: 1 + ((u[3] ?? 0) * 2 - 1) * 0.1,
        shiftX: ((u[4] ?? 0) * 2 - 1) * 0.1,
        shiftY: ((u[5] ?? 0) * 2 - 1) * 0.1,
        zoom: 1 + ((u[6] ?? 0) * 2 - 1) * 0.1,
      });
      // Turning options on or off leaves the others' values as they were.
      const flipsOnly = planAugment({ hflip: true, vflip: true }, 8, 1, i);
      expect([flipsOnly.hflip, flipsOnly.vflip]).toEqual([p.hflip, p.vflip]);
      expect(planAugment({ shift: 0.1 }, 8, 1, i)).toMatchObject({ shiftX: p.shiftX, shiftY: p.shiftY, zoom: 1, brightness: 0, contrast: 1 });
      expect(planAugment({ scale: 0.1, brightness: 0.05 }, 8, 1, i)).toMatchObject({ zoom: p.zoom, brightness: p.brightness, shiftX: 0, contrast: 1 });
    }
  });

  it('keeps each value within its setting, reaching close to it both ways', () => {
    for (const opts of [{ ...TGS_STRENGTHS }, { shift: 0.5, scale: 0.5, brightness: 1, contrast: 1 }, { shift: 0.02, scale: 0.3, brightness: 0.2, contrast: 0.01 }]) {
      const plans = Array.from({ length: 2000 }, (_, i) => planAugment(opts, 1, 3, i));
      const spread = (values: number[], bound: number) => {
        expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
        expect(Math.max(...values)).toBeGreaterThan(0.95 * bound);
        expect(Math.min(...values)).toBeLessThan(-0.95 * bound);
      };
      spread(plans.map((p) => p.shiftX), opts.shift);
      spread(plans.map((p) => p.shiftY), opts.shift);
      spread(plans.map((p) => p.zoom - 1), opts.scale);
      spread(plans.map((p) => p.brightness), opts.brightness);
      spread(plans.map((p) => p.contrast - 1), opts.contrast);
    }
  });

  it('refuses settings outside the run schema, naming them', () => {
    expect(() => planAugment({ shift: 0.6 }, 1, 0, 0)).toThrow(/shift must be in \[0, 0\.5\]/);
    expect(() => planAugment({ scale: -0.1 }, 1, 0, 0)).toThrow(/scale must be in \[0, 0\.5\]/);
    expect(() => planAugment({ brightness: 2 }, 1, 0, 0)).toThrow(/brightness must be in \[0, 1\]/);
    expect(() => planAugment({ contrast: Number.NaN }, 1, 0, 0)).toThrow(/contrast must be a number/);
    expect(() => render(grid(2, 2, () => 0), null, 2, 2, plan({ zoom: 0 }))).toThrow(/zoom must be a finite number above 0/);
  });
});

describe('training batches', () => {
  const samples = [tgsLike(1), tgsLike(2), tgsLike(3), tgsLike(4), tgsLike(5)];
  const images = new Uint8Array(samples.length * 101 * 101);
  const masks = new Uint8Array(samples.length * 101 * 101);
  samples.forEach((s, i) => {
    images.set(s.image, i * 101 * 101);
    masks.set(s.mask, i * 101 * 101);
  });
  const ds = assembleDataset(
    { name: 'blobs', source: { kind: 'demo', seed: 0, count: samples.length }, synthetic: true, problems: [] },
    samples.map((_, i) => `b${i}`),
    101,
    101,
    images,
    masks,
    null,
  );
  const norm = { mean: 0.4, std: 0.2 };
  const augment: AugmentOptions = { hflip: true, vflip: false, ...TGS_STRENGTHS };
  /** Sample `index`'s input in epoch `epoch`, from batches of `batchSize`. */
  const sampleIn = (index: number, epoch: number, batchSize: number, prefetch: number) => {
    const stream = new BatchStream(ds, { indices: [0, 1, 2, 3, 4], batchSize, seed: 21, epoch, norm, augment, prefetch });
    for (const b of stream) {
      const slot = b.indices.indexOf(index);
      if (slot >= 0) return { x: b.x.slice(slot * 101 * 101, (slot + 1) * 101 * 101), y: b.y.slice(slot * 101 * 101, (slot + 1) * 101 * 101) };
    }
    throw new Error(`sample ${index} not in the epoch`);
  };

  it('augment each sample by its own plan, whatever the batch size or prefetching', () => {
    const a = sampleIn(3, 2, 1, 0);
    expect(sampleIn(3, 2, 4, 2)).toEqual(a);
    const x = new Float32Array(101 * 101);
    const y = new Float32Array(101 * 101);
    renderSample(samples[3]?.image ?? new Uint8Array(), samples[3]?.mask ?? null, 101, 101, planAugment(augment, 21, 2, 3), norm, { x, xOffset: 0, channels: 1, y, yOffset: 0 });
    expect(a).toEqual({ x, y });
    expect(sampleIn(3, 3, 1, 0).x).not.toEqual(a.x);
  });

  it('refuse bad settings before any batch is built', () => {
    expect(() => new BatchStream(ds, { indices: [0], batchSize: 1, seed: 1, epoch: 0, norm, augment: { scale: 0.9 } })).toThrow(/scale must be in \[0, 0\.5\]/);
  });
});
