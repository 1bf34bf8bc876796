/**
 * Faults in training, with real processes and real signals: a trainer aborted (SIGABRT from outside),
 * a trainer that runs out of memory (a real V8 heap-limit abort), and a disk that refuses a
 * checkpoint (a real EFBIG under `ulimit -f`). Each time the lab stays up, the run records why,
 * everything up to the last committed epoch is intact, and the run resumes from there to the end.
 * (SIGKILL mid-epoch: test/lab/crash.test.ts and test/training/trainer.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRunSchema } from '../../shared/api/schemas';
import type { TrainerMessage } from '../../shared/training/protocol';
import type { LabService } from '../../src-main/lab/service';
import { forkLauncher, setTrainerLauncher } from '../../src-main/lab/trainerHost';
import { isAtomicTempName } from '../../src-main/runs/atomic';
import { RunStore } from '../../src-main/runs/store';
import { openLab, scratchDir, waitFor } from '../lab/helpers';
import { fileSizeLimitedLauncher, heapLimitedLauncher } from './launchers';

let lab: LabService;
let home = '';
beforeAll(() => {
  home = scratchDir('faults');
  lab = openLab(home, { shutdownGraceMs: 2000 });
});
afterAll(async () => {
  setTrainerLauncher(forkLauncher);
  await lab.close();
});

/** Starts a 3-epoch run of the tiny preset on 24 demo samples (3 batches an epoch) and records its messages. */
async function startRun(): Promise<{ id: string; messages: TrainerMessage[] }> {
  const run = await lab.startRun(
    startRunSchema.parse({
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      demoCount: 24,
      config: { epochs: 3, batch: 8, backend: 'wasm', valFraction: 0.25 },
    }),
  );
  const messages: TrainerMessage[] = [];
  lab.onRunEvent({ runId: run.id }, (m) => messages.push(m));
  return { id: run.id, messages };
}

const endedCount = (messages: TrainerMessage[]) => messages.filter((m) => m.type === 'ended').length;
const waitEnded = (messages: TrainerMessage[], n: number) =>
  waitFor(`ended message ${n}`, () => messages.filter((m) => m.type === 'ended')[n - 1]);

/** The run's committed state, read through a second store handle as a restarted app would. */
function committed(id: string) {
  const store = RunStore.open(lab.dirs.runsDir);
  try {
    const run = store.get(id);
    const ckpt = store.loadCheckpoint(id, 'last');
    const dir = path.join(lab.dirs.runsDir, 'runs', id, 'checkpoints');
    return {
      status: run.status,
      reason: run.statusReason,
      epochsDone: run.epochsDone,
      lastCheckpoint: run.lastCheckpoint,
      ckptEpoch: ckpt?.epoch ?? null,
      ckptFinite: ckpt ? ckpt.tensors.every((t) => t.data.every(Number.isFinite)) : false,
      metricEpochs: store.epochMetrics(id).map((e) => e.epoch),
      tempFiles: fs.existsSync(dir) ? fs.readdirSync(dir).filter(isAtomicTempName) : [],
    };
  } finally {
    store.close();
  }
}

describe('a trainer that aborts, then runs out of memory, then resumes', () => {
  let id = '';
  let messages: TrainerMessage[] = [];
  let before: ReturnType<typeof committed>;

  it('SIGABRT mid-run: interrupted with the reason; metrics and checkpoint intact; the lab goes on', async () => {
    ({ id, messages } = await startRun());
    await waitFor('the first checkpoint', () => messages.find((m) => m.type === 'event' && m.event.type === 'checkpoint'));
    const pid = lab.getQueue().active?.pid;
    expect(typeof pid).toBe('number');
    process.kill(pid as number, 'SIGABRT');
    expect(await waitEnded(messages, 1)).toMatchObject({ status: 'interrupted', reason: expect.stringContaining('SIGABRT') });
    before = committed(id);
    expect(before).toMatchObject({ status: 'interrupted', ckptFinite: true, tempFiles: [] });
    expect(before.reason).toBe('the trainer process aborted (SIGABRT; possibly out of memory)');
    expect(before.epochsDone).toBeGreaterThanOrEqual(1);
    expect(before.ckptEpoch).toBe(before.lastCheckpoint?.epoch);
    expect(before.metricEpochs).toEqual(Array.from({ length: before.epochsDone }, (_, e) => e));
    expect(lab.getQueue()).toEqual({ active: null, queued: [] });
    expect(lab.listPresets().length).toBeGreaterThan(0);
  });

  // The reason ends with what V8 wrote to the trainer's stderr as it died.
  const OOM_REASON = /^the trainer process aborted \(SIGABRT; possibly out of memory\); last stderr: .*JavaScript heap out of memory/;

  it('out of memory (a real V8 heap limit of 32 MiB): interrupted with the reason; nothing committed is lost', async () => {
    setTrainerLauncher(heapLimitedLauncher(32));
    try {
      lab.resumeRun({ id });
      const ended = await waitEnded(messages, 2);
      expect(ended).toMatchObject({ status: 'interrupted', reason: expect.stringMatching(OOM_REASON) });
    } finally {
      setTrainerLauncher(forkLauncher);
    }
    const after = committed(id);
    expect(after).toEqual({ ...before, reason: expect.stringMatching(OOM_REASON) });
    expect(lab.getQueue().active).toBeNull();
  });

  it('resumes from the last checkpoint to the end', async () => {
    lab.resumeRun({ id });
    expect(await waitEnded(messages, 3)).toMatchObject({ status: 'done' });
    const resumed = messages.find((m) => m.type === 'event' && m.event.type === 'resumed');
    expect(resumed?.type === 'event' ? resumed.event.epoch : null).toBe(before.epochsDone);
    expect(committed(id)).toMatchObject({ status: 'done', epochsDone: 3, ckptEpoch: 2, metricEpochs: [0, 1, 2], tempFiles: [] });
  });
});

describe('a disk that refuses the checkpoint', () => {
  it('stops the run with the disk error, keeps the previous checkpoint valid, and resumes later', async () => {
    const { id, messages } = await startRun();
    await waitFor('the first checkpoint', () => messages.find((m) => m.type === 'event' && m.event.type === 'checkpoint'));
    lab.stopRun({ id, reason: 'stopped by the test' });
    await waitEnded(messages, 1);
    const before = committed(id);
    expect(before).toMatchObject({ status: 'stopped', ckptFinite: true });
    const size = fs.statSync(path.join(lab.dirs.runsDir, 'runs', id, 'checkpoints', readManifest(id).data.file)).size;
    // The tiny preset's checkpoint is ~340 KiB; 256 KiB lets the database and predictions through but not it.
    expect(size).toBeGreaterThan(256 * 1024);

    // The run index's write-ahead log is capped by the same limit: empty it first, so what the
    // limit catches is the checkpoint (as in the standalone atomic test), not the database.
    const db = new Database(path.join(lab.dirs.runsDir, 'index.sqlite'));
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    setTrainerLauncher(fileSizeLimitedLauncher(256));
    try {
      lab.resumeRun({ id });
      const ended = await waitEnded(messages, 2);
      expect(ended).toMatchObject({ status: 'failed' });
    } finally {
      setTrainerLauncher(forkLauncher);
    }
    const after = committed(id);
    expect(after.status).toBe('failed');
    expect(after.reason).toMatch(/^could not save the checkpoint of epoch \d+: Could not write .*\/checkpoints\/last-e\d+-s\d+-[0-9a-f]{8}\.bin: file too large for this file system or process limit \(EFBIG, during write\); the checkpoint of epoch \d+ is kept$/);
    // The previous checkpoint is untouched and loads; no temporary file is left behind.
    expect(after).toMatchObject({ ckptEpoch: before.ckptEpoch, lastCheckpoint: before.lastCheckpoint, ckptFinite: true, tempFiles: [] });
    expect(after.reason).toContain(`the checkpoint of epoch ${(before.ckptEpoch ?? 0) + 1} is kept`);
    expect(endedCount(messages)).toBe(2);

    lab.resumeRun({ id });
    expect(await waitEnded(messages, 3)).toMatchObject({ status: 'done' });
    expect(committed(id)).toMatchObject({ status: 'done', epochsDone: 3, metricEpochs: [0, 1, 2] });
  });
});

function readManifest(id: string): { data: { file: string } } {
  const text = fs.readFileSync(path.join(lab.dirs.runsDir, 'runs', id, 'checkpoints', 'last.json'), 'utf8');
  return JSON.parse(text) as { data: { file: string } };
}
