/**
 * A time budget (`maxMinutes`): a cosine follows the budget's elapsed share and reaches its floor
 * when the budget is spent, and a run without epochs of its own trains until the budget ends it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_EPOCHS, defaultSchedule, OPEN_ENDED_EPOCHS, parseRunConfig, runConfigSchema } from '../../shared/runs/request';
import { budgetProgress, scheduledLr } from '../../shared/training/schedule';
import { EarlyStopping, LrScheduler, TimeLimit } from '../../src-main/training/callbacks';
import { LoopControl, runLoop, type BatchLogs, type Callback } from '../../src-main/training/loop';
import { startTrainer } from '../../src-main/lab/trainerHost';
import { createRun, withStore } from '../helpers/trainerRuns';

const cosine = { kind: 'cosine' as const, minLr: 0.001, warmupEpochs: 0 };

describe('the time-based cosine', () => {
  it('gives the base rate at the start, the midpoint at half the budget and exactly the floor at and after it', () => {
    // base 0.01, floor 0.001: halfway, 0.001 + 0.5 * 0.009 * (1 + cos(pi/2)) = 0.0055.
    expect(scheduledLr(cosine, 0.01, 0, 3, 0)).toBeCloseTo(0.01, 15);
    expect(scheduledLr(cosine, 0.01, 0, 3, 0.5)).toBeCloseTo(0.0055, 12);
    expect(scheduledLr(cosine, 0.01, 2, 3, 1)).toBe(0.001);
    expect(scheduledLr(cosine, 0.01, 2, 3, 1.7)).toBe(0.001);
    // The epoch count no longer matters: epoch 2 of 3 at the start of the budget is still the base rate.
    expect(scheduledLr(cosine, 0.01, 2, 3, 0)).toBeCloseTo(0.01, 15);
  });

  it('takes the budget share from elapsed time, clamped to [0, 1]', () => {
    expect(budgetProgress(0, 60_000)).toBe(0);
    expect(budgetProgress(30_000, 60_000)).toBe(0.5);
    expect(budgetProgress(90_000, 60_000)).toBe(1);
    expect(budgetProgress(-5, 60_000)).toBe(0);
  });

  it('keeps the warm-up in epochs, and leaves the other schedules as they were', () => {
    const warm = { ...cosine, warmupEpochs: 2 };
    // Warm-up epoch 0 of 2: a third of the base rate, whatever the time.
    expect(scheduledLr(warm, 0.01, 0, 10, 0.9)).toBeCloseTo(0.01 / 3, 12);
    expect(scheduledLr(warm, 0.01, 2, 10, 1)).toBe(0.001);
    const step = defaultSchedule('step', 9);
    expect(scheduledLr(step, 0.01, 3, 9, 0.99)).toBe(scheduledLr(step, 0.01, 3, 9));
    // Without a budget, the cosine is over the epochs as before: epoch 5 of 10 is the midpoint.
    expect(scheduledLr(cosine, 0.01, 5, 10)).toBeCloseTo(0.0055, 12);
  });
});

describe('epochs with and without a time budget', () => {
  it('is open-ended with a budget and no epochs, 10 without a budget, as given otherwise', () => {
    expect(runConfigSchema.parse({ maxMinutes: 5 }).epochs).toBe(OPEN_ENDED_EPOCHS);
    expect(runConfigSchema.parse({}).epochs).toBe(DEFAULT_EPOCHS);
    expect(DEFAULT_EPOCHS).toBe(10);
    expect(runConfigSchema.parse({ maxMinutes: 5, epochs: 7 }).epochs).toBe(7);
    // A stored open-ended run reads back the same.
    const stored = runConfigSchema.parse({ maxMinutes: 5 });
    expect(runConfigSchema.parse(stored)).toEqual(stored);
  });

  it('refuses a step schedule over a budget with no epochs to take its period from', () => {
    const r = parseRunConfig({ maxMinutes: 5, schedule: { kind: 'step' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^schedule: a step schedule with a time budget needs epochs/);
    expect(parseRunConfig({ maxMinutes: 5, epochs: 9, schedule: { kind: 'step' } })).toMatchObject({ ok: true, config: { schedule: { every: 3 } } });
    expect(parseRunConfig({ maxMinutes: 5, schedule: { kind: 'step', every: 4 } })).toMatchObject({ ok: true, config: { epochs: OPEN_ENDED_EPOCHS } });
  });
});

/**
 * The loop with the trainer's own schedule and time-limit callbacks on a fake clock: every batch
 * takes one second; 3 batches an epoch and a one-minute budget give 20 epochs, beyond the default 10.
 */
async function budgetRun(alreadyMs = 0, batchesPerEpoch = 3) {
  let clock = 1_000_000;
  const now = () => clock;
  const control = new LoopControl();
  const events: string[] = [];
  let lr = -1;
  const limit = new TimeLimit(1, control, (e) => events.push(e.type), now, alreadyMs);
  const schedule = new LrScheduler(cosine, 0.01, OPEN_ENDED_EPOCHS, (v) => (lr = v), () => {}, limit);
  const batches: BatchLogs[] = [];
  const validated: number[] = [];
  const epochEnds: number[] = [];
  const recorder: Callback = { onBatchEnd: (l) => void batches.push(l), onEpochEnd: (e) => void epochEnds.push(e) };
  const end = await runLoop(
    {
      startEpoch: 0,
      epochs: OPEN_ENDED_EPOCHS,
      batchesPerEpoch,
      startStep: 0,
      trainBatch: async () => {
        const used = lr;
        clock += 1000;
        return { loss: 1, iou: 0, lr: used, images: 8 };
      },
      validate: async (epoch) => {
        validated.push(epoch);
        return {};
      },
    },
    [schedule, recorder, limit],
    control,
  );
  return { end, events, batches, validated, epochEnds };
}

describe('a run with a time budget and no epochs', () => {
  it('trains until the budget ends it, its cosine reaching the floor at the budget', async () => {
    const { end, events, batches } = await budgetRun();
    expect(end).toEqual({ kind: 'stopped', message: 'time limit of 1 min reached', by: 'time-limit' });
    expect(events).toEqual(['time-limit']);
    expect(batches).toHaveLength(60);
    expect(Math.max(...batches.map((b) => b.epoch)) + 1).toBe(20);
    // Set before every batch from the time spent: the base rate first, the midpoint at 30 s...
    expect(batches[0]?.lr).toBeCloseTo(0.01, 15);
    expect(batches[30]?.lr).toBeCloseTo(0.0055, 12);
    // ...and the last batch (started at 59 s of 60) within 0.1% of the range above the floor.
    const last = batches.at(-1)?.lr ?? NaN;
    expect(last).toBeGreaterThan(0.001);
    expect(last - 0.001).toBeLessThan(0.009 * 1e-3);
    for (let i = 1; i < batches.length; i++) expect(batches[i]?.lr).toBeLessThan(batches[i - 1]?.lr ?? 0);
  });

  it('validates and checkpoints the epoch the budget cuts short, so its last batches count', async () => {
    // 7 batches an epoch: the 60th batch, where the budget ends, is the 4th of epoch 9 (0-based 8).
    const { end, batches, validated, epochEnds } = await budgetRun(0, 7);
    expect(end.kind).toBe('stopped');
    expect(batches).toHaveLength(60);
    expect(batches.at(-1)).toMatchObject({ epoch: 8, batch: 3 });
    expect(validated).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(epochEnds).toEqual(validated);
  });

  it('drops the partial epoch of a plain stop, as before', async () => {
    const control = new LoopControl();
    const validated: number[] = [];
    const end = await runLoop(
      {
        startEpoch: 0,
        epochs: 5,
        batchesPerEpoch: 4,
        startStep: 0,
        trainBatch: async (epoch, batch) => {
          if (epoch === 1 && batch === 1) control.stop('asked');
          return { loss: 1, iou: 0, lr: 0.1, images: 8 };
        },
        validate: async (epoch) => {
          validated.push(epoch);
          return {};
        },
      },
      [],
      control,
    );
    expect(end).toEqual({ kind: 'stopped', message: 'asked', by: 'user' });
    expect(validated).toEqual([0]);
  });

  it('continues the budget of a resumed run from its recorded training time', async () => {
    const { end, batches } = await budgetRun(30_000);
    expect(end.kind).toBe('stopped');
    expect(batches).toHaveLength(30);
    expect(batches[0]?.lr).toBeCloseTo(0.0055, 12);
  });
});

describe('who stopped a run', () => {
  it('is recorded with the stop: the user by default, the time limit and early stopping by their callbacks', async () => {
    const user = new LoopControl();
    user.stop('enough');
    expect(user.ended).toEqual({ kind: 'stopped', message: 'enough', by: 'user' });
    // The budget's end on the fake clock, and early stopping after `patience` epochs without a gain.
    const { end } = await budgetRun();
    expect(end).toMatchObject({ kind: 'stopped', by: 'time-limit' });
    const early = new LoopControl();
    const stopper = new EarlyStopping(2, 0.01, early, () => {});
    const epoch = (e: number, valScore: number) => stopper.onEpochEnd(e, { epoch: e, step: e, trainLoss: 1, trainIoU: 0, lr: 0.1, imagesPerSec: 1, epochSeconds: 1, valScore });
    epoch(0, 0.5);
    epoch(1, 0.505);
    expect(early.ended).toBeNull();
    epoch(2, 0.5);
    expect(early.ended).toEqual({ kind: 'stopped', message: 'early stop: no validation score gain above 0.01 for 2 epochs (best 0.5000)', by: 'early-stop' });
  });

  it('is the first stop\'s: a user stop before the budget ends stays the user\'s, and keeps no partial epoch', () => {
    const a = new LoopControl();
    a.stop('enough');
    a.stopAfterValidation('time limit of 1 min reached', 'time-limit');
    expect(a.ended).toEqual({ kind: 'stopped', message: 'enough', by: 'user' });
    expect(a.keepsPartialEpoch).toBe(false);
    const b = new LoopControl();
    b.stopAfterValidation('time limit of 1 min reached', 'time-limit');
    b.stop('enough');
    expect(b.ended).toEqual({ kind: 'stopped', message: 'time limit of 1 min reached', by: 'time-limit' });
    expect(b.keepsPartialEpoch).toBe(true);
    // A failure still wins over any stop.
    b.fail('the loss became NaN');
    expect(b.ended).toEqual({ kind: 'failed', message: 'the loss became NaN' });
  });
});

describe('a real run with a 6-second budget and no epochs', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-budget-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is ended by the time limit, its rate falling with the clock to the cosine of the elapsed share', async () => {
    const config = runConfigSchema.parse({ maxMinutes: 0.1, optimizer: { name: 'sgd', lr: 0.01 }, schedule: { kind: 'cosine', minLr: 0.001 } });
    expect(config.epochs).toBeGreaterThan(DEFAULT_EPOCHS);
    const runsDir = path.join(root, 'runs');
    const runId = createRun(runsDir, { ...config, batch: 8, backend: 'wasm', valFraction: 0.25 });
    const t = startTrainer({ runsDir, runId });
    try {
      expect(await t.done).toMatchObject({ status: 'stopped', crashed: false });
    } finally {
      t.kill('SIGKILL');
    }
    withStore(runsDir, (s) => {
      expect(s.get(runId)).toMatchObject({ status: 'stopped', statusReason: 'time limit of 0.1 min reached' });
      expect(s.events(runId).some((e) => e.type === 'time-limit')).toBe(true);
      const batches = s.batchMetrics(runId);
      const lrs = batches.map((b) => b.lr ?? NaN);
      // The first batch's rate is the cosine's start, less what the clock had run of the budget when
      // it was set: at most the time from the run's start to that batch's end (a bound, not a timing:
      // a busy machine makes the share larger and the bound looser, never the check wrong).
      const startedAt = s.get(runId)?.startedAt ?? NaN;
      const firstShare = Math.min(1, ((batches[0]?.time ?? NaN) - startedAt) / 6000);
      expect(lrs[0]).toBeLessThanOrEqual(0.01);
      expect(lrs[0]).toBeGreaterThanOrEqual(0.001 + 0.0045 * (1 + Math.cos(Math.PI * firstShare)) - 1e-12);
      for (let i = 1; i < lrs.length; i++) expect(lrs[i]).toBeLessThanOrEqual(lrs[i - 1] ?? NaN);
      // The rate follows the clock, however fast the batches ran: the last batch's rate was set after
      // the one before it ended (time = its end), and the budget's clock started before the first batch
      // ended, so its share of the budget was at least (t_prev - t_first) / 6 s, and its rate at most
      // the cosine there (worked by hand: floor + range/2 * (1 + cos(pi * share))).
      expect(batches.length).toBeGreaterThan(2);
      const tFirst = batches[0]?.time ?? NaN;
      const tPrev = batches.at(-2)?.time ?? NaN;
      const share = Math.min(1, (tPrev - tFirst) / 6000);
      const last = lrs.at(-1) ?? NaN;
      expect(last).toBeGreaterThanOrEqual(0.001);
      expect(last).toBeLessThanOrEqual(0.001 + 0.0045 * (1 + Math.cos(Math.PI * share)) + 1e-12);
    });
  });
});
