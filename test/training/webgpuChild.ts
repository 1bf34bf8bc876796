/**
 * Runs in a child process of test/training/webgpu.test.ts, started with SwiftShader's Vulkan driver
 * named (VK_ICD_FILENAMES, LD_LIBRARY_PATH: the dynamic loader reads the latter only at process
 * start). `node --import tsx webgpuChild.ts <select|kernels|step>` prints one JSON object on stdout.
 * Every comparison runs the same inputs on the cpu backend and on webgpu, reading webgpu's results
 * with await data() (it cannot read synchronously in Node, see src-main/training/webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { selectBackend } from '../../src-main/training/backend';
import { batchIoULoss } from '../../src-main/training/losses';
import { UNetModel } from '../../src-main/training/model';
import { BATCH_NORM_TRAIN } from '../../src-main/training/wasm/batch-norm';
import { makeOptimizer } from '../../src-main/training/optimizers';
import { strataDispatchCounts, strataWebgpuKernels } from '../../src-main/training/webgpuKernels';

/** Deterministic values in [-1, 1) (an LCG), the same on both backends. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
const rand = (shape: number[], seed: number) => tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape, 'float32');

/** Largest absolute difference over the largest absolute reference value (1 if that is below 1e-6: then the difference itself). */
function relError(got: Float32Array, want: Float32Array): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs((got[i] ?? NaN) - (want[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(want[i] ?? 0));
  }
  return Number.isNaN(diff) ? Infinity : diff / (scale < 1e-6 ? 1 : scale);
}

/** The values of `ts`, in one read (one buffer mapped, not one for each tensor). */
async function read(ts: tf.Tensor[]): Promise<Float32Array[]> {
  if (ts.length === 0) return [];
  const all = tf.tidy(() => tf.concat(ts.map((t) => tf.reshape(tf.cast(t, 'float32'), [-1]))));
  const data = (await all.data()) as Float32Array;
  all.dispose();
  let at = 0;
  return ts.map((t) => data.slice(at, (at += t.size)));
}

/** A computation of named outputs from fresh inputs, run on the active backend. */
type Case = { name: string; run: () => Record<string, tf.Tensor> };

const conv = (n: number, size: number, cin: number, cout: number, stride: number, seed: number, kernel = 3): Case => ({
  name: `conv2d ${n}x${size}x${size}x${cin} -> ${cout}, ${kernel}x${kernel} stride ${stride}, with bias`,
  run: () => {
    const x = rand([n, size, size, cin], seed) as tf.Tensor4D;
    const f = tf.mul(rand([kernel, kernel, cin, cout], seed + 1), 0.3) as tf.Tensor4D;
    const bias = rand([cout], seed + 2) as tf.Tensor1D;
    const fwd = (a: tf.Tensor4D, b: tf.Tensor4D, c: tf.Tensor1D) => tf.fused.conv2d({ x: a, filter: b, strides: stride, pad: 'same', bias: c });
    const y = fwd(x, f, bias);
    // Outside a gradient tfjs fuses the ReLU into the conv (inference).
    const relu = tf.fused.conv2d({ x, filter: f, strides: stride, pad: 'same', bias, activation: 'relu' });
    const dy = rand(y.shape, seed + 3);
    const [dx, df, db] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(fwd(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D), dy)))([x, f, bias]);
    return { forward: y, 'forward + relu': relu, 'input gradient': dx as tf.Tensor, 'filter gradient': df as tf.Tensor, 'bias gradient': db as tf.Tensor };
  },
});

const convTranspose = (n: number, size: number, cin: number, cout: number, seed: number, outSize = 2 * size): Case => ({
  name: `conv2dTranspose ${n}x${size}x${size}x${cin} -> ${n}x${outSize}x${outSize}x${cout}, 3x3 stride 2`,
  run: () => {
    const x = rand([n, size, size, cin], seed) as tf.Tensor4D;
    const f = tf.mul(rand([3, 3, cout, cin], seed + 1), 0.3) as tf.Tensor4D;
    const out: [number, number, number, number] = [n, outSize, outSize, cout];
    const fwd = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2dTranspose(a, b, out, 2, 'same');
    const y = fwd(x, f);
    const dy = rand(y.shape, seed + 2);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fwd(a as tf.Tensor4D, b as tf.Tensor4D), dy)))([x, f]);
    return { forward: y, 'input gradient': dx as tf.Tensor, 'filter gradient': df as tf.Tensor };
  },
});

/** Batch norm on batch statistics then ReLU, as the model trains it off wasm (moments + batchNorm4d + relu). */
const batchNormRelu = (n: number, size: number, c: number, seed: number): Case => ({
  name: `batch norm (batch statistics) + relu ${n}x${size}x${size}x${c}`,
  run: () => {
    const x = tf.add(tf.mul(rand([n, size, size, c], seed), 2), 0.5) as tf.Tensor4D;
    const gamma = tf.add(rand([c], seed + 1), 1.5) as tf.Tensor1D;
    const beta = rand([c], seed + 2) as tf.Tensor1D;
    const fwd = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.relu(tf.batchNorm4d(a, mean as tf.Tensor1D, variance as tf.Tensor1D, b, g, 1e-3));
    };
    const y = fwd(x, gamma, beta);
    const dy = rand(y.shape, seed + 3);
    const [dx, dg, db] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fwd(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D), dy)))([x, gamma, beta]);
    return { forward: y, 'input gradient': dx as tf.Tensor, 'gamma gradient': dg as tf.Tensor, 'beta gradient': db as tf.Tensor };
  },
});

/**
 * The fused batch norm (+ ReLU) kernel where the backend has one (wasm's and Strata's webgpu
 * StrataBatchNormTrain), else the composite it stands for (cpu): its output and batch statistics.
 */
function batchNormTrainOn(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu: boolean): tf.Tensor[] {
  if (tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined) return tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale: gamma, offset: beta }, { varianceEpsilon: 1e-3, relu }) as tf.Tensor[];
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, 1e-3);
  return [relu ? tf.relu(y) : y, mean, variance];
}

/** Strata's fused batch norm kernel against the composite on cpu; the loss also takes the batch statistics, so their gradients reach the kernel. */
const fusedBatchNorm = (n: number, size: number, c: number, relu: boolean, seed: number): Case => ({
  name: `fused batch norm${relu ? ' + relu' : ''} (StrataBatchNormTrain) ${n}x${size}x${size}x${c}`,
  run: () => {
    const x = tf.add(tf.mul(rand([n, size, size, c], seed), 2), 0.5) as tf.Tensor4D;
    const gamma = tf.add(rand([c], seed + 1), 1.5) as tf.Tensor1D;
    const beta = rand([c], seed + 2) as tf.Tensor1D;
    const [y, mean, variance] = batchNormTrainOn(x, gamma, beta, relu) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [dy, dMean, dVar] = [rand(y.shape, seed + 3), rand([c], seed + 4), rand([c], seed + 5)];
    const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const [ya, ma, va] = batchNormTrainOn(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, relu) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return tf.addN([tf.sum(tf.mul(ya, dy)), tf.sum(tf.mul(ma, dMean)), tf.sum(tf.mul(va, dVar))]);
    };
    const [dx, dg, db] = tf.grads(loss)([x, gamma, beta]);
    return { forward: y, mean, variance, 'input gradient': dx as tf.Tensor, 'gamma gradient': dg as tf.Tensor, 'beta gradient': db as tf.Tensor };
  },
});

/** The presets' layer shapes at small sizes: 3x3 convs at 8-64 channels, stride-2 samplers from even and odd sizes, transposed convs to even and odd sizes, the head's 1x1 conv; batch norm + ReLU as tfjs's ops and as Strata's fused kernel. */
const CASES: Case[] = [
  conv(1, 13, 16, 16, 1, 1),
  conv(2, 26, 8, 8, 1, 11),
  conv(2, 26, 8, 16, 2, 21),
  conv(2, 51, 16, 32, 2, 61),
  conv(1, 13, 64, 64, 1, 71),
  conv(2, 13, 8, 1, 1, 81, 1),
  convTranspose(1, 13, 16, 8, 31),
  convTranspose(2, 26, 16, 8, 91, 51),
  batchNormRelu(1, 13, 16, 41),
  batchNormRelu(2, 26, 8, 51),
  fusedBatchNorm(1, 13, 16, true, 101),
  fusedBatchNorm(2, 26, 8, false, 111),
];

/** Counts of each name in `names`. */
const counts = (names: string[]) => names.reduce<Record<string, number>>((c, n) => ({ ...c, [n]: (c[n] ?? 0) + 1 }), {});

async function runCase(c: Case): Promise<{ outputs: Record<string, Float32Array>; ms: number; kernels: Record<string, number>; strata: Record<string, number> }> {
  const before = strataDispatchCounts();
  const t0 = performance.now();
  let named: Record<string, tf.Tensor> = {};
  const profile = await tf.profile(() => {
    named = c.run();
    return Object.values(named);
  });
  const data = await read(Object.values(named));
  const ms = performance.now() - t0;
  const outputs = Object.fromEntries(Object.keys(named).map((k, i) => [k, data[i] as Float32Array]));
  tf.dispose(Object.values(named));
  // Strata's programs that this run dispatched, and how often (read's concat is tfjs's).
  const strata = Object.fromEntries(Object.entries(strataDispatchCounts()).flatMap(([name, count]) => (count > (before[name] ?? 0) ? [[name, count - (before[name] ?? 0)]] : [])));
  return { outputs, ms, kernels: counts(profile.kernels.map((k) => k.name)), strata };
}

async function kernels(): Promise<unknown> {
  await selectBackend({ force: 'cpu' });
  const want = [];
  for (const c of CASES) want.push(await runCase(c));
  await selectBackend({ force: 'webgpu' });
  const results = [];
  for (const [i, c] of CASES.entries()) {
    const ref = want[i];
    if (ref === undefined) throw new Error('no reference');
    // Twice: the first run includes compiling the shaders (pipelines), the second is the run's own time.
    const first = await runCase(c);
    const got = await runCase(c);
    const errors = Object.fromEntries(Object.entries(ref.outputs).map(([k, w]) => [k, relError(got.outputs[k] ?? new Float32Array(), w)]));
    results.push({ name: c.name, errors, kernels: got.kernels, strata: got.strata, cpuMs: ref.ms, firstMs: first.ms, webgpuMs: got.ms });
  }
  return { results, strataKernels: strataWebgpuKernels() };
}

async function select(): Promise<unknown> {
  const auto = await selectBackend();
  const forced = await selectBackend({ force: 'webgpu' });
  let syncRead = '';
  try {
    tf.tidy(() => tf.add(tf.fill([4096], 1), 1).dataSync());
  } catch (err) {
    syncRead = err instanceof Error ? err.message : String(err);
  }
  const asyncRead = Array.from((await tf.tidy(() => tf.add(tf.fill([4096], 1), 1)).data()).slice(0, 2));
  return { auto, forced, tfBackend: tf.getBackend(), syncRead, asyncRead };
}

/** The tiny preset at a smaller size (same channels and levels), so that SwiftShader's step takes seconds. */
function tinyArch(size: number): Architecture {
  const arch = getPreset('tiny') as Architecture;
  return { ...arch, nodes: arch.nodes.map((n) => (n.kind === 'input' ? { ...n, height: size, width: size } : n)) };
}

interface Step {
  loss: number;
  grads: Record<string, Float32Array>;
  weights: Record<string, Float32Array>;
  ms: number;
}

/** One training step as batchGradients and the loop take it (loss, every gradient, SGD with momentum, BN statistics), read asynchronously. */
async function trainStep(model: UNetModel, optimizer: ReturnType<typeof makeOptimizer>, x: Float32Array, y: Float32Array, shape: [number, number, number, number]): Promise<Step> {
  const t0 = performance.now();
  const [n, h, w] = shape;
  const { value, grads } = tf.tidy(() => {
    const xt = tf.tensor4d(x, shape);
    const yt = tf.tensor4d(y, [n, h, w, 1]);
    return tf.variableGrads(() => {
      const { mask: logits } = model.forwardAll(xt, true);
      return batchIoULoss(yt, tf.sigmoid(logits), { logits });
    }, model.params.trainableList);
  });
  const byName = model.params.byStableName(grads);
  const gradData = await read([...byName.values()]);
  const loss = ((await value.data()) as Float32Array)[0] ?? NaN;
  tf.tidy(() => optimizer.apply(new Map(model.params.trainable), byName));
  model.commitBnUpdates();
  value.dispose();
  tf.dispose(Object.values(grads));
  const variables = [...model.params.trainable, ...model.params.moving];
  const weightData = await read(variables.map(([, v]) => v));
  return {
    loss,
    grads: Object.fromEntries([...byName.keys()].map((k, i) => [k, gradData[i] as Float32Array])),
    weights: Object.fromEntries(variables.map(([k], i) => [k, weightData[i] as Float32Array])),
    ms: performance.now() - t0,
  };
}

async function step(): Promise<unknown> {
  const size = 13;
  const arch = tinyArch(size);
  const shape: [number, number, number, number] = [2, size, size, 1];
  const x = values(2 * size * size, 7);
  const y = values(2 * size * size, 8).map((v) => (v > 0.2 ? 1 : 0));
  const run = async (backend: 'cpu' | 'webgpu', steps: number) => {
    await selectBackend({ force: backend });
    const model = new UNetModel(arch, 3);
    const optimizer = makeOptimizer({ name: 'sgd', lr: 0.05, momentum: 0.9 });
    const out: Step[] = [];
    const memory: tf.MemoryInfo[] = [];
    for (let i = 0; i < steps; i++) {
      out.push(await trainStep(model, optimizer, x, y, shape));
      memory.push(tf.memory());
    }
    const result = { steps: out, memory, weightCount: model.params.trainable.size };
    optimizer.dispose();
    model.dispose();
    return result;
  };
  const cpu = await run('cpu', 2);
  const gpu = await run('webgpu', 3);
  const compare = (i: number) => {
    const [a, b] = [gpu.steps[i], cpu.steps[i]];
    if (a === undefined || b === undefined) throw new Error(`no step ${i}`);
    return {
      loss: { webgpu: a.loss, cpu: b.loss },
      grads: Object.fromEntries(Object.entries(b.grads).map(([k, w]) => [k, relError(a.grads[k] ?? new Float32Array(), w)])),
      weights: Object.fromEntries(Object.entries(b.weights).map(([k, w]) => [k, relError(a.weights[k] ?? new Float32Array(), w)])),
    };
  };
  return {
    weightCount: gpu.weightCount,
    first: compare(0),
    second: compare(1),
    memory: gpu.memory,
    webgpuMs: gpu.steps.map((s) => s.ms),
    cpuMs: cpu.steps.map((s) => s.ms),
  };
}

const JOBS: Record<string, () => Promise<unknown>> = { select, kernels, step };
const job = JOBS[process.argv[2] ?? ''];
if (job === undefined) throw new Error(`usage: webgpuChild.ts <${Object.keys(JOBS).join('|')}>`);
process.stdout.write(`${JSON.stringify(await job())}\n`);
