/**
 * Micro-batching (gradient accumulation): the plan fits the wasm heap, accumulation reproduces the
 * whole-batch step where it must, and tensors and heap stay flat across accumulated steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildUNet, getPreset, UNET_LEVELS } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { selectBackend } from '../../src-main/training/backend';
import { makeLoss } from '../../src-main/training/losses';
import { estimateHeapBytes, HEAP_HEADROOM, microBatchSizes, planMicroBatch, trainStep, WASM_HEAP_BYTES } from '../../src-main/training/microBatch';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';

/** A small U-Net on 24x24 images: seconds per step on wasm. */
const SMALL: Architecture = buildUNet({ name: 'micro-test', channels: 4, inputChannels: 1, size: 24, blocksPerLevel: UNET_LEVELS.map(() => 1), samplerConvs: 0 });
const S = 24;

function images(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const x = Float32Array.from({ length: n * S * S }, (_, i) => Math.sin((i + seed) * 0.37));
  const y = Float32Array.from({ length: n * S * S }, (_, i) => (Math.sin((i + seed) * 0.05) > 0 ? 1 : 0));
  return { x, y };
}

/** Trainable weights by stable name (engine variable names differ between model instances). */
function weights(model: UNetModel): Map<string, Float32Array> {
  return new Map([...model.params.trainable].map(([name, v]) => [name, v.dataSync() as Float32Array]));
}

beforeAll(async () => {
  await selectBackend({ force: 'wasm' });
});

describe('planMicroBatch', () => {
  it('splits Figure 2 at batch 32 into the largest micro-batch that fits the 4 GiB heap', () => {
    const fig2 = getPreset('fig2') as Architecture;
    const p = planMicroBatch(fig2, 32, { backend: 'wasm' });
    expect(p.micro).toBeLessThan(32);
    const limit = WASM_HEAP_BYTES * HEAP_HEADROOM;
    expect(estimateHeapBytes(fig2, p.micro)).toBeLessThanOrEqual(limit);
    expect(estimateHeapBytes(fig2, p.micro + 1)).toBeGreaterThan(limit);
    expect(p.passes).toBe(Math.ceil(32 / p.micro));
    expect(p.reason).toContain(`${p.passes} micro-batches of up to ${p.micro}`);
  });

  it('runs Figure 2 at batch 32 as 6,6,5,5,5,5: even pieces, no small remainder', () => {
    const fig2 = getPreset('fig2') as Architecture;
    const p = planMicroBatch(fig2, 32, { backend: 'wasm' });
    expect(p.micro).toBe(6);
    expect(p.sizes).toEqual([6, 6, 5, 5, 5, 5]);
  });

  it('keeps the whole batch when it fits, and on backends without the wasm heap limit', () => {
    expect(planMicroBatch(SMALL, 16, { backend: 'wasm' })).toMatchObject({ micro: 16, passes: 1, reason: null });
    const fig2 = getPreset('fig2') as Architecture;
    expect(planMicroBatch(fig2, 32, { backend: 'tfjs-node' })).toMatchObject({ micro: 32, passes: 1, reason: null });
  });

  it('grows the estimate linearly in the images per pass', () => {
    const one = estimateHeapBytes(SMALL, 1);
    const two = estimateHeapBytes(SMALL, 2);
    expect(estimateHeapBytes(SMALL, 5) - one).toBeCloseTo(4 * (two - one), 0);
  });
});

describe('microBatchSizes', () => {
  it('splits as evenly as possible in as few passes as the limit allows, larger pieces first', () => {
    expect(microBatchSizes(32, 6)).toEqual([6, 6, 5, 5, 5, 5]);
    expect(microBatchSizes(5, 2)).toEqual([2, 2, 1]);
    expect(microBatchSizes(32, 7)).toEqual([7, 7, 6, 6, 6]);
    expect(microBatchSizes(12, 4)).toEqual([4, 4, 4]);
    expect(microBatchSizes(7, 1)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    // No split needed: the micro-batch is the whole batch.
    expect(microBatchSizes(16, 16)).toEqual([16]);
    expect(microBatchSizes(3, 8)).toEqual([3]);
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n + 1; m++) {
        const s = microBatchSizes(n, m);
        expect(s.reduce((a, b) => a + b, 0)).toBe(n);
        expect(s.length).toBe(Math.ceil(n / m));
        expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
        expect(Math.max(...s)).toBeLessThanOrEqual(m);
      }
    }
    expect(() => microBatchSizes(0, 2)).toThrow(RangeError);
    expect(() => microBatchSizes(4, 0)).toThrow(RangeError);
  });
});

describe('trainStep in micro-batches', () => {
  it('equals the whole-batch step when every micro-batch is a copy of the same images', async () => {
    // Two copies of the same 2 images: each half has the whole batch's BN statistics and batch
    // IoU, so the mean of the halves' gradients is the whole batch's gradient.
    const half = images(2, 7);
    const x = new Float32Array(2 * half.x.length);
    x.set(half.x);
    x.set(half.x, half.x.length);
    const y = new Float32Array(2 * half.y.length);
    y.set(half.y);
    y.set(half.y, half.y.length);
    const loss = makeLoss('batch-iou');
    const shape: [number, number, number, number] = [4, S, S, 1];
    const whole = new UNetModel(SMALL, 3);
    const optA = makeOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 });
    const a = await trainStep(whole, optA, loss, x, y, shape);
    // Optimizer slots are engine variables with fixed names: one optimizer at a time.
    optA.dispose();
    const split = new UNetModel(SMALL, 3);
    const optB = makeOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 });
    let b: { loss: number; iou: number };
    try {
      b = await trainStep(split, optB, loss, x, y, shape, 2);
    } finally {
      optB.dispose();
    }
    expect(b.loss).toBeCloseTo(a.loss, 5);
    expect(b.iou).toBeCloseTo(a.iou, 6);
    const wa = weights(whole);
    const wb = weights(split);
    let diff = 0;
    let scale = 0;
    for (const [name, va] of wa) {
      const vb = wb.get(name) ?? new Float32Array(0);
      expect(vb.length).toBe(va.length);
      for (let i = 0; i < va.length; i++) {
        diff = Math.max(diff, Math.abs((va[i] ?? 0) - (vb[i] ?? 0)));
        scale = Math.max(scale, Math.abs(va[i] ?? 0));
      }
    }
    expect(diff / scale).toBeLessThan(1e-5);
    // And the step did move the weights (a no-op would also match).
    const init = new UNetModel(SMALL, 3);
    const moved = [...weights(init)].some(([name, v]) => v.some((e, i) => e !== (wa.get(name)?.[i] ?? e)));
    expect(moved).toBe(true);
    for (const m of [whole, split, init]) m.dispose();
  });

  it('keeps tensor count and wasm heap flat across accumulated steps (batch 5 as 2 + 2 + 1)', async () => {
    const model = new UNetModel(SMALL, 1);
    const opt = makeOptimizer({ name: 'sgd', lr: 0.01, momentum: 0.9 });
    const loss = makeLoss('batch-iou');
    const { x, y } = images(5, 1);
    const be = tf.backend();
    if (!(be instanceof BackendWasm)) throw new Error('expected the wasm backend');
    const heap = () => (be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
    const counts: number[] = [];
    const heaps: number[] = [];
    const data: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await trainStep(model, opt, loss, x, y, [5, S, S, 1], 2);
      expect(Number.isFinite(r.loss)).toBe(true);
      counts.push(tf.memory().numTensors);
      heaps.push(heap());
      data.push(be.numDataIds());
    }
    // After the first step (optimizer slots created), nothing accumulates.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(new Set(data.slice(1)).size).toBe(1);
    expect(new Set(heaps.slice(1)).size).toBe(1);
    model.dispose();
    opt.dispose();
  });
});
