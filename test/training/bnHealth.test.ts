/**
 * BN health (shared/analysis/bnHealth.ts, training/analysis/bnHealth.ts) on a tiny real model: which
 * BNs are measured, finite figures that leave the model alone, exactly no drift and no gap when the
 * moving statistics are those of the batch, and a clear drift and gap once the inputs shift.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bnHealthMessage, bnHealthOf, bnSites } from '../../shared/analysis/bnHealth';
import { buildUNet, getPreset, withBnPlacement } from '../../shared/arch';
import type { Architecture, BnPlacement } from '../../shared/arch/types';
import { measureBnHealth, type ProbeImages } from '../../src-main/training/analysis/bnHealth';
import { selectBackend } from '../../src-main/training/backend';
import { UNetModel } from '../../src-main/training/model';
import { Rng } from '../../src-main/training/random';

/** Three levels at 24 x 24, 4 channels, 2 blocks per level: every kind of BN site, cheap to run. */
function net(p: BnPlacement): Architecture {
  return withBnPlacement(buildUNet({ name: 'bn-mini', channels: 4, inputChannels: 1, size: 24, blocksPerLevel: [2, 2, 2, 2, 2, 2, 2], samplerConvs: 0 }), p);
}

function images(n: number, seed: number, scale = 1, shift = 0): ProbeImages {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: n * 24 * 24 }, () => shift + scale * rng.normal()), shape: [n, 24, 24, 1] };
}

/** A training-mode pass whose BN updates are committed with momentum 0: every moving statistic becomes the batch's. */
function setMovingStatsFrom(model: UNetModel, b: ProbeImages): void {
  tf.tidy(() => {
    model.forward(tf.tensor4d(b.x, b.shape), true);
  });
  model.commitBnUpdates(0);
}

describe('BN sites', () => {
  it("lists the BNs each of the note's placements puts on the main path, by the model's layer names", () => {
    const head = bnSites(net('head'));
    expect(head).toEqual([{ nodeId: 'head', kind: 'head', layers: ['head/bn'] }]);
    const samplers = bnSites(net('samplers')).map((s) => `${s.nodeId}:${s.layers.join(',')}`);
    expect(samplers).toEqual(['down0:down0/bn', 'down1:down1/bn', 'down2:down2/bn', 'up2:up2/bn', 'up1:up1/bn', 'up0:up0/bn', 'head:head/bn']);
    const blocks = bnSites(net('blocks'));
    expect(blocks.filter((s) => s.kind === 'resnet').map((s) => s.nodeId)).toEqual(['e0', 'e1', 'e2', 'bottom', 'd2', 'd1', 'd0']);
    expect(blocks.find((s) => s.nodeId === 'e1')?.layers).toEqual(['e1/block0/bn_out', 'e1/block1/bn_out']);
    expect(blocks).toHaveLength(14);
    // A standalone BN node counts too; Figure 2's preset has BN at every sampler.
    expect(bnSites(getPreset('fig2') as Architecture).filter((s) => s.kind === 'down' || s.kind === 'up')).toHaveLength(6);
  });
});

describe('measured BN health', () => {
  beforeAll(async () => {
    await selectBackend({ force: 'wasm' });
  });
  afterAll(() => tf.disposeVariables());

  it('gives finite, non-negative figures for every site and leaves weights, moving statistics and tensors as they were', async () => {
    const arch = net('blocks');
    const model = new UNetModel(arch, 3);
    try {
      // A few real steps of moving averages, so the moving statistics are neither the initial ones nor the batch's.
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => {
          model.forward(tf.tensor4d(images(4, 10 + i).x, [4, 24, 24, 1]), true);
        });
        model.commitBnUpdates();
      }
      const before = (await model.getWeights()).map((w) => Array.from(w.data));
      const tensors = tf.memory().numTensors;
      const rows = await measureBnHealth(model, bnSites(arch), images(4, 1), images(4, 2));
      expect(tf.memory().numTensors).toBe(tensors);
      expect((await model.getWeights()).map((w) => Array.from(w.data))).toEqual(before);
      expect(rows.map((r) => r.nodeId)).toEqual(bnSites(arch).map((s) => s.nodeId));
      expect(rows.find((r) => r.nodeId === 'bottom')?.layers).toBe(2);
      for (const r of rows) {
        for (const v of [r.meanShift, r.varLogRatio, r.gap]) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
        }
      }
      // Three updates at momentum 0.99 leave the moving statistics near their start (mean 0, variance 1): far from a batch's.
      expect(Math.max(...rows.map((r) => r.varLogRatio))).toBeGreaterThan(0.1);
      expect(Math.max(...rows.map((r) => r.gap))).toBeGreaterThan(0.05);
    } finally {
      model.dispose();
    }
  });

  it('has no drift and no gap when the moving statistics are exactly the batch statistics (momentum 0)', async () => {
    for (const p of ['samplers', 'blocks'] as const) {
      const arch = net(p);
      const model = new UNetModel(arch, 5);
      try {
        const b = images(4, 7);
        setMovingStatsFrom(model, b);
        const rows = await measureBnHealth(model, bnSites(arch), b, b);
        expect(rows.length).toBeGreaterThan(1);
        for (const r of rows) {
          expect(r.meanShift).toBeLessThan(1e-5);
          expect(r.varLogRatio).toBeLessThan(1e-5);
          // Inference computes the same normalisation in another order of float32 operations: equal to rounding.
          expect(r.gap).toBeLessThan(1e-4);
        }
      } finally {
        model.dispose();
      }
    }
  });

  it('drifts, and opens a gap, once the inputs shift away from the distribution the moving statistics saw', async () => {
    const arch = net('samplers');
    const model = new UNetModel(arch, 5);
    try {
      setMovingStatsFrom(model, images(4, 7));
      const same = await measureBnHealth(model, bnSites(arch), images(4, 8), images(4, 9));
      const shifted = await measureBnHealth(model, bnSites(arch), images(4, 8, 2, 1), images(4, 9, 2, 1));
      const byNode = (rows: typeof same, id: string) => rows.find((r) => r.nodeId === id);
      // The first sampler's BN sees the shift through the identity paths of e0 (measured here: mean drift 0.30
      // against 0.03 for another batch of the same distribution, variance drift 0.66 against 0.07).
      const s0 = byNode(same, 'down0');
      const d0 = byNode(shifted, 'down0');
      expect(d0?.meanShift).toBeGreaterThan(0.2);
      expect(d0?.varLogRatio).toBeGreaterThan(0.4);
      expect(d0?.meanShift).toBeGreaterThan(5 * (s0?.meanShift ?? 0));
      expect(d0?.varLogRatio).toBeGreaterThan(5 * (s0?.varLogRatio ?? 0));
      // Inference does not renormalise: every site's output moves, far more than between two batches of one
      // distribution (the head: 1.23 against 0.18).
      for (const r of shifted) expect(r.gap).toBeGreaterThan(1.5 * (byNode(same, r.nodeId)?.gap ?? 0));
      expect(byNode(shifted, 'head')?.gap).toBeGreaterThan(0.5);
      expect(byNode(shifted, 'head')?.gap).toBeGreaterThan(3 * (byNode(same, 'head')?.gap ?? 0));
      expect(bnHealthMessage(0, shifted)).toMatch(/^BN health of epoch 1: largest train\/inference gap \d\.\d{3} at \w+, largest mean drift \d\.\d{3} std at down0$/);
    } finally {
      model.dispose();
    }
  });
});

describe('stored BN health', () => {
  it('reads the rows of a bn-health event, a stored null as NaN, and skips rows that are not rows', () => {
    const e = {
      type: 'bn-health',
      data: { nodes: [{ nodeId: 'up0', kind: 'up', layers: 1, meanShift: 0.1, varLogRatio: 0.2, gap: null }, { nodeId: 'x', kind: 'conv', layers: 1, meanShift: 0, varLogRatio: 0, gap: 0 }, 'junk'] },
    };
    const rows = bnHealthOf(e);
    expect(rows).toHaveLength(1);
    expect(rows?.[0]).toMatchObject({ nodeId: 'up0', kind: 'up', meanShift: 0.1, varLogRatio: 0.2 });
    expect(rows?.[0]?.gap).toBeNaN();
    expect(bnHealthOf({ type: 'level-stats', data: e.data })).toBeNull();
    expect(bnHealthOf({ type: 'bn-health' })).toEqual([]);
  });
});
