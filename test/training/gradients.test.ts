import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/training/backend';
import { Rng } from '../../src-main/training/random';

type Fn = (...xs: tf.Tensor[]) => tf.Scalar;

/** Uniform values on [-1, 1] kept at least 0.05 from the kinks (0, ±0.5) of relu, abs, clip and where. */
function smoothInput(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x = 2 * rng.uniform() - 1;
    for (const k of [-0.5, 0, 0.5]) if (Math.abs(x - k) < 0.05) x = k + (x < k ? -0.05 : 0.05);
    v[i] = x;
  }
  return tf.tensor(v, shape);
}

/** Central differences of f with respect to each input, element by element. */
function numericGrads(f: Fn, xs: tf.Tensor[], eps: number): Float32Array[] {
  return xs.map((x, k) => {
    const base = x.dataSync().slice();
    const g = new Float32Array(base.length);
    const at = (i: number, d: number): number =>
      tf.tidy(() => {
        const v = base.slice();
        v[i] = (v[i] ?? 0) + d;
        const args = xs.map((t, j) => (j === k ? tf.tensor(v, x.shape) : t));
        return f(...args).dataSync()[0] ?? Number.NaN;
      });
    for (let i = 0; i < base.length; i++) g[i] = (at(i, eps) - at(i, -eps)) / (2 * eps);
    return g;
  });
}

/** Relative error of the analytic gradients against central differences: max|a - n| / max|n|. */
function gradError(f: Fn, xs: tf.Tensor[]): number {
  const analytic = tf.grads(f)(xs).map((t) => t.dataSync());
  const numeric = numericGrads(f, xs, 1e-2);
  let diff = 0;
  let scale = 0;
  numeric.forEach((n, k) => {
    const a = analytic[k];
    if (a === undefined) throw new Error(`no gradient for input ${k}`);
    for (let i = 0; i < n.length; i++) {
      diff = Math.max(diff, Math.abs((a[i] ?? 0) - (n[i] ?? 0)));
      scale = Math.max(scale, Math.abs(n[i] ?? 0));
    }
  });
  return diff / scale;
}

/** Float32 central differences with eps 1e-2 on functions of order 1: truncation ~1e-4, rounding ~1e-5. */
const TOL = 5e-3;

beforeAll(async () => {
  await selectBackend({ force: 'cpu' });
});

describe('training gradients', () => {
  it('cover every kernel a strict-ResNet U-Net forward pass and its loss record', async () => {
    const x = smoothInput([2, 13, 13, 3], 1);
    const k = smoothInput([3, 3, 3, 4], 2);
    const kt = smoothInput([3, 3, 4, 4], 3);
    const gamma = tf.ones([4]);
    const beta = tf.zeros([4]);
    const y = tf.randomUniform([2, 13, 13, 7]);
    const info = await tf.profile(() =>
      tf.tidy(() => {
        let h: tf.Tensor = tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 2, 'same');
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-3))), gamma), beta);
        h = tf.batchNorm(h, mean, variance, beta, gamma, 1e-3);
        h = tf.conv2dTranspose(tf.relu(h) as tf.Tensor4D, kt as tf.Tensor4D, [2, 13, 13, 4], 2, 'same');
        const p = tf.clipByValue(tf.sigmoid(tf.concat([h, x], 3)), 1e-7, 1 - 1e-7);
        const bce = tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))));
        return tf.add(bce, tf.sum(tf.square(p)));
      }),
    );
    const used = [...new Set(info.kernelNames)];
    expect(used).toContain('Conv2D');
    for (const name of used) expect(tf.getGradient(name)).toBeDefined();
    tf.dispose([x, k, kt, gamma, beta, y]);
  });

  it('arithmetic with broadcasting', () => {
    const a = smoothInput([2, 3], 10);
    const b = smoothInput([3], 11);
    const r = smoothInput([2, 3], 12);
    const f: Fn = (p, q) =>
      tf.sum(
        tf.mul(
          r,
          tf.addN([
            tf.div(tf.mul(tf.add(p!, q!), tf.sub(p!, q!)), tf.add(tf.square(q!), 1)),
            tf.squaredDifference(p!, q!),
            tf.maximum(p!, q!),
            tf.neg(tf.minimum(p!, tf.mul(q!, 0.5))),
          ]),
        ),
      );
    expect(gradError(f, [a, b])).toBeLessThan(TOL);
  });

  it('unary activations and their kinks', () => {
    const a = smoothInput([12], 20);
    const r = smoothInput([12], 21);
    const f: Fn = (p) => {
      const sq = tf.add(tf.square(p!), 1);
      return tf.sum(
        tf.mul(
          r,
          tf.addN([
            tf.exp(tf.mul(p!, 0.3)),
            tf.softplus(p!),
            tf.log1p(tf.abs(p!)),
            tf.log(sq),
            tf.sqrt(sq),
            tf.rsqrt(sq),
            tf.sigmoid(p!),
            tf.relu(p!),
            tf.clipByValue(p!, -0.5, 0.5),
            tf.where(tf.greater(p!, 0), p!, tf.mul(p!, 2)),
            tf.cast(p!, 'float32'),
          ]),
        ),
      );
    };
    expect(gradError(f, [a])).toBeLessThan(TOL);
  });

  it('reductions and shape kernels', () => {
    const a = smoothInput([2, 3, 4], 30);
    const b = smoothInput([2, 3, 2], 31);
    const f: Fn = (p, q) => {
      const c = tf.concat([p!, q!], 2); // [2, 3, 6]
      const t = tf.transpose(c, [2, 0, 1]); // [6, 2, 3]
      const s = tf.pad(tf.slice(t, [1, 0, 1], [4, 2, 2]), [[0, 0], [1, 0], [0, 2]]); // [4, 3, 4]
      const m = tf.mean(tf.mul(s, tf.reshape(tf.range(0, 48), [4, 3, 4])), [0, 2]);
      return tf.add(tf.sum(tf.mul(m, tf.expandDims(tf.sum(q!, [0, 2]), 0))), tf.mean(tf.square(c)));
    };
    expect(gradError(f, [a, b])).toBeLessThan(TOL);
  });

  it('conv2d (stride 2), conv2dTranspose (explicit output shape) and batch norm', () => {
    const x = smoothInput([2, 5, 5, 2], 40);
    const w = smoothInput([3, 3, 2, 3], 41);
    const wt = smoothInput([3, 3, 2, 3], 42);
    const gamma = smoothInput([3], 43);
    const r = smoothInput([2, 5, 5, 2], 44);
    const f: Fn = (xi, wi, wti, gi) => {
      const c = tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 2, 'same'); // [2, 3, 3, 3]
      const { mean, variance } = tf.moments(c, [0, 1, 2]);
      const bn = tf.batchNorm(c, mean, variance, tf.zeros([3]), gi!, 1e-3);
      const up = tf.conv2dTranspose(bn as tf.Tensor4D, wti as tf.Tensor4D, [2, 5, 5, 2], 2, 'same');
      return tf.sum(tf.mul(up, r));
    };
    expect(gradError(f, [x, w, wt, gamma])).toBeLessThan(TOL);
  });
});
