import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/training/backend';
import { Rng } from '../../src-main/training/random';
import { WASM_TRAINING_KERNELS } from '../../src-main/training/wasm/register';

type Shape4 = [number, number, number, number];
interface Input {
  shape: number[];
  data: Float32Array;
}

let seed = 1;
function randomInput(shape: number[]): Input {
  const rng = new Rng(seed++);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = 2 * rng.uniform() - 1;
  return { shape, data };
}

/** Runs `f` on `backend` with fresh tensors for `inputs`; returns every output's values and checks nothing leaked. */
function runOn(backend: 'wasm' | 'cpu', inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
  const out = tf.tidy(() => f(...xs));
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  tf.dispose(xs);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

/** max|a - b| / max|b|, over all outputs. */
function relError(a: Float32Array[], b: Float32Array[]): number {
  let diff = 0;
  let scale = 0;
  b.forEach((bi, k) => {
    const ai = a[k];
    if (ai === undefined || ai.length !== bi.length) throw new Error(`output ${k} differs in size`);
    for (let i = 0; i < bi.length; i++) {
      diff = Math.max(diff, Math.abs((ai[i] ?? 0) - (bi[i] ?? 0)));
      scale = Math.max(scale, Math.abs(bi[i] ?? 0));
    }
  });
  return diff / scale;
}

function compare(inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): number {
  const b = runOn('cpu', inputs, f);
  const a = runOn('wasm', inputs, f);
  return relError(a, b);
}

const TOL = 1e-4;

beforeAll(async () => {
  await selectBackend({ force: 'cpu' });
  await selectBackend({ force: 'wasm' });
});

describe('wasm training kernels', () => {
  it('are registered on wasm', () => {
    for (const k of WASM_TRAINING_KERNELS) expect(tf.getKernel(k.kernelName, 'wasm')).toBeDefined();
  });

  // [batch, height, width, inC, outC, kernel, stride, pad]
  const cases: [number, number, number, number, number, number, number, 'same' | 'valid'][] = [
    [2, 13, 13, 3, 4, 3, 1, 'same'],
    [2, 13, 13, 3, 4, 3, 2, 'same'],
    [3, 12, 12, 2, 5, 3, 2, 'same'],
    [2, 26, 26, 3, 2, 1, 2, 'same'],
    [2, 51, 51, 2, 3, 5, 2, 'same'],
    [2, 101, 101, 2, 3, 3, 2, 'same'],
    [2, 101, 101, 1, 2, 5, 1, 'same'],
    [2, 13, 10, 3, 4, 3, 2, 'same'],
    [2, 12, 12, 3, 4, 3, 2, 'valid'],
    [2, 13, 13, 3, 4, 5, 1, 'valid'],
  ];
  for (const [n, h, w, ci, co, k, s, pad] of cases) {
    it(`Conv2DBackpropFilter ${n}x${h}x${w}x${ci} -> ${co}, ${k}x${k}, stride ${s}, ${pad}`, () => {
      const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [k, k, ci, co], s, 1, pad);
      const x = randomInput([n, h, w, ci]);
      const dy = randomInput([n, info.outHeight, info.outWidth, co]);
      const err = compare([x, dy], (xt, dyt) =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xt!, dy: dyt! }, { strides: s, pad, dataFormat: 'NHWC', filterShape: [k, k, ci, co] }) as tf.Tensor,
      );
      expect(err).toBeLessThan(TOL);
    });
  }

  it('leaves no backend data behind', () => {
    tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.randomUniform([2, 13, 13, 3]);
    const dy = tf.randomUniform([2, 7, 7, 4]);
    const before = backend.numDataIds();
    const out = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] }) as tf.Tensor;
    expect(backend.numDataIds()).toBe(before + 1);
    tf.dispose([out, x, dy]);
    expect(backend.numDataIds()).toBe(before - 2);
  });

  for (const [h, k, s] of [[101, 3, 1], [101, 3, 2], [51, 5, 2], [26, 1, 2], [13, 3, 2]] as const) {
    it(`conv2d gradients (x and filter), ${h}x${h}, ${k}x${k}, stride ${s}`, () => {
      const x = randomInput([2, h, h, 2]);
      const wt = randomInput([k, k, 2, 3]);
      const r = randomInput([2, Math.ceil(h / s), Math.ceil(h / s), 3]);
      const err = compare([x, wt, r], (xt, wtt, rt) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, 'same'), rt!)))([xt!, wtt!]),
      );
      expect(err).toBeLessThan(TOL);
    });
  }

  for (const [h, o] of [[13, 26], [26, 51], [51, 101]] as const) {
    it(`conv2dTranspose gradients, ${h} -> ${o}, stride 2`, () => {
      const x = randomInput([2, h, h, 3]);
      const wt = randomInput([3, 3, 2, 3]); // [kh, kw, out, in]
      const r = randomInput([2, o, o, 2]);
      const shape: Shape4 = [2, o, o, 2];
      const err = compare([x, wt, r], (xt, wtt, rt) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, shape, 2, 'same'), rt!)))([xt!, wtt!]),
      );
      expect(err).toBeLessThan(TOL);
    });
  }

  it('variableGrads of conv -> batch norm -> relu -> conv2dTranspose -> sigmoid -> mean match cpu', () => {
    const x = randomInput([3, 13, 13, 2]);
    const k1 = randomInput([3, 3, 2, 4]);
    const kt = randomInput([3, 3, 2, 4]);
    const gamma = randomInput([4]);
    const beta = randomInput([4]);
    const target = randomInput([3, 26, 26, 2]);
    const grads = (backend: 'wasm' | 'cpu'): Float32Array[] =>
      runOn(backend, [x, k1, kt, gamma, beta, target], (xt, k1t, ktt, gt, bt, tt) => {
        const vars = [k1t!, ktt!, gt!, bt!].map((t, i) => tf.variable(t, true, `${backend}_v${i}_${seed}`));
        const [vk1, vkt, vg, vb] = vars as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
        const { value, grads: g } = tf.variableGrads(() => {
          const c = tf.conv2d(xt as tf.Tensor4D, vk1 as tf.Tensor4D, 1, 'same');
          // Batch norm written out (as the model builder does) and through tf.batchNorm, both trained.
          const { mean, variance } = tf.moments(c, [0, 1, 2]);
          const bn1 = tf.add(tf.mul(tf.div(tf.sub(c, mean), tf.sqrt(tf.add(variance, 1e-3))), vg), vb);
          const bn2 = tf.batchNorm(bn1, mean, variance, vb, vg, 1e-3);
          const up = tf.conv2dTranspose(tf.relu(bn2) as tf.Tensor4D, vkt as tf.Tensor4D, [3, 26, 26, 2], 2, 'same');
          const p = tf.clipByValue(tf.sigmoid(up), 1e-6, 1 - 1e-6);
          // Binary cross-entropy against a random soft target, so every weight matters.
          const t = tf.div(tf.add(tt!, 1), 2);
          return tf.neg(tf.mean(tf.add(tf.mul(t, tf.log(p)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, p)))))) as tf.Scalar;
        });
        const out = [value, ...vars.map((v) => g[v.name] as tf.Tensor)];
        const copies = out.map((t) => tf.clone(t));
        tf.dispose([...out, ...vars]);
        return copies;
      });
    const a = grads('wasm');
    const b = grads('cpu');
    expect(b).toHaveLength(5);
    b.forEach((bi, i) => expect(relError([a[i]!], [bi])).toBeLessThan(TOL));
  });
});
