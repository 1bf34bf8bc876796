import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointTensor } from '../../shared/runs/types';
import { CheckpointCorruptError, RunInputError } from '../../src-main/runs/errors';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from './helpers';
import { sampleInit } from './sample';

let store: RunStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
});

function openRun(tag: string): { store: RunStore; id: string; dir: string } {
  const root = scratchDir(tag);
  store = RunStore.open(root);
  const id = store.createRun(sampleInit()).id;
  return { store, id, dir: path.join(root, 'runs', id, 'checkpoints') };
}

/** Values whose bits a careless round trip would change: NaN payloads, -0, subnormals, infinities. */
function awkwardFloats(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = ((x / 2 ** 32) * 2 - 1) * 10;
  }
  const v = new DataView(a.buffer);
  v.setUint32(0, 0x7fc01234, true); // a quiet NaN with a payload
  a[1] = -0;
  a[2] = 1e-45; // smallest subnormal
  a[3] = -Infinity;
  return a;
}

function tensor(name: string, shape: number[], seed: number): CheckpointTensor {
  return { name, shape, data: awkwardFloats(shape.reduce((p, d) => p * d, 1), seed) };
}

function checkpoint(epoch: number): Checkpoint {
  // A view that does not start at its buffer's first byte, as tfjs's dataSync can hand out.
  const backing = new Float32Array(20);
  backing.set(awkwardFloats(20, 99 + epoch));
  const view = new Float32Array(backing.buffer, 8, 6);
  return {
    epoch,
    step: epoch * 100,
    tensors: [tensor('stem/kernel', [3, 3, 1, 8], epoch), tensor('stem/bias', [8], epoch + 1), { name: 'view', shape: [2, 3], data: view }, { name: 'empty', shape: [0, 4], data: new Float32Array(0) }],
    optimizer: { name: 'sgd', iterations: epoch * 100, tensors: [tensor('stem/kernel/momentum', [3, 3, 1, 8], epoch + 2)] },
    rng: [123456789, 362436069, 521288629, 88675123],
    extra: { plateau: { best: 0.61, wait: 2, lr: 0.005 } },
  };
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
}

function expectSame(got: Checkpoint | null, want: Checkpoint): void {
  expect(got).not.toBeNull();
  if (!got) return;
  expect([got.epoch, got.step, got.rng, got.extra]).toEqual([want.epoch, want.step, want.rng, want.extra]);
  const all = (c: Checkpoint) => [...c.tensors, ...(c.optimizer?.tensors ?? [])];
  expect(all(got).map((t) => [t.name, t.shape])).toEqual(all(want).map((t) => [t.name, t.shape]));
  all(got).forEach((t, i) => {
    const w = all(want)[i];
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(bits(t.data)).toEqual(w ? bits(w.data) : []);
  });
  expect(got.optimizer?.iterations).toBe(want.optimizer?.iterations);
}

describe('RunStore: checkpoints', () => {
  it('round-trips weights, optimizer state, rng and extra bit for bit', () => {
    const { store, id } = openRun('ckpt');
    expect(store.loadCheckpoint(id, 'last')).toBeNull();
    const c = checkpoint(3);
    store.saveCheckpoint(id, 'last', c);
    expectSame(store.loadCheckpoint(id, 'last'), c);
    expect(store.summary(id).lastCheckpoint).toEqual({ epoch: 3, step: 300 });
    expect(store.checkpointInfo(id, 'last')).toMatchObject({ epoch: 3, step: 300, bytes: (72 + 8 + 6 + 72) * 4 });
    expect(store.loadCheckpoint(id, 'best')).toBeNull();
  });

  it("saves a trainer state whose best scores are still -Infinity (an early stop's first epoch), and reads them back as -Infinity", () => {
    const { store, id } = openRun('ckpt-inf');
    const c = { ...checkpoint(1), extra: { early: { best: -Infinity, wait: 0 }, plateau: { best: -Infinity, wait: 1, lr: 0.01 } } };
    store.saveCheckpoint(id, 'last', c);
    expect(store.loadCheckpoint(id, 'last')?.extra).toEqual(c.extra);
    // Saved again as read (a rewind, a before-jump copy): the same.
    const again = store.loadCheckpoint(id, 'last');
    if (again) store.saveCheckpoint(id, 'last', { ...again, epoch: 2, step: 200 });
    expect(store.loadCheckpoint(id, 'last')?.extra).toEqual(c.extra);
  });

  it('keeps best and last apart, and only the current and previous data files of each', () => {
    const { store, id, dir } = openRun('kinds');
    for (let e = 1; e <= 4; e++) store.saveCheckpoint(id, 'last', checkpoint(e));
    store.saveCheckpoint(id, 'best', checkpoint(2));
    expectSame(store.loadCheckpoint(id, 'last'), checkpoint(4));
    expectSame(store.loadCheckpoint(id, 'last', { previous: true }), checkpoint(3));
    expectSame(store.loadCheckpoint(id, 'best'), checkpoint(2));
    const data = fs.readdirSync(dir).filter((n) => n.endsWith('.bin')).sort();
    expect(data.map((n) => n.replace(/-[0-9a-f]{8}\.bin$/, ''))).toEqual(['best-e2-s200', 'last-e3-s300', 'last-e4-s400']);
  });

  it('refuses a torn checkpoint with a clear message, and the previous one still loads', () => {
    const { store, id, dir } = openRun('torn');
    store.saveCheckpoint(id, 'last', checkpoint(1));
    store.saveCheckpoint(id, 'last', checkpoint(2));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'last.json'), 'utf8')) as { data: { file: string } };
    const previous = JSON.parse(fs.readFileSync(path.join(dir, 'last.prev.json'), 'utf8')) as { data: { file: string } };
    // Same size, other contents: the data of one save under the manifest of another.
    fs.copyFileSync(path.join(dir, previous.data.file), path.join(dir, manifest.data.file));
    let err: unknown = null;
    try {
      store.loadCheckpoint(id, 'last');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    const msg = err instanceof Error ? err.message : '';
    expect(msg).toContain(path.join(dir, 'last.json'));
    expect(msg).toContain(manifest.data.file);
    expect(msg).toMatch(/do not match \(a torn or damaged save\)/);
    expect(msg).toMatch(/previous last checkpoint .* \(epoch 1, step 100\) is intact/);
    expectSame(store.loadCheckpoint(id, 'last', { previous: true }), checkpoint(1));
    // The next save never keeps the damaged one as its fallback: the intact older one stays.
    store.saveCheckpoint(id, 'last', checkpoint(3));
    expectSame(store.loadCheckpoint(id, 'last'), checkpoint(3));
    expectSame(store.loadCheckpoint(id, 'last', { previous: true }), checkpoint(1));
    expect(fs.existsSync(path.join(dir, manifest.data.file))).toBe(false);
  });

  it('refuses a truncated data file and a damaged manifest', () => {
    const { store, id, dir } = openRun('trunc');
    store.saveCheckpoint(id, 'best', checkpoint(1));
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8')) as { data: { file: string; bytes: number } };
    fs.truncateSync(path.join(dir, m.data.file), m.data.bytes - 4);
    expect(() => store.loadCheckpoint(id, 'best')).toThrow(new RegExp(`expects ${m.data.file.replace('.', '\\.')} to hold ${m.data.bytes} bytes .* the file has ${m.data.bytes - 4} bytes`));
    fs.writeFileSync(path.join(dir, 'best.json'), '{"format":"strata-checkpoint","vers');
    expect(() => store.loadCheckpoint(id, 'best')).toThrow(/best\.json: not valid JSON/);
  });

  it('survives a save killed between its data file and its manifest', () => {
    const { store, id, dir } = openRun('halfsave');
    store.saveCheckpoint(id, 'last', checkpoint(1));
    // What such a crash leaves: a new complete data file no manifest names, and a temp file.
    fs.writeFileSync(path.join(dir, 'last-e2-s200-0badc0de.bin'), Buffer.alloc(64, 1));
    fs.writeFileSync(path.join(dir, '.last-e3-s300-12345678.bin.4242.abcdef01.tmp'), Buffer.alloc(64, 1));
    expectSame(store.loadCheckpoint(id, 'last'), checkpoint(1));
    store.saveCheckpoint(id, 'last', checkpoint(2));
    expect(fs.readdirSync(dir).filter((n) => n.includes('0badc0de') || n.endsWith('.tmp'))).toEqual([]);
    expectSame(store.loadCheckpoint(id, 'last'), checkpoint(2));
  });

  it('refuses tensors whose shape does not fit their data', () => {
    const { store, id } = openRun('shape');
    const bad: Checkpoint = { epoch: 1, step: 1, tensors: [{ name: 'w', shape: [2, 3], data: new Float32Array(5) }] };
    expect(() => store.saveCheckpoint(id, 'last', bad)).toThrow(RunInputError);
    expect(() => store.saveCheckpoint(id, 'last', bad)).toThrow(/tensor w of shape \[2, 3\] needs 6 values, has 5/);
    expect(store.loadCheckpoint(id, 'last')).toBeNull();
  });
});
