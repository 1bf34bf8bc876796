/**
 * A writer killed (a real SIGKILL to a real child) after a checkpoint's files are written and
 * before the index row that records it is committed: the moment a power cut leaves behind under
 * `synchronous = FULL`, where every earlier commit is on the disk. Reopening the store takes the
 * checkpoint up from its files, removes the temporary files the dead writer left in the run's
 * folders, and a resume leaves no gap in the metrics. And a writer killed after its checkpoints are
 * saved (`last` records its own position) and before the epochs done and the best epoch are
 * recorded: reopening takes both up from the files, so the resume knows the best epoch it saved
 * and keeps its checkpoint instead of replacing it with a later, worse epoch's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { REPO_ROOT } from '../helpers/paths';
import { scratchDir } from './helpers';

const FIXTURE = path.join(REPO_ROOT, 'test/runs/fixtures/epochWriter.ts');
const EPOCHS = 4;
const BATCHES = 4;

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

function writer(root: string, ...args: string[]): { child: Child; line: (word: string) => Promise<string>; exit: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, root, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const seen: string[] = [];
  const waiting: { word: string; resolve: (v: string) => void }[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const l of parts) {
      seen.push(l);
      for (const w of waiting.splice(0)) {
        if (l.startsWith(`${w.word} `) || l === w.word) w.resolve(l.slice(w.word.length + 1));
        else waiting.push(w);
      }
    }
  });
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  const line = (word: string) =>
    new Promise<string>((resolve, reject) => {
      const found = seen.find((l) => l.startsWith(`${word} `) || l === word);
      if (found !== undefined) return resolve(found.slice(word.length + 1));
      waiting.push({ word, resolve });
      void exit.then((e) => reject(new Error(`writer exited (${e.code}/${e.signal}) before "${word}": ${e.stderr}`)));
    });
  return { child, line, exit };
}

/** The epoch the `last` manifest names, or null while there is none. */
function manifestEpoch(root: string, id: string): number | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'runs', id, 'checkpoints', 'last.json'), 'utf8')) as { epoch: number }).epoch;
  } catch {
    return null;
  }
}

/** Kills the writer once the checkpoint of epoch `hold` is on disk and its index row waits for the lock this test holds. */
async function killBetween(root: string, hold: number): Promise<{ id: string; pid: number }> {
  const w = writer(root, 'new', String(EPOCHS), String(hold));
  const id = await w.line('run');
  await w.line('hold');
  const lock = openDatabase(path.join(root, 'index.sqlite'));
  lock.exec('BEGIN IMMEDIATE');
  try {
    w.child.stdin.write('go\n');
    while (manifestEpoch(root, id) !== hold) await new Promise((r) => setTimeout(r, 5));
    w.child.kill('SIGKILL');
    const e = await w.exit;
    expect(e.signal).toBe('SIGKILL');
  } finally {
    lock.exec('ROLLBACK');
    lock.close();
  }
  return { id, pid: w.child.pid as number };
}

/** Kills the writer once the checkpoints of epoch `hold` are saved, before it records its progress (it waits for a line on stdin then). */
async function killAfterCheckpoints(root: string, hold: number): Promise<string> {
  const w = writer(root, 'new', String(EPOCHS), String(hold), 'progress');
  const id = await w.line('run');
  expect(await w.line('saved')).toBe(String(hold));
  w.child.kill('SIGKILL');
  expect((await w.exit).signal).toBe('SIGKILL');
  return id;
}

/** The epoch the `best` checkpoint holds (its weights are filled with it). */
function bestWeights(store: RunStore, id: string): number | undefined {
  return store.loadCheckpoint(id, 'best')?.tensors[0]?.data[0];
}

/** Temporary files as writeFileAtomic names them, as if `pid` had died while writing each. */
function plantTemps(root: string, id: string, pid: number): string[] {
  const dir = path.join(root, 'runs', id);
  const folders = [dir, path.join(dir, 'predictions'), path.join(dir, 'checkpoints'), path.join(dir, 'checkpoints', 'snapshots', 'e0'), path.join(dir, 'predictions', 'folders', 'k1')];
  return folders.map((f, i) => {
    fs.mkdirSync(f, { recursive: true });
    const file = path.join(f, `.file${i}.json.${pid}.0badc0de.tmp`);
    fs.writeFileSync(file, 'half a file');
    return file;
  });
}

describe('a writer killed between a checkpoint file and its index row', () => {
  for (const hold of [0, 2]) {
    it(`takes up the checkpoint of epoch ${hold + 1} from its files, cleans up, and resumes without a gap`, async () => {
      const root = scratchDir(`between${hold}`);
      const { id, pid } = await killBetween(root, hold);
      // What the index said at the moment of the kill: one checkpoint behind its files.
      const raw = openDatabase(path.join(root, 'index.sqlite'));
      expect(raw.prepare('SELECT last_ckpt_epoch AS e, epochs_done AS d FROM runs WHERE id = ?').get(id)).toEqual({ e: hold === 0 ? null : hold - 1, d: hold });
      raw.close();
      const dead = plantTemps(root, id, pid);
      const live = path.join(root, 'runs', id, 'predictions', `.epoch-9.bin.${process.pid}.0badc0de.tmp`);
      fs.writeFileSync(live, 'a write under way in a live process');

      const store = RunStore.open(root);
      try {
        const run = store.get(id);
        expect(run.status).toBe('interrupted');
        // The lab resumes only a run with a checkpoint: after epoch 1 there was none in the index.
        expect(run.lastCheckpoint).toEqual({ epoch: hold, step: (hold + 1) * BATCHES });
        expect(run.epochsDone).toBe(hold + 1);
        const ev = store.events(id).find((e) => e.type === 'checkpoint-reconciled');
        expect(ev?.message).toBe(
          `the index recorded ${hold === 0 ? 'no checkpoint' : `the checkpoint of epoch ${hold}`}, the checkpoint files hold epoch ${hold + 1} ` +
            `(its process died after saving it, before recording it); the index now records epoch ${hold + 1}`,
        );
        for (const f of dead) expect(fs.existsSync(f), f).toBe(false);
        expect(fs.existsSync(live)).toBe(true);
      } finally {
        store.close();
      }

      const r = writer(root, 'resume', String(EPOCHS), id);
      expect(await r.line('resumed-from')).toBe(String(hold));
      const e = await r.exit;
      expect(e).toEqual({ code: 0, signal: null, stderr: '' });
      const after = RunStore.open(root);
      try {
        expect(after.get(id)).toMatchObject({ status: 'done', epochsDone: EPOCHS, lastCheckpoint: { epoch: EPOCHS - 1 } });
        expect(after.epochMetrics(id).map((m) => m.epoch)).toEqual([0, 1, 2, 3]);
        expect(after.batchMetrics(id).map((b) => b.step)).toEqual(Array.from({ length: EPOCHS * BATCHES }, (_, i) => i));
        expect(after.loadCheckpoint(id, 'last')?.tensors[0]?.data[0]).toBe(EPOCHS - 1);
      } finally {
        after.close();
      }
    });
  }
});

describe('a writer killed after its checkpoints are saved, before it records its epochs done and best epoch', () => {
  // The writer's validation scores: 0.3, 0.5, 0.9, 0.7. Epoch 3 is the best; epoch 4 beats epoch 2 only.
  it('takes up the epochs done and the best epoch from the files, and the resume keeps the best checkpoint', async () => {
    const root = scratchDir('progress');
    const id = await killAfterCheckpoints(root, 2);
    const raw = openDatabase(path.join(root, 'index.sqlite'));
    expect(raw.prepare('SELECT last_ckpt_epoch AS e, epochs_done AS d, best_epoch AS b FROM runs WHERE id = ?').get(id)).toEqual({ e: 2, d: 2, b: 1 });
    raw.close();

    const store = RunStore.open(root);
    try {
      const run = store.get(id);
      expect(run.status).toBe('interrupted');
      expect(run.lastCheckpoint).toEqual({ epoch: 2, step: 3 * BATCHES });
      expect(run.epochsDone).toBe(3);
      expect(run.best).toEqual({ epoch: 2, score: 0.9, metric: 'valScore' });
      const events = store.events(id);
      expect(events.some((e) => e.type === 'checkpoint-reconciled')).toBe(false);
      expect(events.find((e) => e.type === 'progress-reconciled')?.message).toBe(
        'the index recorded 2 epochs done and the best epoch 2, the checkpoint files hold epoch 3 and the best checkpoint of epoch 3 ' +
          '(its process died after saving them, before recording its progress); the index now records 3 epochs done and the best epoch 3',
      );
      expect(bestWeights(store, id)).toBe(2);
    } finally {
      store.close();
    }

    const r = writer(root, 'resume', String(EPOCHS), id);
    expect(await r.line('resumed-from')).toBe('2');
    expect(await r.exit).toEqual({ code: 0, signal: null, stderr: '' });
    const after = RunStore.open(root);
    try {
      expect(after.get(id)).toMatchObject({ status: 'done', epochsDone: EPOCHS, best: { epoch: 2, score: 0.9 } });
      expect(bestWeights(after, id)).toBe(2);
      expect(after.epochMetrics(id).map((m) => m.epoch)).toEqual([0, 1, 2, 3]);
    } finally {
      after.close();
    }
  });

  it('after the first epoch: records it done and its best, where the index had neither', async () => {
    const root = scratchDir('progress0');
    const id = await killAfterCheckpoints(root, 0);
    const store = RunStore.open(root);
    try {
      expect(store.get(id)).toMatchObject({ epochsDone: 1, lastCheckpoint: { epoch: 0, step: BATCHES }, best: { epoch: 0, score: 0.3, metric: 'valScore' } });
      expect(store.events(id).find((e) => e.type === 'progress-reconciled')?.message).toBe(
        'the index recorded 0 epochs done and no best epoch, the checkpoint files hold epoch 1 and the best checkpoint of epoch 1 ' +
          '(its process died after saving them, before recording its progress); the index now records 1 epoch done and the best epoch 1',
      );
    } finally {
      store.close();
    }
  });
});
