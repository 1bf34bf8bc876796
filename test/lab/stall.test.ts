/**
 * A trainer that stops making progress mid-epoch (as tfjs-wasm's main thread does when it deadlocks
 * in the allocator, spinning at 100% and sending nothing) is killed by its host and the run resumed
 * from its last checkpoint. The hang here is real from the host's side: the real trainer process is
 * frozen with SIGSTOP between two batches of its second epoch; the host only sees it go silent.
 * A paused trainer is silent too, and is never taken for a stuck one.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { runRequestSchema } from '../../shared/runs/request';
import type { TrainerMessage } from '../../shared/training/protocol';
import { makeDemoDataset } from '../../src-main/data/demo';
import { planRun } from '../../src-main/lab/plan';
import { runOnce } from '../../src-main/lab/runRunner';
import { forkLauncher, setTrainerLauncher, stallLimitMs, STALL_FACTOR, STALL_MIN_MS, startTrainer } from '../../src-main/lab/trainerHost';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from './helpers';

const source = { kind: 'demo', count: 24, seed: 1 } as const;
const load = () => Promise.resolve(makeDemoDataset({ count: 24, seed: 1 }));
const runsDir = path.join(scratchDir('stall'), 'runs');
/** The limit the tests set (STRATA_STALL_SECONDS): well above a tiny step on a loaded machine, so only the frozen trainer is stuck. */
const LIMIT_S = 20;

/** A queued run of the tiny preset on the demo set: 3 epochs of 5 batches. */
async function newRun(): Promise<string> {
  const store = RunStore.open(runsDir);
  try {
    const plan = await planRun(runRequestSchema.parse({ config: { epochs: 3, batch: 4, inference: { tta: false, snapshots: 1 } } }), { arch: getPreset('tiny') as Architecture, source, load, runs: store });
    return store.createRun(plan.init).id;
  } finally {
    store.close();
  }
}

let savedStall: string | undefined;
beforeAll(() => {
  savedStall = process.env['STRATA_STALL_SECONDS'];
  process.env['STRATA_STALL_SECONDS'] = String(LIMIT_S);
});
afterAll(() => {
  if (savedStall === undefined) delete process.env['STRATA_STALL_SECONDS'];
  else process.env['STRATA_STALL_SECONDS'] = savedStall;
});
afterEach(() => setTrainerLauncher(forkLauncher));

describe('a trainer that stops making progress', () => {
  it('is given the larger of the minimum and 30 times its slowest batch, or what STRATA_STALL_SECONDS says', () => {
    expect(stallLimitMs(100, {})).toBe(STALL_MIN_MS);
    expect(stallLimitMs(60_000, {})).toBe(STALL_FACTOR * 60_000);
    expect(stallLimitMs(60_000, { STRATA_STALL_SECONDS: '2' })).toBe(2000);
    // A setting that is not a positive number leaves the rule as it is.
    expect(stallLimitMs(10, { STRATA_STALL_SECONDS: 'soon' })).toBe(STALL_MIN_MS);
    expect(stallLimitMs(60_000, { STRATA_STALL_SECONDS: '-1' })).toBe(STALL_FACTOR * 60_000);
  });

  it('is killed between two batches, the run marked interrupted with why, and resumed from its checkpoint to the end', async () => {
    const runId = await newRun();
    let frozen: number | null = null;
    // The first trainer is frozen after the second batch of its second epoch; the one started again is left alone.
    setTrainerLauncher((entry, env) => {
      const child = forkLauncher(entry, env);
      const first = frozen === null;
      child.onMessage((m) => {
        const msg = m as TrainerMessage;
        if (!first || frozen !== null || msg.type !== 'batch' || msg.metric.epoch !== 1 || msg.metric.batch >= msg.batches - 1) return;
        frozen = child.pid ?? -1;
        child.kill('SIGSTOP');
      });
      return child;
    });
    const logs: string[] = [];
    const outcome = await runOnce({ runsDir, runId }, () => {}, { signals: [], log: (l) => logs.push(l) });
    expect(frozen).toBeGreaterThan(0);
    expect(outcome.stalls).toBe(1);
    expect(outcome.status).toBe('done');
    expect(outcome.epochsDone).toBe(3);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(new RegExp(`^run ${runId}: the trainer stopped making progress: no batch for \\d+(\\.\\d)? s after batch \\d of 5 in epoch 2 \\(the slowest batch before took \\d+(\\.\\d)? s\\), so it was killed; .* Resuming continues from the last checkpoint; starting it again \\(1 of 2\\)$`));
    const store = RunStore.open(runsDir);
    try {
      const events = store.events(runId);
      // Reopening the store may first find the killed trainer's pid gone (an 'exited unexpectedly' event); the stall's own reason follows, once.
      const stalled = events.filter((e) => e.type === 'interrupted' && e.message.startsWith('the trainer stopped making progress: no batch for '));
      expect(stalled).toHaveLength(1);
      expect(stalled[0]?.epoch).toBe(1);
      // It resumed from the checkpoint of epoch 1, not from the start: epoch 1 was trained once.
      expect(events.filter((e) => e.type === 'resumed').map((e) => e.message)).toEqual(['resumed from the checkpoint of epoch 1']);
      expect(store.epochMetrics(runId).map((m) => m.epoch)).toEqual([0, 1, 2]);
    } finally {
      store.close();
    }
  }, 240_000);

  it('is not a paused one: a pause longer than the limit, then a resume, and the run ends by itself', async () => {
    const runId = await newRun();
    const handle = startTrainer({ runsDir, runId });
    let paused = false;
    const resumed = new Promise<void>((resolve) => {
      handle.onMessage((m) => {
        if (paused || m.type !== 'batch' || m.metric.epoch !== 0 || m.metric.batch !== 1) return;
        paused = true;
        handle.pause();
        // Longer than the limit, paused between batches.
        setTimeout(() => {
          handle.resume();
          resolve();
        }, (LIMIT_S + 5) * 1000);
      });
    });
    const exit = await handle.done;
    await resumed;
    expect(paused).toBe(true);
    expect(exit.stalled).toBeUndefined();
    expect(exit).toMatchObject({ status: 'done', crashed: false });
  }, 240_000);
});
