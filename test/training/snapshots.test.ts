/**
 * The snapshot ring of a run (RunStore.saveSnapshot and friends): real files in a real run store.
 * It keeps the last K epochs' weights, one small file each, and nothing of a timeline a resume left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../shared/runs/types';
import { RunStore } from '../../src-main/runs/store';
import { sampleInit } from '../runs/sample';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-snapshots-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function ckpt(epoch: number, value = epoch): Checkpoint {
  return {
    epoch,
    step: 10 * epoch,
    tensors: [{ name: 'w', shape: [2, 3], data: new Float32Array(6).fill(value) }],
    optimizer: { name: 'adam', iterations: 10 * epoch, tensors: [{ name: 'w/m', shape: [2, 3], data: new Float32Array(6).fill(-value) }] },
    rng: [1, 2, 3],
    extra: { norm: { mean: 100, std: 40 }, lr: 0.001 },
  };
}

/** Every file under `dir`, relative to it. */
function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe('the snapshot ring', () => {
  const store = RunStore.open(path.join(root, 'a'));
  afterAll(() => store.close());
  const id = store.createRun(sampleInit()).id;
  const ring = path.join(store.runsDir, id, 'checkpoints', 'snapshots');

  it('keeps the last K epochs, one weights file each', () => {
    expect(store.snapshots(id)).toEqual([]);
    for (let e = 0; e < 5; e++) store.saveSnapshot(id, ckpt(e), 3);
    expect(store.snapshots(id).map((s) => s.epoch)).toEqual([2, 3, 4]);
    const bins = files(ring).filter((f) => f.endsWith('.bin'));
    expect(bins).toHaveLength(3);
    // A manifest and a data file per entry, nothing else (no previous copy kept).
    expect(files(ring)).toHaveLength(6);
    // Weights only: 6 float32 values, no optimizer slots.
    expect(store.snapshots(id).map((s) => s.bytes)).toEqual([24, 24, 24]);
  });

  it('reads back the weights and the normalisation, without optimizer state or random state', () => {
    const s = store.loadSnapshot(id, 3);
    expect(s?.epoch).toBe(3);
    expect(s?.step).toBe(30);
    expect(Array.from(s?.tensors[0]?.data ?? [])).toEqual([3, 3, 3, 3, 3, 3]);
    expect(s?.extra?.norm).toEqual({ mean: 100, std: 40 });
    expect(s?.optimizer).toBeUndefined();
    expect(s?.rng).toBeUndefined();
    expect(store.loadSnapshot(id, 1)).toBeNull();
    expect(() => store.loadSnapshot(id, -1)).toThrow(/snapshot epoch is a non-negative integer, got -1/);
  });

  it('drops the entries of a timeline a resume left: saving epoch 3 again removes 3 and 4 first', () => {
    store.saveSnapshot(id, ckpt(3, 33), 3);
    expect(store.snapshots(id).map((s) => s.epoch)).toEqual([2, 3]);
    expect(Array.from(store.loadSnapshot(id, 3)?.tensors[0]?.data ?? [])).toEqual([33, 33, 33, 33, 33, 33]);
    store.saveSnapshot(id, ckpt(4, 44), 3);
    store.saveSnapshot(id, ckpt(5, 55), 3);
    expect(store.snapshots(id).map((s) => s.epoch)).toEqual([3, 4, 5]);
  });

  it('clears what a killed save left, and refuses a ring of less than one', () => {
    // A save killed after its data file but before its manifest leaves a folder without a manifest.
    fs.mkdirSync(path.join(ring, 'e1'));
    fs.writeFileSync(path.join(ring, 'e1', 'snapshot-e1-s10-0123abcd.bin'), 'partial');
    expect(store.snapshots(id).map((s) => s.epoch)).toEqual([3, 4, 5]);
    store.saveSnapshot(id, ckpt(6), 3);
    expect(store.snapshots(id).map((s) => s.epoch)).toEqual([4, 5, 6]);
    expect(fs.existsSync(path.join(ring, 'e1'))).toBe(false);
    expect(() => store.saveSnapshot(id, ckpt(7), 0)).toThrow(/keeps at least 1 entry, got 0/);
  });

  it('goes with the run when the run is deleted', () => {
    expect(files(ring).length).toBeGreaterThan(0);
    store.delete(id);
    expect(fs.existsSync(ring)).toBe(false);
  });
});
