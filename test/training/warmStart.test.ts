/**
 * Warm start (`config.initFrom`) and the test split, end to end on real runs: a tiny run trained one
 * epoch in a trainer process, then runs planned with planRun from its best checkpoint. A fresh start
 * copies the checkpoint's weights (read back from the model) and nothing else; a resume never does;
 * the test ids reach neither the training batches nor validation.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { runRequestSchema } from '../../shared/runs/request';
import type { CheckpointTensor, RunRecord } from '../../shared/runs/types';
import { makeDemoDataset } from '../../src-main/data/demo';
import { planRun } from '../../src-main/lab/plan';
import { RunStore } from '../../src-main/runs/store';
import { LoopControl } from '../../src-main/training/loop';
import { buildTrainingContext, type TrainingContext } from '../../src-main/training/trainingContext';
import { tempDir } from '../helpers/tempDir';
import { DEMO, trainersKilledAfterEach, withOpenStore } from '../helpers/trainerRuns';

const runsDir = path.join(tempDir('warm'), 'runs');
afterAll(() => tf.disposeVariables());
const startTrainer = trainersKilledAfterEach();
async function train(runId: string): Promise<void> {
  expect((await startTrainer({ runsDir, runId }).done).status).toBe('done');
}

/** Runs `fn` on the store, closing it when its promise settles. */
const withStore = <T>(fn: (s: RunStore) => Promise<T>): Promise<T> => withOpenStore(runsDir, fn);

/** A run planned as the lab and the CLI plan one, on the trainer tests' demo set, created in the store; with the plan's warnings. */
async function plannedWithWarnings(config: Record<string, unknown>): Promise<{ id: string; warnings: string[] }> {
  const ds = makeDemoDataset({ count: DEMO.count, seed: DEMO.seed });
  return withStore(async (s) => {
    const p = await planRun(runRequestSchema.parse({ config: { epochs: 1, batch: 8, valFraction: 0.25, ...config } }), {
      arch: getPreset('tiny') as Architecture,
      source: DEMO,
      load: () => Promise.resolve(ds),
      runs: s,
    });
    return { id: s.createRun(p.init).id, warnings: p.warnings };
  });
}
async function planned(config: Record<string, unknown>): Promise<string> {
  return (await plannedWithWarnings(config)).id;
}

/** The session a trainer would build for `run`, in this process; disposed by the caller. */
async function contextOf(s: RunStore, runId: string): Promise<TrainingContext> {
  return buildTrainingContext(s.get(runId), s, new LoopControl(), () => undefined);
}

function byName(tensors: readonly CheckpointTensor[]): Map<string, number[]> {
  return new Map(tensors.map((t) => [t.name, Array.from(t.data)]));
}

describe('a warm start from another run', () => {
  let source = '';
  let warm = '';

  it('starts a fresh run with exactly the source checkpoint\'s weights, and a fresh optimizer and schedule', async () => {
    // The source holds out a test set; the warm start splits as it did (the same seed and fractions), so it tests on images the weights never saw.
    source = await planned({ backend: 'wasm', testFraction: 0.25 });
    await train(source);
    // Its own loss, optimizer and schedule; the backend the trainer tests use.
    const made = await plannedWithWarnings({ initFrom: { runId: source, checkpoint: 'best' }, loss: { name: 'lovasz' }, optimizer: { name: 'sgd', lr: 0.05 }, schedule: { kind: 'constant' }, backend: 'wasm', testFraction: 0.25 });
    warm = made.id;
    expect(made.warnings).toEqual([]);
    await withStore(async (s) => {
      const best = s.loadCheckpoint(source, 'best');
      if (!best) throw new Error('the source run saved no best checkpoint');
      const ctx = await contextOf(s, warm);
      try {
        const weights = await ctx.model.getWeights();
        expect(weights.map((w) => w.name)).toEqual(best.tensors.map((t) => t.name));
        expect(byName(weights)).toEqual(byName(best.tensors));
        expect(ctx.resumedFrom).toBeNull();
        expect(ctx.start).toEqual({ epoch: 0, step: 0 });
        expect(ctx.optimizer.iterations).toBe(0);
        expect((await ctx.optimizer.readState()).every((t) => t.data.every((v) => v === 0))).toBe(true);
        expect(ctx.optimizer.learningRate).toBe(0.05);
      } finally {
        ctx.dispose();
      }
      const ev = s.events(warm).find((e) => e.type === 'init-from');
      expect(ev?.message).toBe(`weights from run ${source} (best, epoch ${best.epoch + 1})`);
      expect(ev?.data).toEqual({ runId: source, checkpoint: 'best', epoch: best.epoch, step: best.step });
      expect(s.get(warm).split).toEqual(s.get(source).split);
      expect(s.events(warm).some((e) => e.type === 'init-from-seen-validation')).toBe(false);
    });
  }, 120_000);

  it('refuses a test set the source trained on, and records a validation set it trained on', async () => {
    // Another seed draws another test set, some of it the source's training images.
    await expect(planned({ initFrom: { runId: source }, backend: 'wasm', testFraction: 0.25, seed: 3 })).rejects.toThrow(
      new RegExp(`^run ${source} trained on \\d+ (and validated on \\d+ )?of this run's test images \\(e\\.g\\. demo-\\d{4}.*\\); a test set must be images the weights never saw: use the source run's test ids \\(--test-ids\\) or start fresh$`),
    );
    // The same test set with twice the validation share: the added validation images are ones the source trained on.
    const made = await plannedWithWarnings({ initFrom: { runId: source }, backend: 'wasm', testFraction: 0.25, valFraction: 0.5 });
    await withStore(async (s) => {
      const run = s.get(made.id);
      const from = s.get(source).split;
      expect(run.split.test).toEqual(from.test);
      const seen = run.split.val.filter((v) => from.train.includes(v));
      expect(seen.length).toBeGreaterThan(0);
      expect(made.warnings).toEqual([expect.stringMatching(new RegExp(`^run ${source} trained on ${seen.length} of this run's validation images \\(e\\.g\\. ${seen[0]}, .*its validation score is optimistic; its test score is not affected$`))]);
      // The trainer's fresh start records it with the run, for the lab's runs as for the CLI's.
      const ctx = await contextOf(s, made.id);
      ctx.dispose();
      const ev = s.events(made.id).filter((e) => e.type === 'init-from-seen-validation');
      expect(ev.map((e) => e.message)).toEqual(made.warnings);
      expect(ev[0]?.data).toEqual({ runId: source, ids: seen.length, runs: [source] });
    });
  }, 60_000);

  it('differs from a fresh initialisation of the same design and seed (so the comparison above can fail)', async () => {
    const fresh = await planned({ backend: 'wasm' });
    await withStore(async (s) => {
      const ctx = await contextOf(s, fresh);
      try {
        expect(byName(await ctx.model.getWeights())).not.toEqual(byName(s.loadCheckpoint(source, 'best')?.tensors ?? []));
      } finally {
        ctx.dispose();
      }
      expect(s.events(fresh).some((e) => e.type === 'init-from')).toBe(false);
    });
  });

  it('keeps the test ids out of the training and validation data the trainer uses', async () => {
    await withStore(async (s) => {
      const run: RunRecord = s.get(warm);
      expect(run.split.test).toHaveLength(6);
      const ctx = await contextOf(s, warm);
      try {
        const ds = makeDemoDataset({ count: DEMO.count, seed: DEMO.seed });
        const trainIds = ctx.data.trainIndices.map((i) => ds.ids[i]);
        expect(trainIds.sort()).toEqual([...run.split.train].sort());
        expect(trainIds.filter((id) => run.split.test.includes(id as string))).toEqual([]);
        expect(ctx.data.valIds.filter((id) => run.split.test.includes(id))).toEqual([]);
        expect(trainIds.length + ctx.data.valIds.length + run.split.test.length).toBe(DEMO.count);
      } finally {
        ctx.dispose();
      }
    });
  });

  it('trains in a trainer process, validating on the validation ids only; a resume continues from its own checkpoint', async () => {
    await train(warm);
    await withStore(async (s) => {
      const run = s.get(warm);
      const stored = s.loadPredictions(warm, 0);
      expect(stored?.ids).toEqual(run.split.val);
      const own = s.loadCheckpoint(warm, 'last');
      if (!own) throw new Error('the warm-started run saved no checkpoint');
      // The trainer's session recorded the copy before its first step (so did the sessions built above).
      const copies = () => s.events(warm).filter((e) => e.type === 'init-from');
      const before = copies();
      const firstStep = Math.min(...s.batchMetrics(warm).map((b) => b.time));
      expect(before.filter((e) => e.time <= firstStep).at(-1)?.message).toBe(`weights from run ${source} (best, epoch 1)`);
      const ctx = await contextOf(s, warm);
      try {
        expect(ctx.resumedFrom).not.toBeNull();
        expect(byName(await ctx.model.getWeights())).toEqual(byName(own.tensors));
        expect(byName(await ctx.model.getWeights())).not.toEqual(byName(s.loadCheckpoint(source, 'best')?.tensors ?? []));
      } finally {
        ctx.dispose();
      }
      expect(copies()).toEqual(before);
    });
  }, 120_000);

  it('fails the run, naming the source, when the source went away while it was queued', async () => {
    const orphan = await planned({ initFrom: { runId: source, checkpoint: 'last' }, backend: 'wasm' });
    await withStore(async (s) => {
      s.delete(source);
      await expect(contextOf(s, orphan)).rejects.toThrow(`cannot start from run ${source}: there is no such run in the run store any more`);
    });
  });
});
