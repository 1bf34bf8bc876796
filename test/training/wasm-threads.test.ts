/**
 * The threaded wasm build under Node: the backend report names the thread count, and convolutions
 * (XNNPACK's own and this repo's gradient kernels, which call XNNPACK through the module) give the
 * cpu backend's numbers. Runs in its own process: the thread count is fixed once wasm starts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, selectBackend, type BackendReport } from '../../src-main/training/backend';
import { Rng } from '../../src-main/training/random';
import { livePthreadWorkers } from '../../src-main/training/wasm/node-workers';

const TOL = 1e-4;

function random(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = 2 * rng.uniform() - 1;
  return tf.tensor(data, shape);
}

/** The conv layer's forward output and its three gradients, with fresh tensors on the current backend. */
function convForwardBackward(seed: number, stride: 1 | 2): Float32Array[] {
  return tf.tidy(() => {
    const x = random([2, 51, 51, 8], seed) as tf.Tensor4D;
    const w = random([3, 3, 8, 16], seed + 1) as tf.Tensor4D;
    const wt = random([3, 3, 8, 16], seed + 2) as tf.Tensor4D;
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'same');
      // The transposed conv back to the input size exercises Conv2DBackpropInput as a forward op too.
      const back = tf.conv2dTranspose(tf.relu(y), c as tf.Tensor4D, [2, 51, 51, 8], stride, 'same');
      return tf.sum(tf.mul(back, tf.sin(a)));
    };
    const y = tf.conv2d(x, w, stride, 'same');
    const [dx, dw, dwt] = tf.grads(f)([x, w, wt]) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return [y, dx, dw, dwt].map((t) => t.dataSync() as Float32Array);
  });
}

function relError(a: Float32Array[], b: Float32Array[]): number {
  let diff = 0;
  let scale = 0;
  b.forEach((bi, k) => {
    const ai = a[k] ?? new Float32Array(0);
    expect(ai.length).toBe(bi.length);
    for (let i = 0; i < bi.length; i++) {
      diff = Math.max(diff, Math.abs((ai[i] ?? 0) - (bi[i] ?? 0)));
      scale = Math.max(scale, Math.abs(bi[i] ?? 0));
    }
  });
  return diff / scale;
}

let report: BackendReport;

beforeAll(async () => {
  await selectBackend({ force: 'cpu' });
  report = await selectBackend({ force: 'wasm', wasm: { threads: 2 } });
});

describe('threaded wasm under Node', () => {
  it('reports two threads, SIMD, and no caveat', () => {
    expect(report.threads).toBe(2);
    expect(report.detail).toBe('2 threads · SIMD');
    expect(describeBackend(report)).toBe('wasm · 2 threads · SIMD');
    expect(report.notes).toEqual([]);
    // The module's pthread pool: at least the one worker XNNPACK's second thread runs on.
    expect(livePthreadWorkers()).toBeGreaterThanOrEqual(1);
  });

  it('keeps its thread count when selected again', async () => {
    await selectBackend({ force: 'cpu' });
    const again = await selectBackend({ force: 'wasm', wasm: { threads: 1 } });
    expect(again.threads).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
  });

  for (const stride of [1, 2] as const) {
    it(`conv forward and backward (stride ${stride}) equal the cpu backend within ${TOL}`, async () => {
      await tf.setBackend('cpu');
      const expected = convForwardBackward(10 * stride, stride);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const got = convForwardBackward(10 * stride, stride);
      expect(tf.memory().numTensors).toBe(before);
      expect(relError(got, expected)).toBeLessThan(TOL);
    });
  }
});
