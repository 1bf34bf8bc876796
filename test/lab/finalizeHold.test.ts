/**
 * The lab's finalize holds its run in the store for as long as its trainer process works
 * (RunStore.holdRun): a real trainer started on the run meanwhile (what `strata runs resume` or an
 * experiment runner would start) is refused and leaves it untouched, and the hold is given back
 * when the finalize ends, whether it succeeds or is cut short. And the lab's startRun refuses an
 * experiment tag: only `strata experiment run` sets one.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/lab/handlers';
import { RunFinalizer } from '../../src-main/lab/runFinalizer';
import { runOnce } from '../../src-main/lab/runRunner';
import { RunClaimedError } from '../../src-main/runs/errors';
import { processStartedAt } from '../../src-main/runs/liveness';
import { RunStore, runHoldKey } from '../../src-main/runs/store';
import { dispatchCall } from '../../src-main/lab/transport/dispatch';
import { createRun, trainersKilledAfterEach } from '../helpers/trainerRuns';
import { openLab, scratchDir } from './helpers';

const home = scratchDir('finalize-hold');
const runsDir = path.join(home, 'runs');
const startTrainer = trainersKilledAfterEach();
const idle = () => ({ active: null, queued: [] });

describe("the lab's finalize", () => {
  it('holds the run while its trainer chooses, refusing a trainer started on it, and gives the hold back however it ends', async () => {
    const id = createRun(runsDir, { epochs: 1, inference: { tta: false, snapshots: 1 } });
    expect((await startTrainer({ runsDir, runId: id }).done).status).toBe('done');
    const store = RunStore.open(runsDir);
    try {
      const finalizer = new RunFinalizer(store, runsDir, idle);
      const chosen = finalizer.finalize(id);
      const holder = store.holder(runHoldKey(id));
      expect(holder).toMatchObject({ pid: process.pid, what: `choosing the post-processing of run ${id}` });
      // Another process starts training the run (as `strata runs resume` does): its trainer is refused at its claim.
      const resumed = await runOnce({ runsDir, runId: id }, () => {}, { signals: [] }).catch((e: unknown) => e);
      expect(resumed).toBeInstanceOf(RunClaimedError);
      expect((resumed as Error).message).toMatch(new RegExp(`^run ${id} cannot be trained now: pid ${process.pid} is choosing the post-processing of run ${id} \\(since .*\\); wait for that to finish$`));
      const after = await chosen;
      expect(after.status).toBe('done');
      expect(after.postprocess).not.toBeNull();
      expect(store.holder(runHoldKey(id))).toBeNull();

      // Cut short (the lab closing): the hold is given back too.
      const again = new RunFinalizer(store, runsDir, idle);
      const cut = again.finalize(id).catch((e: unknown) => e);
      expect(store.holder(runHoldKey(id))?.pid).toBe(process.pid);
      again.close();
      expect(await cut).toBeInstanceOf(Error);
      expect(store.holder(runHoldKey(id))).toBeNull();

      // Free again: another live process can claim it.
      const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        let startedAt: number | null = null;
        while (startedAt === null) {
          startedAt = processStartedAt(sleeper.pid as number);
          if (startedAt === null) await new Promise((r) => setTimeout(r, 20));
        }
        expect(store.claim(id, { pid: sleeper.pid as number, startedAt }).ok).toBe(true);
      } finally {
        sleeper.kill('SIGKILL');
      }
    } finally {
      store.close();
    }
  }, 240_000);
});

describe("the lab's startRun", () => {
  const lab = openLab(scratchDir('start-tag'));
  afterAll(() => lab.close());

  it('refuses an experiment tag', async () => {
    const tag = { name: 'init', version: 1, group: 'he_normal', seed: 1, fingerprint: 'a'.repeat(64) };
    const r = await dispatchCall(createHandlers(lab), 'startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, experiment: tag });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'bad-request', issues: [{ path: 'experiment', message: 'a run started in the lab carries no experiment tag: only strata experiment run sets one, on the runs it plans' }] },
    });
    expect(lab.listRuns({}).total).toBe(0);
  });
});
