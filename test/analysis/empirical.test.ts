import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeInit } from '../../shared/analysis/initAnalysis';
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { Architecture, BnPlacement, Initializer } from '../../shared/arch/types';
import { ARCH_FORMAT, ARCH_VERSION } from '../../shared/arch/types';
import { measureUpsamplers } from '../../src-main/training/analysis/checkerboard';
import { measureSummands } from '../../src-main/training/analysis/summands';
import { selectBackend } from '../../src-main/training/backend';
import { UNetModel } from '../../src-main/training/model';
import { Rng } from '../../src-main/training/random';

/**
 * A small two-level U-Net, wide enough (32 channels) and large enough (48 x 48, so borders are a small
 * share of the pixels) for the analysis's assumptions to hold, fed i.i.d. unit normal inputs.
 */
function twoLevel(init: Initializer, bn: BnPlacement): Architecture {
  const arch: Architecture = {
    format: ARCH_FORMAT,
    version: ARCH_VERSION,
    name: 'two-level',
    init,
    nodes: [
      { id: 'input', kind: 'input', channels: 1, height: 48, width: 48 },
      { id: 'stem', kind: 'conv', kernel: 3, filters: 32, stride: 1 },
      { id: 'e0', kind: 'resnet', blocks: 2, kernel: 3 },
      { id: 'down0', kind: 'down', convs: 1, kernel: 3, bn: 'after' },
      { id: 'bottom', kind: 'resnet', blocks: 2, kernel: 3 },
      { id: 'up0', kind: 'up', convs: 1, kernel: 3, bn: 'after', match: 'down0' },
      { id: 'merge0', kind: 'merge', mode: 'add' },
      { id: 'd0', kind: 'resnet', blocks: 2, kernel: 3 },
      { id: 'head', kind: 'head' },
    ],
    edges: [
      { from: 'input', to: 'stem' },
      { from: 'stem', to: 'e0' },
      { from: 'e0', to: 'down0' },
      { from: 'down0', to: 'bottom' },
      { from: 'bottom', to: 'up0' },
      { from: 'up0', to: 'merge0' },
      { from: 'e0', to: 'merge0', port: 'skip' },
      { from: 'merge0', to: 'd0' },
      { from: 'd0', to: 'head' },
    ],
  };
  return withInitializer(withBnPlacement(arch, bn), init);
}

function normalBatch(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return tf.tensor4d(v, shape);
}

/** Relative tolerance of analytical against measured stds: the analysis neglects what zero padding does to a 48 x 48 map (a few %) and the spread of a 32-channel draw of weights (a few %). */
const TOLERANCE = 0.12;

beforeAll(async () => {
  await selectBackend();
});

describe('analytical vs empirical summands', () => {
  for (const [init, bn] of [
    ['glorot_uniform', 'samplers'],
    ['he_normal', 'head'],
    ['glorot_normal', 'blocks'],
  ] as const) {
    it(`agree within ${TOLERANCE * 100}% for ${init} with BN ${bn} (exact fans, centred ReLU)`, async () => {
      const arch = twoLevel(init, bn);
      const r = analyzeInit(arch, { fan: 'taps', relu: 'centred' });
      if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
      const model = new UNetModel(arch, 7);
      const x = normalBatch([4, 48, 48, 1], 3);
      const before = tf.memory().numTensors;
      try {
        const e = await measureSummands(model, x);
        expect(tf.memory().numTensors).toBe(before);
        // The walk runs the model's own ops, and the summands add up to the sum.
        expect(e.modelMismatch).toBeLessThan(1e-4);
        expect(e.residual).toBeLessThan(1e-4);
        expect(e.summands.map((s) => [s.index, s.level, s.block])).toEqual(r.analysis.summands.map((s) => [s.index, s.level, s.block]));
        expect(e.summands).toHaveLength(7);
        for (const [i, m] of e.summands.entries()) {
          const a = r.analysis.summands[i];
          if (!a) throw new Error(`no analytical s${i}`);
          expect(Math.abs(m.stdAtOrigin / a.stdAtOrigin - 1), `s${i} at origin`).toBeLessThan(TOLERANCE);
          expect(Math.abs(m.std / a.std - 1), `s${i} at the head`).toBeLessThan(TOLERANCE);
        }
      } finally {
        x.dispose();
        model.dispose();
      }
    });
  }

  it("the note's second-moment rule overstates a block's measured (channel-centred) std by sqrt(1/2 / (1/2 - 1/(2 pi)))", async () => {
    const arch = twoLevel('glorot_uniform', 'samplers');
    const r = analyzeInit(arch);
    if (!r.ok) throw new Error('invalid');
    const model = new UNetModel(arch, 7);
    const x = normalBatch([4, 48, 48, 1], 3);
    try {
      const e = await measureSummands(model, x);
      const ratio = (r.analysis.summands[1]?.stdAtOrigin ?? 0) / (e.summands[1]?.stdAtOrigin ?? 1);
      expect(ratio).toBeGreaterThan(1.1);
      expect(ratio).toBeLessThan(1.35);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it('an initialised stride-2 upsampler turns a constant into mostly a period-2 pattern (score about 0.87)', async () => {
    const arch = twoLevel('glorot_uniform', 'samplers');
    const model = new UNetModel(arch, 7);
    try {
      const scores = await measureUpsamplers(model, 5);
      expect(scores.map((s) => s.input)).toEqual(['constant', 'impulse', 'noise']);
      // All of the constant's fine detail is period-2 (the shape ratio, the score before it measured amplitude)...
      expect(scores[0]?.shapeRatio).toBeGreaterThan(0.9);
      // ...and most of the response itself: with i.i.d. zero-mean taps the four phase sums of a 3x3 kernel (4, 2, 2
      // and 1 taps) spread 27/16 sigma^2 around a mean of 9/16 sigma^2, a Nyquist share of 3/4, a score of about 0.87.
      expect(scores[0]?.score).toBeGreaterThan(0.8);
      // An impulse or noise through random kernels is broadband: well below the constant's score.
      for (const s of scores.slice(1)) {
        expect(s.score).toBeGreaterThan(0);
        expect(s.score).toBeLessThan(0.5);
      }
    } finally {
      model.dispose();
    }
  });
});
