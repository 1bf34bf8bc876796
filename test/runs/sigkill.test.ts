import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { REPO_ROOT } from '../helpers/paths';
import { scratchDir } from './helpers';

const FIXTURE = path.join(REPO_ROOT, 'test/runs/fixtures/writer.ts');
const BATCHES = 10;

/** Runs the writer until it reports epoch `after`, waits `delayMs`, SIGKILLs it; returns what it reported. */
function killMidRun(root: string, after: number, delayMs: number): Promise<{ id: string; pid: number; lastEpoch: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, root], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let id = '';
    let lastEpoch = -1;
    let killing = false;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        const [word, value] = line.split(' ');
        if (word === 'run' && value) id = value;
        if (word === 'epoch') lastEpoch = Number(value);
      }
      if (lastEpoch >= after && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' || child.pid === undefined) reject(new Error(`writer exited with ${code}/${signal}: ${err}`));
      else resolve({ id, pid: child.pid, lastEpoch });
    });
  });
}

describe('RunStore after a real SIGKILL', () => {
  for (const delayMs of [0, 4, 13]) {
    it(`keeps every committed epoch when the writer is killed ${delayMs} ms after an epoch`, async () => {
      const root = scratchDir(`kill${delayMs}`);
      const { id, pid, lastEpoch } = await killMidRun(root, 2, delayMs);
      expect(lastEpoch).toBeGreaterThanOrEqual(2);

      const db = openDatabase(path.join(root, 'index.sqlite'));
      expect(db.pragma('integrity_check')).toBe('ok');
      db.close();

      const store = RunStore.open(root);
      try {
        const run = store.get(id);
        expect(run.status).toBe('interrupted');
        expect(run.statusReason).toBe(`the process that ran it exited unexpectedly (pid ${pid})`);
        expect(run.epochsDone).toBeGreaterThanOrEqual(lastEpoch + 1);

        const epochs = store.epochMetrics(id).map((e) => e.epoch);
        expect(epochs.length).toBeGreaterThanOrEqual(lastEpoch + 1);
        expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, i) => i));

        const steps = store.batchMetrics(id).map((b) => b.step);
        expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
        expect(steps.length).toBeGreaterThanOrEqual(epochs.length * BATCHES);

        const ckpt = store.loadCheckpoint(id, 'last');
        expect(ckpt?.epoch).toBeGreaterThanOrEqual(lastEpoch);
        expect(ckpt?.tensors[0]?.data.every((v) => v === ckpt.epoch)).toBe(true);
        for (let e = 0; e <= lastEpoch; e++) expect(store.loadPredictions(id, e)?.probs[0]).toBe(e);
        expect(store.events(id).at(-1)?.type).toBe('interrupted');
      } finally {
        store.close();
      }
    });
  }
});
