/**
 * The training setup's time estimate: the `estimateEpoch` channel checks the run like `startRun`,
 * then times a short warm-up in a trainer process (the service itself never loads tfjs).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import { defaultRunConfig } from '../../shared/training/config';
import { checkInput } from '../../shared/api/validate';
import { createHandlers } from '../../src-main/lab/handlers';
import { benchmarkInTrainer } from '../../src-main/lab/trainerHost';
import { openLab, scratchDir } from '../lab/helpers';

const lab = openLab(scratchDir('estimate'));
afterAll(() => lab.close());

/** Calls the estimateEpoch handler as a transport does: the channel's schema checks the input first. */
async function estimate(raw: unknown) {
  const input = checkInput('estimateEpoch', raw);
  if (!input.ok) throw new Error(input.error.message);
  return createHandlers(lab).estimateEpoch(input.params);
}

describe('estimateEpoch', () => {
  it('times the tiny design on the demo set and scales it to an epoch', async () => {
    const e = await estimate({
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      demoCount: 20,
      config: { batch: 4, valFraction: 0.2, backend: 'wasm' },
      steps: 1,
    });
    expect(e.backend.name).toBe('wasm');
    expect(e.steps).toBe(1);
    expect(e.secondsPerStep).toBeGreaterThan(0);
    expect(e.trainCount + e.valCount).toBe(20);
    // 20 samples, a fifth held out: 16 train in 4 batches of 4, 4 val in 1 batch.
    expect(e.trainCount).toBe(16);
    expect(e.stepsPerEpoch).toBe(4);
    expect(e.valBatches).toBe(1);
    expect(e.secondsPerEpoch).toBeCloseTo(e.secondsPerStep * (4 + 1 / 3), 9);
    expect(e.contended).toBe(false);
  }, 60_000);

  it('refuses an invalid design, dataset or setting with the reason before timing anything', async () => {
    await expect(estimate({ design: { kind: 'preset', name: 'nope' }, datasetId: 'demo', steps: 1 })).rejects.toThrow(/nope/);
    await expect(estimate({ design: { kind: 'preset', name: 'tiny' }, datasetId: 'no-such-set', steps: 1 })).rejects.toThrow(/no-such-set/);
    await expect(
      estimate({ design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', config: { valFraction: 1.5 }, steps: 1 }),
    ).rejects.toThrow(/valFraction/);
  });

  it('answers a trainer failure as benchmark-failed with the reason instead of hanging', async () => {
    const arch = getPreset('tiny');
    if (!arch) throw new Error('no tiny preset');
    // tfjs-node is not installed here, so asking for it must fail in the trainer and say so.
    const reply = await benchmarkInTrainer({ arch, config: { ...defaultRunConfig(), backend: 'tfjs-node', batch: 2 }, steps: 1 }, { timeoutMs: 60_000 });
    expect(reply.type).toBe('benchmark-failed');
    if (reply.type === 'benchmark-failed') expect(reply.message).toMatch(/tfjs-node/);
  }, 60_000);

  it('kills a warm-up that outlives its time limit', async () => {
    const arch = getPreset('small');
    if (!arch) throw new Error('no small preset');
    const reply = await benchmarkInTrainer({ arch, config: { ...defaultRunConfig(), backend: 'cpu', batch: 16 }, steps: 10 }, { timeoutMs: 300 });
    expect(reply).toEqual({ type: 'benchmark-failed', message: expect.stringMatching(/longer than 0 s/) });
  });
});
