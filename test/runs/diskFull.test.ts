/**
 * A full disk, for real: the store on a size-limited tmpfs that the test mounts (skipped, saying
 * why, where mounting is not allowed), filled to the last block. A checkpoint save fails cleanly
 * (the error names the file and ENOSPC, no temporary file is left, the previous checkpoint loads);
 * an index write fails cleanly (a message naming the index and the full disk, nothing of the
 * transaction written, the file intact); once space is freed both work again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AtomicWriteError, isAtomicTempName } from '../../src-main/runs/atomic';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { mountSmallDisk } from './helpers';
import { sampleInit } from './sample';

const disk = mountSmallDisk('full', '4m');
if (typeof disk === 'string') console.warn(`diskFull.test.ts skipped: ${disk}`);

const WEIGHTS = 64 * 1024; // 256 KiB a checkpoint

function checkpoint(epoch: number) {
  return { epoch, step: epoch * 10, tensors: [{ name: 'w', shape: [WEIGHTS], data: new Float32Array(WEIGHTS).fill(epoch + 1) }] };
}

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected it to throw');
}

describe.skipIf(typeof disk === 'string')('the run store on a full disk (a real 4 MiB tmpfs)', () => {
  // Set up in beforeAll, not here: vitest runs a skipped describe's body too (to collect its tests),
  // where there is no disk to open a store on.
  const d = disk as Exclude<typeof disk, string>;
  let root = '';
  let store: RunStore;
  let id = '';
  let ckptDir = '';
  beforeAll(() => {
    root = path.join(d.dir, 'store');
    store = RunStore.open(root);
    id = store.createRun(sampleInit({ name: 'full disk', status: 'running' })).id;
    ckptDir = path.join(root, 'runs', id, 'checkpoints');
  });

  /** Empties the write-ahead log, so the next index write needs new blocks (as a long-running store's WAL does once it has grown to its limit). */
  const truncateWal = () => {
    const db = openDatabase(store.indexFile);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  };

  it('a checkpoint save fails with ENOSPC naming the file, leaves nothing behind, and the previous one loads', () => {
    store.saveCheckpoint(id, 'last', checkpoint(0));
    truncateWal();
    d.fill();
    const e = thrown(() => store.saveCheckpoint(id, 'last', checkpoint(1)));
    expect(e).toBeInstanceOf(AtomicWriteError);
    const a = e as AtomicWriteError;
    expect([a.code, a.step]).toEqual(['ENOSPC', 'write']);
    expect(a.path.startsWith(`${ckptDir}${path.sep}last-e1-`)).toBe(true);
    expect(a.message).toMatch(/^Could not write .*last-e1-.*\.bin: no space left on the device \(ENOSPC, during write\)$/);
    expect(fs.readdirSync(ckptDir).filter(isAtomicTempName)).toEqual([]);
    const last = store.loadCheckpoint(id, 'last');
    expect(last?.epoch).toBe(0);
    expect(last?.tensors[0]?.data.every((v) => v === 1)).toBe(true);
    expect(store.summary(id).lastCheckpoint).toEqual({ epoch: 0, step: 0 });
  });

  it('an index write fails cleanly, naming the index and the full disk; nothing of it is written', () => {
    const before = store.batchMetrics(id).length;
    const rows = Array.from({ length: 2000 }, (_, step) => ({ step, epoch: 0, batch: step, loss: 0.5, iou: 0.5, lr: 0.01, imagesPerSec: 100, time: Date.now() }));
    const e = thrown(() => store.appendBatchMetrics(id, rows));
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe(`Could not write the run index ${store.indexFile}: no space left on the device (SQLITE_FULL)`);
    expect(store.batchMetrics(id)).toHaveLength(before);
    expect(store.summary(id).status).toBe('running');
  });

  it('works again once space is freed, with the index intact', () => {
    d.free();
    store.appendBatchMetrics(id, [{ step: 0, epoch: 0, batch: 0, loss: 0.5, iou: 0.5, lr: 0.01, imagesPerSec: 100, time: Date.now() }]);
    store.saveCheckpoint(id, 'last', checkpoint(1));
    expect(store.loadCheckpoint(id, 'last')?.epoch).toBe(1);
    expect(store.loadCheckpoint(id, 'last', { previous: true })?.epoch).toBe(0);
    store.close();
    const db = openDatabase(path.join(root, 'index.sqlite'));
    expect(db.pragma('integrity_check')).toBe('ok');
    db.close();
  });
});
