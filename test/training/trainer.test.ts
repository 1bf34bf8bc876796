/**
 * The whole training path through a real trainer process: data, model, loop, callbacks and the run
 * store, on the tiny preset and a small synthetic demo set so each run takes seconds.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bnHealthOf, bnSites } from '../../shared/analysis/bnHealth';
import { withBnPlacement } from '../../shared/arch';
import type { TrainerMessage } from '../../shared/training/protocol';
import { tempDir } from '../helpers/tempDir';
import { createRun, trainersKilledAfterEach, withStore } from '../helpers/trainerRuns';

const root = tempDir('trainer');
const startTrainer = trainersKilledAfterEach();

describe('training a run in a trainer process', () => {
  const runsDir = path.join(root, 'a');
  const runId = createRun(runsDir, { epochs: 3, predictEpochs: [1, 3] });
  const messages: TrainerMessage[] = [];

  it('runs to done and reports progress as plain numbers', async () => {
    const t = startTrainer({ runsDir, runId });
    t.onMessage((m) => messages.push(m));
    const exit = await t.done;
    expect(exit).toMatchObject({ status: 'done', crashed: false });
    const backend = messages.find((m) => m.type === 'backend');
    expect(backend).toMatchObject({ name: 'wasm' });
    const epochs = messages.filter((m) => m.type === 'epoch');
    expect(epochs.map((m) => (m.type === 'epoch' ? m.metric.epoch : -1))).toEqual([0, 1, 2]);
    for (const m of messages) if (m.type === 'batch') expect(Number.isFinite(m.metric.loss) && Number.isFinite(m.metric.imagesPerSec)).toBe(true);
    expect(messages.at(-1)).toMatchObject({ type: 'ended', status: 'done' });
  });

  it('leaves a complete record in the run store', () => {
    withStore(runsDir, (s) => {
      const run = s.get(runId);
      expect(run).toMatchObject({ status: 'done', epochsDone: 3, backend: { name: 'wasm' } });
      expect(run?.best?.metric).toBe('valScore');
      const epochs = s.epochMetrics(runId);
      expect(epochs).toHaveLength(3);
      for (const e of epochs) {
        expect(e.valScore).toBeGreaterThanOrEqual(0);
        expect(e.valScore).toBeLessThanOrEqual(1);
        expect(e.bestThreshold).toBeGreaterThan(0);
        // The note's checkerboard diagnostic on the predicted maps, every epoch: the score and its shape ratio.
        for (const k of ['valNyquistAmplitude', 'valNyquistShape']) {
          expect(e.extra?.[k]).toBeGreaterThanOrEqual(0);
          expect(e.extra?.[k]).toBeLessThanOrEqual(1);
        }
        expect(e.extra?.['valCheckerboard']).toBeUndefined();
      }
      // 18 training images at batch 8: 3 batches an epoch.
      expect(s.batchMetrics(runId).map((b) => b.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      // Every tensor has an owner: the count is flat from epoch to epoch.
      const counts = epochs.map((e) => e.extra?.['numTensors']);
      expect(counts[0]).toBeGreaterThan(0);
      expect(new Set(counts).size).toBe(1);
      expect(s.loadCheckpoint(runId, 'last')?.epoch).toBe(2);
      expect(s.loadCheckpoint(runId, 'best')?.epoch).toBe(run?.best?.epoch);
      // Epochs 1 and 3 by request, and the best one always.
      const stored = s.predictionEpochs(runId);
      for (const e of [0, 2, run?.best?.epoch ?? 0]) expect(stored).toContain(e);
      const p = s.loadPredictions(runId, 2);
      expect(p?.ids).toEqual(run?.split.val);
      expect(p?.probs.length).toBe((run?.split.val.length ?? 0) * 101 * 101);
      const events = s.events(runId);
      expect(events.some((e) => e.type === 'checkpoint')).toBe(true);
      // The per-level statistics of the note's diagnostics, once per epoch, with the U-Net's levels.
      const stats = events.filter((e) => e.type === 'level-stats');
      expect(stats.map((e) => e.epoch)).toEqual([0, 1, 2]);
      const levels = (stats[0]?.data?.['levels'] ?? []) as { level: string }[];
      expect(levels.map((l) => l.level)).toEqual(expect.arrayContaining(['e0', 'bottom', 'd0']));
      // BN health, once per epoch, for every BN the run's design places (tiny: BN at the six samplers and the head).
      const health = events.filter((e) => e.type === 'bn-health');
      expect(health.map((e) => e.epoch)).toEqual([0, 1, 2]);
      const sites = bnSites(withBnPlacement(run.arch, run.config.bnPlacement)).map((b) => b.nodeId);
      expect(sites).toHaveLength(7);
      for (const e of health) {
        const rows = bnHealthOf(e) ?? [];
        expect(rows.map((r) => r.nodeId)).toEqual(sites);
        for (const r of rows) for (const v of [r.meanShift, r.varLogRatio, r.gap]) expect(Number.isFinite(v) && v >= 0).toBe(true);
        expect(e.data).toMatchObject({ trainImages: 8, valImages: 6 });
        expect(e.data?.['seconds']).toBeGreaterThan(0);
      }
    });
  });

  it('is reproducible: the same seed on the same backend gives the same numbers', async () => {
    const again = createRun(runsDir, { epochs: 3, predictEpochs: [1, 3] });
    expect((await startTrainer({ runsDir, runId: again }).done).status).toBe('done');
    withStore(runsDir, (s) => {
      const a = s.epochMetrics(runId).map((e) => [e.trainLoss, e.valLoss, e.valScore]);
      const b = s.epochMetrics(again).map((e) => [e.trainLoss, e.valLoss, e.valScore]);
      expect(b).toEqual(a);
    });
  });
});

describe('controlling a run', () => {
  it('pauses, resumes and stops between batches, keeping its checkpoints', async () => {
    const runsDir = path.join(root, 'b');
    const runId = createRun(runsDir, { epochs: 50 });
    const t = startTrainer({ runsDir, runId });
    const seen: TrainerMessage[] = [];
    t.onMessage((m) => seen.push(m));
    await new Promise<void>((resolve) => {
      const off = t.onMessage((m) => {
        if (m.type === 'epoch') {
          off();
          resolve();
        }
      });
    });
    t.pause();
    await new Promise<void>((resolve) => t.onMessage((m) => m.type === 'status' && m.status === 'paused' && resolve()));
    expect(withStore(runsDir, (s) => s.get(runId)?.status)).toBe('paused');
    const batchesWhenPaused = seen.filter((m) => m.type === 'batch').length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen.filter((m) => m.type === 'batch').length).toBe(batchesWhenPaused);
    t.resume();
    await new Promise<void>((resolve) => t.onMessage((m) => m.type === 'batch' && resolve()));
    t.stop('enough');
    const exit = await t.done;
    expect(exit).toMatchObject({ status: 'stopped', reason: 'enough', crashed: false });
    withStore(runsDir, (s) => {
      const run = s.get(runId);
      expect(run).toMatchObject({ status: 'stopped', statusReason: 'enough' });
      expect(run?.epochsDone).toBeGreaterThanOrEqual(1);
      expect(s.loadCheckpoint(runId, 'last')).not.toBeNull();
    });
  });

  it('survives a SIGKILL of the trainer: interrupted, data intact, and it resumes to the end', async () => {
    const runsDir = path.join(root, 'c');
    const runId = createRun(runsDir, { epochs: 4 });
    const t = startTrainer({ runsDir, runId });
    await new Promise<void>((resolve) => t.onMessage((m) => m.type === 'event' && m.event.type === 'checkpoint' && resolve()));
    t.kill('SIGKILL');
    const exit = await t.done;
    expect(exit).toMatchObject({ status: 'interrupted', crashed: true, signal: 'SIGKILL' });
    const before = withStore(runsDir, (s) => {
      const run = s.get(runId);
      // Reopening finds the dead owner and marks the run.
      expect(run?.status).toBe('interrupted');
      const ckpt = s.loadCheckpoint(runId, 'last');
      expect(ckpt).not.toBeNull();
      expect(s.epochMetrics(runId).length).toBeGreaterThanOrEqual((ckpt?.epoch ?? 0) + 1);
      return ckpt?.epoch ?? -1;
    });
    const resumed = await startTrainer({ runsDir, runId }).done;
    expect(resumed.status).toBe('done');
    withStore(runsDir, (s) => {
      expect(s.get(runId)?.epochsDone).toBe(4);
      expect(s.epochMetrics(runId).map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
      expect(s.events(runId).some((e) => e.type === 'resumed' && e.epoch === before + 1)).toBe(true);
    });
  });

  it('stops a diverging run with the reason and keeps the last good checkpoint', async () => {
    const runsDir = path.join(root, 'd');
    const runId = createRun(runsDir, { epochs: 6, optimizer: { name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999 } });
    // One good epoch first, so that there is a checkpoint to keep: stopped during the second.
    const t = startTrainer({ runsDir, runId });
    await new Promise<void>((resolve) => t.onMessage((m) => m.type === 'epoch' && resolve()));
    t.stop('one good epoch');
    expect((await t.done).status).toBe('stopped');
    const good = withStore(runsDir, (s) => {
      const ckpt = s.loadCheckpoint(runId, 'last');
      expect(ckpt?.epoch).toBe(0);
      // The resumed session's learning rate is the configured one times the checkpoint's lrScale (as
      // after a rewind): 1e-3 x 1e41 = 1e38, at which Adam moves every weight by about 1e38 and the
      // next forward pass overflows.
      if (ckpt) s.saveCheckpoint(runId, 'last', { ...ckpt, extra: { ...ckpt.extra, lrScale: 1e41, lr: 1e38 } });
      return ckpt;
    });
    expect(good).not.toBeNull();
    const exit = await startTrainer({ runsDir, runId }).done;
    expect(exit.status).toBe('failed');
    withStore(runsDir, (s) => {
      const run = s.get(runId);
      expect(run?.status).toBe('failed');
      expect(run?.statusReason).toMatch(/the loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+/);
      expect(run.lastCheckpoint?.epoch).toBe(0);
      // Not inside an `if`: a run that diverged with no checkpoint kept fails here.
      const ckpt = s.loadCheckpoint(runId, 'last');
      expect(ckpt?.epoch).toBe(0);
      expect(ckpt?.tensors.length).toBe(good?.tensors.length);
      for (const [i, tensor] of (ckpt?.tensors ?? []).entries()) {
        expect(tensor.data.every(Number.isFinite), tensor.name).toBe(true);
        expect(tensor.data).toEqual(good?.tensors[i]?.data);
      }
    });
  });
});

describe('two trainers started at once on one run', () => {
  it('trains it in one of them; the other exits at once, untouched, naming the owner (3 rounds)', async () => {
    const runsDir = path.join(root, 'e');
    for (let round = 0; round < 3; round++) {
      const runId = createRun(runsDir, { epochs: 50 });
      const [a, b] = [startTrainer({ runsDir, runId }), startTrainer({ runsDir, runId })];
      // Whichever is refused exits at once; only then is the winner stopped (a run already stopped
      // could be claimed again, which is no race).
      const first = await Promise.race([a.done.then((e) => ({ e, other: b })), b.done.then((e) => ({ e, other: a }))]);
      expect(first.e.refused, `round ${round}`).toBeDefined();
      expect(first.e.crashed).toBe(false);
      const owner = first.other.pid as number;
      expect(first.e.refused?.message).toBe(`run ${runId} is already being trained by pid ${owner}`);
      expect(withStore(runsDir, (s) => s.summary(runId).pid)).toBe(owner);
      first.other.stop('enough');
      const won = await first.other.done;
      expect(won).toMatchObject({ status: 'stopped', crashed: false });
      expect(won.refused).toBeUndefined();
      expect(withStore(runsDir, (s) => s.summary(runId).status)).toBe('stopped');
    }
  });
});
