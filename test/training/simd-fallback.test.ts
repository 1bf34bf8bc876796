/**
 * Strata's SIMD kernels when their worker threads fail: the call in flight fails with a clear
 * error, the set says why and goes on with one thread, and its results stay right. A file of its
 * own: it breaks the backend's kernel set for the rest of the process.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/training/backend';
import { heapOffset } from '../../src-main/training/wasm/backend-kernels';
import { SimdKernels, simdKernels } from '../../src-main/training/wasm/simd-kernels';

function filterGrad(x: tf.Tensor, dy: tf.Tensor): Float32Array {
  return tf.tidy(
    () =>
      (tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 16, 16] }) as tf.Tensor).dataSync() as Float32Array,
  );
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
    s = Math.max(s, Math.abs(b[i] ?? 0));
  }
  return d / s;
}

beforeAll(async () => {
  await selectBackend({ force: 'wasm' });
});

describe('SIMD kernel workers', () => {
  it('a dead worker fails the call in flight, then the kernels run on one thread with the same results', async () => {
    const simd = simdKernels(tf.backend() as BackendWasm);
    if (simd === null) throw new Error('the SIMD kernels must run on this machine');
    // This machine has 2 cores: one worker beside the calling thread.
    expect(simd.threads).toBeGreaterThan(1);
    const x = tf.randomUniform([4, 26, 26, 16], -1, 1, 'float32', 1);
    const dy = tf.randomUniform([4, 26, 26, 16], -1, 1, 'float32', 2);
    const before = filterGrad(x, dy);

    // Kill a worker for real; the next call cannot finish its share and must not hang.
    const worker = simd.workerThreads()[0];
    await worker?.terminate();
    simd.workerTimeoutMs = 500;
    // Its 'exit' event may already have been handled (then the set is on one thread and the call
    // succeeds), or not yet (then the call times out with a clear error). Either way: no hang.
    let failure: unknown = null;
    try {
      filterGrad(x, dy);
    } catch (err) {
      failure = err;
    }
    if (failure !== null) expect(String(failure)).toMatch(/kernel worker 1 did not answer in 0.5 s/);
    expect(simd.threads).toBe(1);
    expect(simd.note).toMatch(/one thread/);

    const after = filterGrad(x, dy);
    expect(maxRelDiff(after, before)).toBeLessThan(1e-5);
    tf.dispose([x, dy]);
  });

  it('a worker that does not answer in time fails the call with a clear error, and the set goes on with one thread', async () => {
    const backend = tf.backend() as BackendWasm;
    // A set of its own (the backend's stays as it is).
    const set = SimdKernels.create(backend);
    if (set === null) throw new Error('the SIMD kernels must run on this machine');
    expect(set.threads).toBeGreaterThan(1);
    const worker = set.workerThreads()[0];
    const x = tf.randomUniform([8, 101, 101, 16]);
    const rows = x.size / 16;
    const sums = set.malloc(2 * 16 * 8);
    // The worker's share: 512 MiB (malloc'd, never written, so it reads zeros), which takes 13 ms
    // to sum on one core here with its pages in memory and ~180 ms on first touch: far past the
    // 1 ms the call will wait. The calling thread's share is one row.
    const slowBytes = 512 * 2 ** 20;
    const slow = set.malloc(slowBytes);
    try {
      set.workerTimeoutMs = 1;
      const xPtr = heapOffset(backend, x);
      expect(() => set.run('col_moments', [[xPtr, 1, 16, 0, sums, 0], [slow, slowBytes / 64, 16, 0, sums + 128, 0]])).toThrow(
        /col_moments: kernel worker 1 did not answer in 0.001 s/,
      );
      expect(set.threads).toBe(1);
      expect(set.note).toMatch(/stopped answering.*one thread/);
      // The worker was stopped: wait for it before freeing memory it may have been reading or writing.
      if (worker !== undefined && worker.threadId !== -1) await new Promise((resolve) => worker.once('exit', resolve));
      new Float64Array(set.heap, sums, 32).fill(0);
      set.run('col_moments', [[xPtr, rows, 16, 0, sums, 0]]);
      const total = new Float64Array(set.heap, sums, 16).reduce((a, b) => a + b, 0);
      const exact = (x.dataSync() as Float32Array).reduce((a, b) => a + b, 0);
      expect(Math.abs(total - exact) / exact).toBeLessThan(1e-6);
    } finally {
      set.free(slow);
      set.free(sums);
      tf.dispose(x);
    }
  });
});
