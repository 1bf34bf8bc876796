/**
 * `config.loss.lovaszWeight` reaches the loss a training session steps and validates with: sessions
 * of real runs on the trainer tests' demo set (built as the trainer builds them, same design and seed,
 * so the same initial weights), each validated once. Validation averages the loss over the same
 * batches, so bce-lovasz at weight 0 must score BCE's validation loss and at weight 2 BCE's plus twice
 * Lovász's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../shared/runs/types';
import { RunStore } from '../../src-main/runs/store';
import { LoopControl } from '../../src-main/training/loop';
import { buildTrainingContext } from '../../src-main/training/trainingContext';
import { validate } from '../../src-main/training/validation';
import { createRun } from '../helpers/trainerRuns';

const root = mkdtempSync(path.join(os.tmpdir(), 'strata-loss-weight-'));
const runsDir = path.join(root, 'runs');
afterAll(() => {
  tf.disposeVariables();
  rmSync(root, { recursive: true, force: true });
});

/** The validation loss of a fresh session of a run with `loss`, and its loss on one fixed batch. */
async function lossesOf(loss: RunConfig['loss']): Promise<{ valLoss: number; onBatch: number }> {
  const runId = createRun(runsDir, { loss });
  const s = RunStore.open(runsDir);
  try {
    const ctx = await buildTrainingContext(s.get(runId), s, new LoopControl(), () => undefined);
    try {
      const valLoss = (await validate(ctx.model, ctx.loss, ctx.data)).metrics.valLoss;
      const b = ctx.data.trainBatch(0, 0);
      const onBatch = tf.tidy(() => {
        const x = tf.tensor4d(b.x, b.shape);
        const y = tf.tensor4d(b.y, [b.shape[0], b.shape[1], b.shape[2], 1]);
        const logits = ctx.model.forward(x, false);
        return ctx.loss(y, tf.sigmoid(logits), { logits }).dataSync()[0] ?? Number.NaN;
      });
      return { valLoss: valLoss ?? Number.NaN, onBatch };
    } finally {
      ctx.dispose();
    }
  } finally {
    s.close();
  }
}

describe('the Lovász weight in a training session', () => {
  it('is BCE + w x Lovász in the session\'s loss and its validation: w = 0 is BCE, w = 2 adds twice Lovász', async () => {
    const bce = await lossesOf({ name: 'bce', lovaszWeight: 1 });
    const lovasz = await lossesOf({ name: 'lovasz', lovaszWeight: 1 });
    const w0 = await lossesOf({ name: 'bce-lovasz', lovaszWeight: 0 });
    const w1 = await lossesOf({ name: 'bce-lovasz', lovaszWeight: 1 });
    const w2 = await lossesOf({ name: 'bce-lovasz', lovaszWeight: 2 });
    // Lovász is not 0 on an untrained model, so the three weights must differ.
    expect(lovasz.valLoss).toBeGreaterThan(0.1);
    for (const k of ['valLoss', 'onBatch'] as const) {
      expect(w0[k]).toBeCloseTo(bce[k], 6);
      expect(w1[k]).toBeCloseTo(bce[k] + lovasz[k], 5);
      expect(w2[k]).toBeCloseTo(bce[k] + 2 * lovasz[k], 5);
    }
  }, 120_000);
});
