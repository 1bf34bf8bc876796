import { describe, expect, it } from 'vitest';
import { NO_AUGMENT, planAugment, renderSample } from '../../src-main/data/augment';
import { BatchStream, renderInputs } from '../../src-main/data/batches';
import { tinyDataset } from './fixtures';

const H = 3;
const W = 4;
const P = H * W;
// 10 samples; sample i has i salt pixels (capped at 12).
const ds = tinyDataset(Array.from({ length: 10 }, (_, i) => i), H, W);
const norm = { mean: 0.4, std: 0.2 };
const expected = (v: number) => Math.fround((v / 255 - norm.mean) / norm.std);

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BatchStream', () => {
  it('yields NHWC batches covering every index once, the last one partial, grey replicated into 3 channels', () => {
    const indices = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const stream = new BatchStream(ds, { indices, batchSize: 4, channels: 3, seed: 1, epoch: 0, norm, prefetch: 0 });
    const batches = [...stream];
    expect(stream.batchCount).toBe(3);
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches.map((b) => b.x.length)).toEqual([4 * P * 3, 4 * P * 3, 2 * P * 3]);
    expect(batches.map((b) => b.y.length)).toEqual([4 * P, 4 * P, 2 * P]);
    expect(batches.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(indices);
    const batch = batches[0];
    if (!batch) throw new Error('no batch');
    const slot = 1;
    const index = batch.indices[slot] ?? -1;
    for (let p = 0; p < P; p++) {
      const v = ds.images[index * P + p] ?? 0;
      for (let ch = 0; ch < 3; ch++) expect(batch.x[(slot * P + p) * 3 + ch]).toBe(expected(v));
      expect(batch.y[slot * P + p]).toBe(ds.masks?.[index * P + p]);
    }
  });

  it('shuffles deterministically per (seed, epoch), and keeps order when shuffle is off', () => {
    const indices = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const order = (seed: number, epoch: number, shuffle = true) =>
      [...new BatchStream(ds, { indices, batchSize: 3, seed, epoch, norm, shuffle, prefetch: 0 })].flatMap((b) => b.indices);
    expect(order(1, 0)).toEqual(order(1, 0));
    expect(order(1, 1)).not.toEqual(order(1, 0));
    expect(order(2, 0)).not.toEqual(order(1, 0));
    expect(order(1, 0, false)).toEqual(indices);
  });

  it('prepares the next batches before they are asked for', async () => {
    const stream = new BatchStream(ds, { indices: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], batchSize: 2, seed: 3, epoch: 0, norm, prefetch: 2 });
    for (let i = 0; i < 5; i++) await tick();
    expect(stream.ready).toBe(2);
    const first = stream.next();
    expect(first?.size).toBe(2);
    expect(stream.ready).toBe(1); // taken from the prepared queue, not built on demand
    for (let i = 0; i < 5; i++) await tick();
    expect(stream.ready).toBe(2);
    const rest = [];
    for await (const b of stream) rest.push(b);
    expect(rest).toHaveLength(4);
    expect(stream.next()).toBeNull();
    expect(stream.ready).toBe(0);
  });

  it('builds on demand when nothing is prepared, and stops after close()', () => {
    const stream = new BatchStream(ds, { indices: [0, 1, 2], batchSize: 2, seed: 3, epoch: 0, norm, prefetch: 1 });
    expect(stream.ready).toBe(0);
    expect(stream.next()?.size).toBe(2);
    stream.close();
    expect(stream.next()).toBeNull();
  });

  it('flips image and mask together for augmented samples', () => {
    const augment = { hflip: true };
    const indices = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const flipped = indices.filter((i) => planAugment(augment, 7, 0, i).hflip);
    expect(flipped.length).toBeGreaterThan(0);
    const index = flipped[0] ?? -1;
    const stream = new BatchStream(ds, { indices: [index], batchSize: 1, seed: 7, epoch: 0, norm, augment, prefetch: 0 });
    const batch = stream.next();
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const src = index * P + r * W + (W - 1 - c);
        expect(batch?.x[r * W + c]).toBe(expected(ds.images[src] ?? 0));
        expect(batch?.y[r * W + c]).toBe(ds.masks?.[src]);
      }
    }
  });

  it('refuses unlabelled data and bad options; renderInputs serves prediction', () => {
    const unlabelled = tinyDataset([0, 0], H, W, false);
    expect(() => new BatchStream(unlabelled, { indices: [0], batchSize: 1, seed: 1, epoch: 0, norm })).toThrow(/has no masks/);
    expect(() => new BatchStream(ds, { indices: [0], batchSize: 0, seed: 1, epoch: 0, norm })).toThrow(/batchSize/);
    expect(() => new BatchStream(ds, { indices: [10], batchSize: 1, seed: 1, epoch: 0, norm })).toThrow(/index 10 is outside/);
    const x = renderInputs(unlabelled, [1], 1, norm);
    expect(Array.from(x)).toEqual(Array.from(unlabelled.images.subarray(P, 2 * P), expected));
  });
});

describe('augmentation', () => {
  it('plans deterministically per (seed, epoch, index), within the given ranges', () => {
    const opts = { hflip: true, vflip: true, brightness: 0.05, contrast: 0.1 };
    expect(planAugment(opts, 1, 2, 3)).toEqual(planAugment(opts, 1, 2, 3));
    const plans = Array.from({ length: 400 }, (_, i) => planAugment(opts, 1, 0, i));
    const hflips = plans.filter((p) => p.hflip).length;
    expect(hflips).toBeGreaterThan(150);
    expect(hflips).toBeLessThan(250);
    expect(plans.every((p) => Math.abs(p.brightness) <= 0.05 && Math.abs(p.contrast - 1) <= 0.1)).toBe(true);
    expect(new Set(plans.map((p) => p.brightness)).size).toBeGreaterThan(100);
    // Defaults: horizontal flip only.
    const defaults = Array.from({ length: 100 }, (_, i) => planAugment({}, 1, 0, i));
    expect(defaults.some((p) => p.hflip)).toBe(true);
    expect(defaults.every((p) => !p.vflip && p.brightness === 0 && p.contrast === 1)).toBe(true);
  });

  it('applies contrast around the image mean and brightness, clamped to [0, 1] (hand-computed)', () => {
    // Pixels 51 and 153: x = .2 and .6, image mean .4. Identity normalisation.
    const image = Uint8Array.from([51, 153]);
    const out = new Float32Array(2);
    const identity = { mean: 0, std: 1 };
    const target = { x: out, xOffset: 0, channels: 1 as const, y: null, yOffset: 0 };
    renderSample(image, null, 1, 2, { ...NO_AUGMENT, contrast: 2 }, identity, target);
    // (.2 - .4) * 2 + .4 = 0; (.6 - .4) * 2 + .4 = .8
    expect(out[0]).toBeCloseTo(0, 6);
    expect(out[1]).toBeCloseTo(0.8, 6);
    renderSample(image, null, 1, 2, { ...NO_AUGMENT, brightness: 0.5 }, identity, target);
    expect(out[0]).toBeCloseTo(0.7, 6);
    expect(out[1]).toBeCloseTo(1, 6); // 1.1 clamped
    renderSample(image, null, 1, 2, { ...NO_AUGMENT, vflip: true, hflip: true }, identity, target);
    expect(out[0]).toBeCloseTo(0.6, 6);
    expect(out[1]).toBeCloseTo(0.2, 6);
  });
});
