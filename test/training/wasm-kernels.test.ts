import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/training/backend';
import { Rng } from '../../src-main/training/random';
import { batchNormTrain } from '../../src-main/training/wasm/batch-norm';
import { axisPhases } from '../../src-main/training/wasm/conv-phases';
import { WASM_TRAINING_KERNELS } from '../../src-main/training/wasm/register';
import { simdKernels } from '../../src-main/training/wasm/simd-kernels';
import { BackendWasm, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

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

  it("run Strata's SIMD kernels on as many threads as the backend (so the cases below test them)", () => {
    tf.setBackend('wasm');
    const simd = simdKernels(tf.backend() as BackendWasm);
    expect(simd).not.toBeNull();
    expect(simd?.threads).toBe(getThreadsCount());
    expect(simd?.note).toBeNull();
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
    [3, 26, 26, 16, 32, 3, 2, 'same'],
    [2, 13, 13, 32, 8, 5, 2, 'same'],
    [2, 51, 51, 8, 16, 1, 1, 'same'],
    [2, 10, 10, 4, 4, 4, 2, 'same'],
    [2, 14, 11, 3, 5, 3, 3, 'valid'],
    // Channels that take the SIMD loop (cin % 4, cout % 8), split over threads when large.
    [2, 13, 13, 4, 8, 3, 1, 'same'],
    [2, 40, 40, 16, 16, 3, 1, 'same'],
    [2, 51, 51, 16, 32, 3, 2, 'same'],
    [2, 26, 26, 32, 16, 3, 2, 'same'],
    [2, 14, 11, 4, 8, 3, 3, 'valid'],
    [2, 10, 10, 8, 8, 4, 2, 'same'],
    [2, 13, 12, 12, 24, 5, 2, 'valid'],
    [3, 7, 7, 32, 64, 3, 1, 'same'],
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

  // Conv2D and FusedConv2D (bias): the direct SIMD loop takes cin % 4, cout % 8 and channel
  // products up to 128 x 128; the rest goes to XNNPACK. Narrow images and widths that are not a
  // multiple of 4 test the edges and a row's partial last block.
  // [batch, height, width, inC, outC, kernel, stride, pad, bias]
  const convCases: [number, number, number, number, number, number, number, 'same' | 'valid', boolean][] = [
    [2, 13, 13, 4, 8, 3, 1, 'same', false],
    [2, 13, 13, 4, 8, 3, 1, 'same', true],
    [3, 26, 26, 16, 16, 3, 1, 'same', true],
    [2, 51, 51, 16, 32, 3, 2, 'same', true],
    [2, 14, 11, 8, 24, 5, 2, 'valid', true],
    [2, 10, 10, 8, 8, 4, 2, 'same', false],
    [2, 3, 2, 4, 8, 3, 1, 'same', true],
    [2, 7, 6, 4, 16, 5, 1, 'same', true],
    [2, 9, 9, 32, 64, 3, 1, 'same', true],
    [2, 9, 9, 64, 64, 3, 1, 'same', true],
    [2, 9, 9, 3, 8, 3, 1, 'same', true],
    [2, 7, 7, 128, 128, 3, 1, 'same', true],
    [2, 13, 13, 64, 128, 3, 2, 'same', true],
    [2, 6, 5, 128, 136, 3, 1, 'same', true],
  ];
  for (const [n, h, w, ci, co, k, s, pad, withBias] of convCases) {
    it(`Conv2D${withBias ? ' + bias' : ''} ${n}x${h}x${w}x${ci} -> ${co}, ${k}x${k}, stride ${s}, ${pad}`, () => {
      const x = randomInput([n, h, w, ci]);
      const wt = randomInput([k, k, ci, co]);
      const b = randomInput([co]);
      const err = compare([x, wt, b], (xt, wtt, bt) =>
        withBias
          ? tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: wtt as tf.Tensor4D, strides: s, pad, bias: bt })
          : tf.conv2d(xt as tf.Tensor4D, wtt as tf.Tensor4D, s, pad),
      );
      expect(err).toBeLessThan(TOL);
    });
  }

  // Conv2DBackpropInput is conv2d's input gradient and conv2dTranspose's forward pass.
  // [batch, height, width, inC, outC, kernel, stride, pad]
  const inputCases: [number, number, number, number, number, number, number | [number, number], 'same' | 'valid'][] = [
    [2, 13, 13, 3, 4, 3, 1, 'same'],
    [2, 13, 13, 3, 4, 3, 2, 'same'],
    [3, 12, 12, 2, 5, 3, 2, 'same'],
    [2, 26, 26, 3, 2, 1, 2, 'same'],
    [2, 26, 26, 16, 32, 3, 2, 'same'],
    [2, 51, 51, 2, 3, 5, 2, 'same'],
    [2, 101, 101, 8, 16, 3, 2, 'same'],
    [2, 101, 101, 1, 2, 5, 1, 'same'],
    [2, 13, 10, 3, 4, 3, 2, 'same'],
    [2, 12, 12, 3, 4, 3, 2, 'valid'],
    [2, 13, 13, 3, 4, 5, 1, 'valid'],
    [2, 13, 13, 32, 32, 3, 1, 'same'],
    [2, 10, 10, 4, 4, 4, 2, 'same'],
    [2, 14, 11, 3, 5, 3, 3, 'valid'],
    [2, 13, 12, 3, 4, 3, [1, 2], 'same'],
    [2, 13, 13, 3, 4, 1, 2, 'valid'],
    // Channels that take the direct SIMD conv (dy's channels % 4, x's % 8), phases written into dx.
    [2, 12, 12, 8, 8, 3, 2, 'valid'],
    [2, 14, 11, 8, 16, 3, 3, 'valid'],
    [2, 10, 10, 8, 8, 4, 2, 'same'],
    [2, 13, 12, 8, 16, 3, [1, 2], 'same'],
    [2, 13, 13, 8, 8, 1, 2, 'valid'],
    [2, 9, 9, 16, 8, 5, 3, 'same'],
    [3, 26, 26, 8, 32, 3, 2, 'same'],
    [2, 13, 13, 64, 128, 3, 2, 'same'],
    [2, 7, 7, 128, 128, 3, 1, 'same'],
  ];
  for (const [n, h, w, ci, co, k, s, pad] of inputCases) {
    it(`Conv2DBackpropInput ${n}x${h}x${w}x${ci} <- ${co}, ${k}x${k}, stride ${String(s)}, ${pad}`, () => {
      const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [k, k, ci, co], s, 1, pad);
      const dy = randomInput([n, info.outHeight, info.outWidth, co]);
      const wt = randomInput([k, k, ci, co]);
      const err = compare([dy, wt], (dyt, wtt) =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dyt!, filter: wtt! }, { strides: s, pad, dataFormat: 'NHWC', inputShape: [n, h, w, ci] }) as tf.Tensor,
      );
      expect(err).toBeLessThan(TOL);
    });
  }

  // [x shape, reps, dtype]
  const tileCases: [number[], number[], 'float32' | 'int32' | 'bool'][] = [
    [[1, 1, 1, 8], [4, 51, 51, 1], 'float32'],
    [[2, 3], [3, 2], 'float32'],
    [[5], [4], 'int32'],
    [[2, 1, 3], [1, 4, 1], 'bool'],
    [[3, 2, 1, 2], [2, 1, 3, 2], 'float32'],
    [[2, 3, 4], [1, 1, 1], 'int32'],
  ];
  for (const [shape, reps, dtype] of tileCases) {
    it(`Tile [${shape.join(',')}] by [${reps.join(',')}], ${dtype}`, () => {
      const x = randomInput(shape);
      const [a] = runOn('wasm', [x], (xt) => tf.cast(tf.tile(dtype === 'float32' ? xt! : tf.cast(tf.greater(xt!, 0), dtype), reps), 'float32'));
      const [b] = runOn('cpu', [x], (xt) => tf.cast(tf.tile(dtype === 'float32' ? xt! : tf.cast(tf.greater(xt!, 0), dtype), reps), 'float32'));
      // tfjs-cpu hands back int32 storage from a no-op cast, so compare plain numbers.
      expect(Array.from(a ?? [])).toEqual(Array.from(b ?? []));
      expect(b?.length).toBe(shape.reduce((p, d, i) => p * d * (reps[i] ?? 1), 1));
    });
  }

  it('splits a stride-2 axis into phases as worked out by hand (101 -> 51, 3 taps, padding 1)', () => {
    // dx[2q] = w1·dy[q]; dx[2q+1] = w2·dy[q] + w0·dy[q+1] (flipped: [w2, w0] over dy[q], dy[q+1]).
    expect(axisPhases(101, 51, 3, 2, 1)).toEqual([
      { phase: 0, count: 51, firstTap: 1, taps: 1, padBefore: 0, padAfter: 0, skip: 0, convSize: 51 },
      { phase: 1, count: 50, firstTap: 0, taps: 2, padBefore: 0, padAfter: 0, skip: 0, convSize: 50 },
    ]);
    // 1x1 stride-2 'same' on 26 -> 13: odd positions get no gradient at all.
    expect(axisPhases(26, 13, 1, 2, 0).map((p) => [p.count, p.taps])).toEqual([[13, 1], [13, 0]]);
  });

  // batchNormTrain runs the fused kernels on wasm and tf.moments + tf.batchNorm4d on cpu: same values and gradients.
  // c % 4 === 0 takes the SIMD kernels (4x51x51x16 is split over threads), the others the JS loops.
  // relu: the fused ReLU (its mask recomputed in the gradient) against tf.relu after the composite.
  const bnCases = [
    [3, 13, 4, false, false],
    [2, 26, 32, false, false],
    [2, 51, 1, false, false],
    [4, 7, 3, true, false],
    [4, 51, 16, false, false],
    [3, 26, 8, true, false],
    [3, 13, 4, false, true],
    [4, 51, 16, true, true],
    [2, 13, 3, false, true],
    [3, 9, 5, true, true],
  ] as const;
  for (const [n, h, c, statsInLoss, relu] of bnCases) {
    it(`batchNormTrain ${n}x${h}x${h}x${c}${relu ? ' + ReLU' : ''} (values, batch statistics and gradients${statsInLoss ? ', statistics in the loss' : ''})`, () => {
      const x = randomInput([n, h, h, c]);
      // Offset the input so that the mean is far from zero, as after a conv with a bias.
      x.data.forEach((v, i) => (x.data[i] = 3 + 2 * v));
      const gamma = randomInput([c]);
      const beta = randomInput([c]);
      const r = randomInput([n, h, h, c]);
      const f = (xt?: tf.Tensor, gt?: tf.Tensor, bt?: tf.Tensor, rt?: tf.Tensor): tf.Tensor[] => {
        const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
          const { y, mean, variance } = batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, relu);
          const main = tf.sum(tf.mul(y, rt!));
          return (statsInLoss ? tf.add(main, tf.sum(tf.mul(mean, variance))) : main) as tf.Scalar;
        };
        const { y, mean, variance } = batchNormTrain(xt as tf.Tensor4D, gt as tf.Tensor1D, bt as tf.Tensor1D, 1e-3, relu);
        return [y, mean, variance, ...tf.grads(loss)([xt!, gt!, bt!])];
      };
      const a = runOn('wasm', [x, gamma, beta, r], f);
      const b = runOn('cpu', [x, gamma, beta, r], f);
      expect(b).toHaveLength(6);
      b.forEach((bi, i) => expect(relError([a[i]!], [bi])).toBeLessThan(TOL));
    });
  }

  // [shape, axes, keepDims]: the first ones take the SIMD path (all axes but the last, c % 4 === 0).
  const sumCases: [number[], number | number[] | undefined, boolean][] = [
    [[4, 51, 51, 16], [0, 1, 2], false],
    [[4, 51, 51, 16], [2, 0, 1], true],
    [[3, 7, 8], [-3, -2], false],
    [[2, 5, 4], [0, 1], true],
    [[4, 13, 13, 6], [0, 1, 2], false],
    [[4, 13, 13, 8], [1, 2], false],
    [[4, 13, 13, 8], undefined, false],
    [[4, 13, 13, 8], 3, true],
  ];
  for (const [shape, axis, keepDims] of sumCases) {
    it(`Sum [${shape.join(',')}] over ${JSON.stringify(axis ?? 'all')}${keepDims ? ', keepDims' : ''}`, () => {
      const x = randomInput(shape);
      x.data.forEach((v, i) => (x.data[i] = 5 + v));
      const a = runOn('wasm', [x], (xt) => tf.sum(xt!, axis, keepDims));
      const b = runOn('cpu', [x], (xt) => tf.sum(xt!, axis, keepDims));
      expect(a[0]?.length).toBe(b[0]?.length);
      expect(relError(a, b)).toBeLessThan(TOL);
      tf.setBackend('wasm');
      const t = tf.tensor(x.data, shape);
      const s = tf.sum(t, axis, keepDims);
      expect(s.shape).toEqual(tf.tidy(() => tf.sum(tf.zeros(shape), axis, keepDims).shape));
      tf.dispose([t, s]);
    });
  }

  it('Identity shares the data of its input (the engine saves tensors for the gradient by cloning them)', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const data = backend.numDataIds();
    const y = tf.clone(x);
    expect(backend.numDataIds()).toBe(data);
    expect(backend.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(backend.numDataIds()).toBe(data - 1);
  });

  it('batchNormTrain keeps backend data and tensor counts flat on wasm', () => {
    tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.randomUniform([2, 9, 9, 3]);
    const g = tf.randomUniform([3]);
    const b = tf.randomUniform([3]);
    const data = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const grads = tf.grads((xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) =>
        tf.sum(tf.square(batchNormTrain(xt as tf.Tensor4D, gt as tf.Tensor1D, bt as tf.Tensor1D, 1e-3).y)),
      )([x, g, b]);
      tf.dispose(grads);
      expect(backend.numDataIds()).toBe(data);
      expect(tf.memory().numTensors).toBe(tensors);
    }
    tf.dispose([x, g, b]);
  });

  it('leaves no backend data behind (all kernels)', () => {
    tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.randomUniform([2, 13, 13, 3]);
    const dy = tf.randomUniform([2, 7, 7, 4]);
    const w = tf.randomUniform([3, 3, 3, 4]);
    const v = tf.randomUniform([1, 1, 1, 4]);
    const w1 = tf.randomUniform([3, 3, 3, 3]);
    const base = backend.numDataIds();
    const tensorsBefore = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      const outs = [
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] }),
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 13, 13, 3] }),
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: x, filter: w1 }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 13, 13, 3] }),
        tf.engine().runKernel(tf.Tile, { x: v }, { reps: [2, 5, 5, 1] }),
      ] as tf.Tensor[];
      // One new datum per output, nothing else.
      expect(backend.numDataIds()).toBe(base + outs.length);
      tf.dispose(outs);
      expect(backend.numDataIds()).toBe(base);
    }
    tf.dispose([x, dy, w, v, w1]);
    expect(backend.numDataIds()).toBe(base - 5);
    expect(tf.memory().numTensors).toBe(tensorsBefore - 5);
  });

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

  it('run on tensors beyond 2 GiB of heap (addresses that are negative as wasm i32)', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    // Ballast that fills the heap below 2 GiB, so that the tensors below land above it: blocks of
    // 1 MiB, then of 16 KiB (for the gaps), until one lands past 2 GiB. Never written: no pages touched.
    const heap = backend.wasm as unknown as { _malloc(n: number): number; _free(p: number): void };
    const ballast: number[] = [];
    for (const size of [2 ** 20, 2 ** 14]) {
      for (;;) {
        const ptr = heap._malloc(size) >>> 0;
        expect(ptr).not.toBe(0);
        ballast.push(ptr);
        if (ptr > 2 ** 31) break;
      }
    }
    try {
      const x = randomInput([2, 26, 26, 16]);
      const dy = randomInput([2, 26, 26, 16]);
      const wt = randomInput([3, 3, 16, 16]);
      const g = randomInput([16]);
      const run = (xt?: tf.Tensor, dyt?: tf.Tensor, wtt?: tf.Tensor, gt?: tf.Tensor): tf.Tensor[] => {
        const y = batchNormTrain(xt as tf.Tensor4D, gt as tf.Tensor1D, tf.zerosLike(gt!) as tf.Tensor1D, 1e-3, true).y;
        const z = tf.conv2d(y, wtt as tf.Tensor4D, 1, 'same');
        const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xt!, dy: dyt! }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 16, 16] }) as tf.Tensor;
        return [z, dw, tf.sum(z, [0, 1, 2])];
      };
      const a = runOn('wasm', [x, dy, wt, g], (...ts) => {
        expect(backend.dataIdMap.get(ts[0]!.dataId)?.memoryOffset).toBeGreaterThan(2 ** 31);
        return run(...ts);
      });
      const b = runOn('cpu', [x, dy, wt, g], run);
      b.forEach((bi, i) => expect(relError([a[i]!], [bi])).toBeLessThan(TOL));
    } finally {
      for (const ptr of ballast) heap._free(ptr);
    }
  });
});
