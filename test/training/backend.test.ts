import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_ORDER,
  BackendUnavailableError,
  describeBackend,
  selectBackend,
} from '../../src-main/training/backend';
import { physicalCoreCount } from '../../src-main/training/wasm/cores';
import { MAX_WASM_THREADS } from '../../src-main/training/wasm/threads';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const nodeInstalled = installed('@tensorflow/tfjs-node');
const gpuInstalled = installed('@tensorflow/tfjs-node-gpu');

describe('selectBackend', () => {
  it('takes the first usable backend in order and says why it skipped the others', async () => {
    const r = await selectBackend();
    const index = BACKEND_ORDER.indexOf(r.name);
    expect(r.skipped.map((s) => s.name)).toEqual(BACKEND_ORDER.slice(0, index));
    for (const s of r.skipped) expect(s.reason.length).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe(r.tfBackend);
    if (!gpuInstalled) expect(r.skipped[0]).toEqual({ name: 'tfjs-node-gpu', reason: 'not installed' });
    if (!gpuInstalled && !nodeInstalled) {
      expect(r.name).toBe('wasm');
      expect(r.skipped.find((s) => s.name === 'tfjs-node')).toEqual({ name: 'tfjs-node', reason: 'not installed' });
    }
  });

  it('starts wasm with one thread per physical core (threaded build under Node) and says so', async () => {
    const r = await selectBackend({ force: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    const cores = Math.min(physicalCoreCount(), MAX_WASM_THREADS);
    expect(r.threads).toBe(cores);
    expect(r.detail).toBe(`${cores} thread${cores === 1 ? '' : 's'} · SIMD`);
    // One core: the single-threaded build, with a note only if more were wanted.
    if (cores > 1) expect(r.notes).toEqual([]);
    expect(r.skipped).toEqual([]);
  });

  it('can force cpu', async () => {
    const r = await selectBackend({ force: 'cpu' });
    expect(r).toMatchObject({ name: 'cpu', tfBackend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it.runIf(!nodeInstalled)('rejects a forced backend that is not installed, naming why', async () => {
    const err: unknown = await selectBackend({ force: 'tfjs-node' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(String(err)).toContain("Backend 'tfjs-node' is unavailable: not installed");
  });

  it('registers the training gradients on whichever backend it picks', async () => {
    await selectBackend({ force: 'cpu' });
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2, 3]));
    // d/dx sum(x^2) = 2x
    expect(Array.from(g.dataSync())).toEqual([2, -4, 6]);
  });
});

describe('describeBackend', () => {
  it('joins name and detail', () => {
    expect(describeBackend({ name: 'wasm', tfBackend: 'wasm', detail: '1 thread · SIMD', threads: 1, skipped: [] })).toBe(
      'wasm · 1 thread · SIMD',
    );
  });
});
