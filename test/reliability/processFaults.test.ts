/**
 * Faults nobody caught, in real processes: a real trainer whose code raises an unhandled rejection
 * or an uncaught exception after its first epoch ends its run as failed with the reason (checkpoint
 * kept, the process exits on its own) instead of dying as 'interrupted'; and a lab whose disk fills
 * up (a real tmpfs) while a run trains and another waits keeps serving: the trainer's end cannot be
 * recorded nor the next run started, which is logged, the queue is kept, and nothing is unhandled.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRunSchema } from '../../shared/api/schemas';
import type { TrainerMessage } from '../../shared/training/protocol';
import { forkLauncher, setTrainerLauncher, startTrainer } from '../../src-main/lab/trainerHost';
import { openDatabase } from '../../src-main/runs/sqlite';
import { REPO_ROOT } from '../helpers/paths';
import { createRun, withStore } from '../helpers/trainerRuns';
import { openLab, scratchDir, waitFor } from '../lab/helpers';
import { mountSmallDisk } from '../runs/helpers';

const FAULT = path.join(REPO_ROOT, 'test/reliability/fixtures/injectFault.ts');
afterAll(() => setTrainerLauncher(forkLauncher));

describe('a fault nobody caught in a real trainer', () => {
  for (const [kind, text] of [
    ['reject', 'injected fault: a promise nobody handled'],
    ['throw', 'injected fault: an exception nobody caught'],
  ] as const) {
    it(`(${kind}) fails the run with the reason, keeps its checkpoint, and the trainer exits on its own`, async () => {
      const runsDir = path.join(scratchDir(`fault-${kind}`), 'runs');
      const runId = createRun(runsDir, { epochs: 50 });
      setTrainerLauncher((entry, env) => forkLauncher({ file: entry.file, execArgv: [...entry.execArgv, '--import', FAULT] }, { ...env, STRATA_TEST_FAULT: kind }));
      const exit = await startTrainer({ runsDir, runId }).done;
      setTrainerLauncher(forkLauncher);
      // The launcher adds the end of the trainer's stderr (where the handler logged the fault's stack).
      const reason = `the trainer failed: ${text}; last stderr: trainer: ${kind === 'reject' ? 'unhandled rejection' : 'uncaught exception'}, kept running: Error: ${text}`;
      expect(exit).toMatchObject({ status: 'failed', crashed: false });
      expect(exit.reason?.startsWith(reason), exit.reason ?? '').toBe(true);
      withStore(runsDir, (s) => {
        const run = s.get(runId);
        expect(run.status).toBe('failed');
        expect(run.statusReason?.startsWith(`the trainer failed: ${text}`)).toBe(true);
        expect(run.lastCheckpoint?.epoch).toBeGreaterThanOrEqual(0);
        expect(s.loadCheckpoint(runId, 'last')?.epoch).toBe(run.lastCheckpoint?.epoch);
      });
    });
  }
});

const disk = mountSmallDisk('lab-full', '16m');
if (typeof disk === 'string') console.warn(`processFaults.test.ts full-disk case skipped: ${disk}`);

describe.skipIf(typeof disk === 'string')('a lab whose disk fills up while a run trains and another waits (a real 16 MiB tmpfs)', () => {
  it('keeps serving: the failures are logged, the queue is kept, nothing is unhandled', async () => {
    const d = disk as Exclude<typeof disk, string>;
    const unhandled: unknown[] = [];
    const onRejection = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onRejection);
    const lab = openLab(path.join(d.dir, 'home'), { shutdownGraceMs: 2000 });
    try {
      const request = startRunSchema.parse({ design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 24, config: { epochs: 50, batch: 8, backend: 'wasm', valFraction: 0.25 } });
      const a = await lab.startRun(request);
      const b = await lab.startRun(request);
      const messages: TrainerMessage[] = [];
      lab.onRunEvent({ runId: a.id }, (m) => messages.push(m));
      await waitFor('the first checkpoint', () => messages.find((m) => m.type === 'event' && m.event.type === 'checkpoint'));
      expect(lab.getQueue().queued).toEqual([b.id]);
      // An empty write-ahead log, so the next index writes need new blocks; then not one block left.
      const db = openDatabase(path.join(lab.dirs.runsDir, 'index.sqlite'), { busyTimeoutMs: 10_000 });
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      d.fill();
      const pid = lab.getQueue().active?.pid;
      if (typeof pid === 'number') process.kill(pid, 'SIGKILL');
      await waitFor('the trainer gone', () => (lab.getQueue().active === null ? true : undefined));
      // Still serving, with the waiting run still in the queue.
      expect(lab.listRuns({}).runs.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
      expect(lab.getQueue()).toEqual({ active: null, queued: [b.id] });
      expect(unhandled).toEqual([]);
    } finally {
      d.free();
      process.off('unhandledRejection', onRejection);
      await lab.close();
    }
  });
});
