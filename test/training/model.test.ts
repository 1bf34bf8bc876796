import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUNet, getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { selectBackend } from '../../src-main/training/backend';
import { batchIoULoss } from '../../src-main/training/losses';
import { InvalidArchitectureError, UNetModel } from '../../src-main/training/model';
import { Rng } from '../../src-main/training/random';

/** A small but complete U-Net: two levels, a 3-conv downsampler, an upsampler that restores 9x9 from 5x5, a concat skip. */
function miniNet(merge: 'add' | 'concat' = 'concat'): Architecture {
  const arch = buildUNet({ name: 'mini', channels: 4, inputChannels: 1, size: 9, blocksPerLevel: [1, 1, 1, 1, 1, 1, 1], merge, init: 'glorot_normal' });
  return arch;
}

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1));
}

function lossAndGrads(model: UNetModel, x: Float32Array, y: Float32Array, shape: [number, number, number, number]) {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, shape);
    const yt = tf.tensor4d(y, [shape[0], shape[1], shape[2], 1]);
    const { value, grads } = tf.variableGrads(() => batchIoULoss(yt, tf.sigmoid(model.forward(xt, true))), model.params.trainableList);
    model.discardBnUpdates();
    const byName = model.params.byStableName(grads);
    return { loss: value.dataSync()[0] as number, grads: Object.fromEntries([...byName].map(([k, g]) => [k, g.dataSync() as Float32Array])) };
  });
}

describe('UNetModel', () => {
  beforeAll(async () => {
    await selectBackend({ force: 'cpu' });
  });
  afterAll(() => tf.disposeVariables());

  it('maps a batch of the tiny preset to one probability map per image, 101x101', () => {
    const model = new UNetModel(getPreset('tiny') as Architecture, 1);
    const p = model.predict(tf.zeros([2, 101, 101, 1]));
    expect(p.shape).toEqual([2, 101, 101, 1]);
    const v = p.dataSync();
    expect(v.every((q) => q > 0 && q < 1)).toBe(true);
    p.dispose();
    model.dispose();
  });

  it('builds the same weights for the same seed and different ones for another seed', async () => {
    const a = await new UNetModel(miniNet(), 7).getWeights();
    const b = await new UNetModel(miniNet(), 7).getWeights();
    const c = await new UNetModel(miniNet(), 8).getWeights();
    expect(a.map((w) => w.name)).toEqual(b.map((w) => w.name));
    a.forEach((w, i) => expect(w.data).toEqual(b[i]?.data));
    const kernel = a.findIndex((w) => w.name.endsWith('/kernel'));
    expect(c[kernel]?.data).not.toEqual(a[kernel]?.data);
  });

  it('gives each weight its own stream: adding a node does not change the others', async () => {
    const base = miniNet();
    const extended: Architecture = {
      ...base,
      nodes: [...base.nodes, { id: 'extra_bn', kind: 'bn' }],
      edges: base.edges.flatMap((e) => (e.to === 'head' ? [{ from: e.from, to: 'extra_bn' }, { from: 'extra_bn', to: 'head' }] : [e])),
    };
    const a = new Map((await new UNetModel(base, 3).getWeights()).map((w) => [w.name, w.data]));
    const b = await new UNetModel(extended, 3).getWeights();
    expect(b.some((w) => w.name.startsWith('extra_bn/'))).toBe(true);
    for (const w of b) if (a.has(w.name)) expect(w.data).toEqual(a.get(w.name));
  });

  it('refuses an invalid design with every problem listed', () => {
    const arch = miniNet();
    const broken = { ...arch, edges: arch.edges.filter((e) => e.to !== 'head') };
    expect(() => new UNetModel(broken, 1)).toThrow(InvalidArchitectureError);
  });

  it('initialises conv kernels with the variance of their Keras initializer', async () => {
    const arch = buildUNet({ name: 'init', channels: 32, inputChannels: 1, size: 13, blocksPerLevel: [1, 1, 1, 1, 1, 1, 1], init: 'he_normal' });
    const w = (await new UNetModel(arch, 5).getWeights()).find((x) => x.name === 'e0/block0/conv1/kernel');
    expect(w?.shape).toEqual([3, 3, 32, 32]);
    const data = w?.data ?? new Float32Array();
    const mean = data.reduce((s, v) => s + v, 0) / data.length;
    const variance = data.reduce((s, v) => s + (v - mean) ** 2, 0) / data.length;
    // he_normal: variance 2 / fan_in = 2 / (3*3*32); 9216 samples give a relative standard error of about 1.5%.
    expect(variance).toBeGreaterThan((2 / 288) * 0.94);
    expect(variance).toBeLessThan((2 / 288) * 1.06);
  });

  it('updates BN moving statistics only when committed, and uses them in inference', async () => {
    const model = new UNetModel(miniNet(), 2);
    const before = (await model.getWeights()).find((w) => w.name === 'head/bn/moving_mean')?.data.slice();
    const x = tf.tensor4d(randomArray(2 * 81, 1, 3), [2, 9, 9, 1]);
    tf.tidy(() => model.forward(x, true));
    const after = (await model.getWeights()).find((w) => w.name === 'head/bn/moving_mean')?.data;
    expect(after).toEqual(before);
    tf.tidy(() => model.forward(x, true));
    model.commitBnUpdates();
    const committed = (await model.getWeights()).find((w) => w.name === 'head/bn/moving_mean')?.data;
    expect(committed).not.toEqual(before);
    x.dispose();
    model.dispose();
  });

  it('has gradients that match central finite differences', async () => {
    const model = new UNetModel(miniNet(), 11);
    const shape: [number, number, number, number] = [2, 9, 9, 1];
    const x = randomArray(2 * 81, 21, 2);
    const y = Float32Array.from(randomArray(2 * 81, 22), (v) => (v > 0 ? 1 : 0));
    const { grads } = lossAndGrads(model, x, y, shape);
    const weights = await model.getWeights();
    // Small enough to stay off ReLU kinks, large enough that float32 rounding of the loss (~1e-7) stays below 1e-4 of the slope.
    const h = 2e-3;
    let checked = 0;
    for (const name of ['stem/conv/kernel', 'e0/block0/conv2/kernel', 'down0/strided/kernel', 'up0/transposed/kernel', 'merge0/project/kernel', 'head/bn/gamma']) {
      const w = weights.find((v) => v.name === name);
      const g = grads[name];
      expect(w, name).toBeDefined();
      expect(g, name).toBeDefined();
      if (!w || !g) continue;
      // The entry with the largest analytic gradient: its finite difference stands well above float32 noise.
      let k = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i] as number) > Math.abs(g[k] as number)) k = i;
      const at = (delta: number) => {
        const data = w.data.slice();
        data[k] = (data[k] as number) + delta;
        model.setWeights(weights.map((v) => (v.name === name ? { ...v, data } : v)));
        return lossAndGrads(model, x, y, shape).loss;
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      model.setWeights(weights);
      expect(Math.abs(numeric - (g[k] as number)), `${name}[${k}]: numeric ${numeric} vs analytic ${g[k]}`).toBeLessThan(0.03 * Math.abs(g[k] as number) + 1e-4);
      checked++;
    }
    expect(checked).toBe(6);
    model.dispose();
  });
});

describe('UNetModel across backends', () => {
  it('gives the same forward output and gradients on cpu and wasm', async () => {
    const shape: [number, number, number, number] = [2, 9, 9, 1];
    const x = randomArray(2 * 81, 31, 2);
    const y = Float32Array.from(randomArray(2 * 81, 32), (v) => (v > 0 ? 1 : 0));
    const results: { probs: Float32Array; loss: number; grads: Record<string, Float32Array> }[] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend({ force: backend });
      const model = new UNetModel(miniNet(), 5);
      const probs = tf.tidy(() => model.predict(tf.tensor4d(x, shape)).dataSync() as Float32Array);
      results.push({ probs, ...lossAndGrads(model, x, y, shape) });
      model.dispose();
    }
    const [cpu, wasm] = results as [(typeof results)[0], (typeof results)[0]];
    const relErr = (a: Float32Array, b: Float32Array, floor = 1e-12) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
        den = Math.max(den, Math.abs(b[i] as number));
      }
      return num / Math.max(den, floor);
    };
    expect(relErr(wasm.probs, cpu.probs)).toBeLessThan(1e-4);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5);
    expect(Object.keys(wasm.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    // A conv bias right before a BN has a true gradient of 0 (BN removes the mean): its entries are float32
    // noise, so every tensor's error is measured against at least 1e-3 of the largest gradient anywhere.
    const globalMax = Math.max(...Object.values(cpu.grads).map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    for (const name of Object.keys(cpu.grads)) {
      expect(relErr(wasm.grads[name] as Float32Array, cpu.grads[name] as Float32Array, 1e-3 * globalMax), name).toBeLessThan(1e-3);
    }
  });
});
