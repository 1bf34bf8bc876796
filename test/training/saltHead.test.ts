/**
 * The salt-present head in training: its loss term (hand-worked), one real step on TGS images with
 * the term, its gradient reaching the encoder, checkpoints with its weights, and designs without it
 * giving exactly what they gave before the head existed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUNet, getPreset, withSaltHead } from '../../shared/arch';
import { analyzeInit } from '../../shared/analysis';
import { measureSummands } from '../../src-main/training/analysis/summands';
import type { Architecture } from '../../shared/arch/types';
import { renderInputs } from '../../src-main/data/batches';
import { computeNormStats } from '../../src-main/data/normalize';
import { importTgsFolder } from '../../src-main/data/tgsImport';
import { readCheckpoint, writeCheckpoint } from '../../src-main/runs/checkpoint';
import { selectBackend } from '../../src-main/training/backend';
import { batchGradients } from '../../src-main/training/batchGradients';
import { makeLoss, saltPresence, saltPresenceLoss, withSaltTerm } from '../../src-main/training/losses';
import { trainStep } from '../../src-main/training/microBatch';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';
import { Rng } from '../../src-main/training/random';
import { TrainingData } from '../../src-main/training/data';
import { validate } from '../../src-main/training/validation';
import { parseRunConfig } from '../../shared/runs/request';
import type { Dataset } from '../../src-main/data/dataset';
import { TGS_DIR } from '../helpers/paths';

const sha = (a: Float32Array) => createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);

function concat(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** Each image's salt probability in inference mode, as the prediction path and validation take it: sigmoid of forwardAll's salt logit. */
function saltProbsOf(m: UNetModel, x: tf.Tensor4D): number[] {
  return tf.tidy(() => {
    const { salt } = m.forwardAll(x, false);
    if (!salt) throw new Error('the design has no salt head');
    return Array.from(tf.sigmoid(salt).dataSync());
  });
}

function tiny(): Architecture {
  return getPreset('tiny') as Architecture;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-salt-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  tf.disposeVariables();
});

describe('the salt loss term', () => {
  beforeAll(async () => {
    await selectBackend({ force: 'cpu' });
  });

  it('targets an image with any salt pixel; the BCE from logits matches hand-worked values', () => {
    // Three 2x2 masks: one salt pixel, none, all salt.
    const masks = tf.tensor4d([0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1], [3, 2, 2, 1]);
    expect(Array.from(saltPresence(masks).dataSync())).toEqual([1, 0, 1]);
    // z = 0 on salt: ln 2 = 0.693147; z = -3 on empty: ln(1 + e^-3) = 0.048587; z = 2 on salt: ln(1 + e^-2) = 0.126928.
    const l = saltPresenceLoss(masks, tf.tensor1d([0, -3, 2]));
    expect(l.dataSync()[0]).toBeCloseTo((0.693147 + 0.048587 + 0.126928) / 3, 5);
    // A confidently wrong logit of 80 on an empty image costs 80 and keeps a gradient of 1/3 (sigmoid(80) - 0, over 3 images).
    const far = tf.tensor1d([0, 80, 2]);
    expect(saltPresenceLoss(masks, far).dataSync()[0]).toBeCloseTo((0.693147 + 80 + 0.126928) / 3, 4);
    const g = tf.grad((z: tf.Tensor) => saltPresenceLoss(masks, z as tf.Tensor1D))(far);
    expect(g.dataSync()[1]).toBeCloseTo(1 / 3, 6);
    // The objective adds it weighted; without a salt head it is the mask loss itself.
    const mask = tf.scalar(0.5);
    expect(withSaltTerm(mask, masks, null)).toBe(mask);
    expect(withSaltTerm(mask, masks, { logits: tf.tensor1d([0, -3, 2]), weight: 0.1 }).dataSync()[0]).toBeCloseTo(0.5 + (0.1 * (0.693147 + 0.048587 + 0.126928)) / 3, 6);
    expect(() => saltPresenceLoss(masks, tf.tensor1d([0, 1]))).toThrow('saltPresenceLoss: salt logits [2] do not match 3 images');
  });
});

describe('designs without a salt head', () => {
  beforeAll(async () => {
    await selectBackend({ force: 'cpu' });
  });

  it('give exactly the weights, outputs, loss and gradients they gave before the head existed', async () => {
    // Fingerprints taken on the cpu backend with the code before the salt head (commit 1bbc7db).
    const arch = buildUNet({ name: 'golden', channels: 4, inputChannels: 1, size: 9, blocksPerLevel: [1, 1, 1, 1, 1, 1, 1], init: 'glorot_normal' });
    const model = new UNetModel(arch, 3);
    expect(model.saltHead).toBeNull();
    const rng = new Rng(5);
    const x = Float32Array.from({ length: 2 * 81 }, () => 2 * rng.uniform() - 1);
    const y = Float32Array.from({ length: 2 * 81 }, (_, i) => (i % 7 < 3 ? 1 : 0));
    const w = await model.getWeights();
    expect(w).toHaveLength(152);
    expect(createHash('sha256').update(w.map((a) => `${a.name}:${a.shape.join('x')}`).join('|')).digest('hex').slice(0, 16)).toBe('a18fe248826640bb');
    expect(sha(concat(w.map((a) => a.data)))).toBe('15e4737e7006adce');
    expect(sha(tf.tidy(() => model.forward(tf.tensor4d(x, [2, 9, 9, 1]), false).dataSync() as Float32Array))).toBe('3ae0c787b13492cf');
    const r = await batchGradients(model, makeLoss('bce-lovasz'), x, y, [2, 9, 9, 1]);
    model.discardBnUpdates();
    expect(r.loss).toBe(2.3972275257110596);
    expect([r.intersection, r.union]).toEqual([32, 117]);
    const grads = [...model.params.byStableName(r.grads).values()].map((g) => g.dataSync() as Float32Array);
    expect(sha(concat(grads))).toBe('2b42e9980dad6b6c');
    // Without the head, forwardAll (what prediction and validation call) gives no salt logit.
    let salt: tf.Tensor | null | undefined;
    tf.tidy(() => {
      salt = model.forwardAll(tf.zeros([1, 9, 9, 1]), false).salt;
    });
    expect(salt).toBeNull();
    tf.dispose(Object.values(r.grads));
    model.dispose();
  });

  it('keep their summand analyses when a salt head is added: both follow the mask path alone', async () => {
    const arch = buildUNet({ name: 'sum', channels: 4, inputChannels: 1, size: 9, blocksPerLevel: [1, 1, 1, 1, 1, 1, 1] });
    const salted = withSaltHead(arch);
    const analytic = analyzeInit(arch);
    expect(analytic.ok).toBe(true);
    expect(analyzeInit(salted)).toEqual(analytic);
    const x = tf.randomNormal([2, 9, 9, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = new UNetModel(arch, 1);
    const b = new UNetModel(salted, 1);
    const tensors = tf.memory().numTensors;
    const measured = await measureSummands(b, x);
    // No tensor of the walk is left over.
    expect(tf.memory().numTensors).toBe(tensors);
    expect(measured).toEqual(await measureSummands(a, x));
    x.dispose();
    a.dispose();
    b.dispose();
  });

  it('keep their mask outputs when a salt head is added: it only reads the bottom level', async () => {
    const plain = new UNetModel(tiny(), 4);
    const salted = new UNetModel(withSaltHead(tiny()), 4);
    const plainWeights = await plain.getWeights();
    const extra = (await salted.getWeights()).filter((a) => !plainWeights.some((b) => b.name === a.name));
    expect(extra.map((a) => [a.name, a.shape])).toEqual([
      ['salt/dense/kernel', [32, 1]],
      ['salt/dense/bias', [1]],
    ]);
    const x = tf.randomNormal([2, 101, 101, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    for (const training of [false, true]) {
      const a = tf.tidy(() => plain.forward(x, training).dataSync() as Float32Array);
      const b = tf.tidy(() => salted.forwardAll(x, training).mask.dataSync() as Float32Array);
      expect(sha(b)).toBe(sha(a));
    }
    plain.discardBnUpdates();
    salted.discardBnUpdates();
    x.dispose();
    plain.dispose();
    salted.dispose();
  });
});

/** Ids of the first `n` TGS images with salt and the first `n` without, by id. */
function mixedIds(n: number): string[] {
  const rows = readFileSync(path.join(TGS_DIR, 'train.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const sorted = rows.sort((a, b) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1));
  const salt = sorted.filter((r) => (r[1] ?? '').trim() !== '').slice(0, n);
  const empty = sorted.filter((r) => (r[1] ?? '').trim() === '').slice(0, n);
  return [...salt, ...empty].map((r) => r[0] as string);
}

describe('a tiny model with a salt head on real TGS images', () => {
  let data: { ds: Dataset; x: Float32Array; y: Float32Array; shape: [number, number, number, number]; present: number[] };

  beforeAll(async () => {
    await selectBackend({ force: 'wasm' });
    // Three images with salt and three without, linked from ../shared/tgs, never copied.
    const dir = path.join(tmp, 'tgs6');
    mkdirSync(path.join(dir, 'images'), { recursive: true });
    mkdirSync(path.join(dir, 'masks'));
    for (const id of mixedIds(3)) {
      symlinkSync(path.join(TGS_DIR, 'images', `${id}.png`), path.join(dir, 'images', `${id}.png`));
      symlinkSync(path.join(TGS_DIR, 'masks', `${id}.png`), path.join(dir, 'masks', `${id}.png`));
    }
    const ds = await importTgsFolder(dir);
    const indices = ds.ids.map((_, i) => i);
    const x = renderInputs(ds, indices, 1, computeNormStats(ds, indices));
    const y = Float32Array.from(ds.masks as Uint8Array, (v) => (v ? 1 : 0));
    const px = ds.height * ds.width;
    const present = indices.map((k) => (y.subarray(k * px, (k + 1) * px).some((v) => v > 0) ? 1 : 0));
    data = { ds, x, y, shape: [indices.length, ds.height, ds.width, 1], present };
  });

  it('adds lossWeight x its cross-entropy to the loss; its gradient is non-zero and reaches the encoder, not the decoder', async () => {
    expect([...data.present].sort()).toEqual([0, 0, 0, 1, 1, 1]);
    const loss = makeLoss('bce-lovasz');
    const salted = new UNetModel(withSaltHead(tiny(), { lossWeight: 0.5 }), 2);
    const plain = new UNetModel(tiny(), 2);
    const n = data.shape[0];
    // The salt logits of this batch in training mode (BN on batch statistics, as the step sees them).
    const logits = tf.tidy(() => Array.from(salted.forwardAll(tf.tensor4d(data.x, data.shape), true).salt?.dataSync() ?? []));
    salted.discardBnUpdates();
    expect(logits).toHaveLength(6);
    const bce = logits.reduce((s, z, k) => s + Math.max(z, 0) - z * (data.present[k] ?? 0) + Math.log1p(Math.exp(-Math.abs(z))), 0) / n;

    const a = await batchGradients(salted, loss, data.x, data.y, data.shape);
    const b = await batchGradients(plain, loss, data.x, data.y, data.shape);
    salted.discardBnUpdates();
    plain.discardBnUpdates();
    expect(a.loss).toBeCloseTo(b.loss + 0.5 * bce, 5);
    // The mask path is untouched by the head: the same hard intersection and union.
    expect([a.intersection, a.union]).toEqual([b.intersection, b.union]);
    const ga = salted.params.byStableName(a.grads);
    const gb = plain.params.byStableName(b.grads);
    const norm = (t: tf.Tensor | undefined) => (t ? tf.tidy(() => tf.norm(t).dataSync()[0] ?? NaN) : NaN);
    const diff = (name: string) => tf.tidy(() => tf.norm(tf.sub(ga.get(name) as tf.Tensor, gb.get(name) as tf.Tensor)).dataSync()[0] ?? NaN);
    expect(norm(ga.get('salt/dense/kernel'))).toBeGreaterThan(0);
    expect(norm(ga.get('salt/dense/bias'))).toBeGreaterThan(0);
    // The head's gradient adds to the encoder's (the bottom stack and the stem below it) ...
    expect(diff('bottom/block0/conv2/kernel')).toBeGreaterThan(1e-6 * norm(gb.get('bottom/block0/conv2/kernel')));
    expect(diff('stem/conv/kernel')).toBeGreaterThan(0);
    // ... and leaves the decoder's exactly as it was.
    expect(diff('d0/block0/conv1/kernel')).toBe(0);
    expect(diff('up2/transposed/kernel')).toBe(0);
    tf.dispose([...Object.values(a.grads), ...Object.values(b.grads)]);

    // One real optimizer step: a finite loss, and the head's weights move.
    const before = (await salted.getWeights()).find((v) => v.name === 'salt/dense/kernel')?.data.slice();
    const opt = makeOptimizer({ name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const step = await trainStep(salted, opt, loss, data.x, data.y, data.shape);
    expect(Number.isFinite(step.loss)).toBe(true);
    const after = (await salted.getWeights()).find((v) => v.name === 'salt/dense/kernel')?.data;
    expect(after).not.toEqual(before);
    opt.dispose();
    salted.dispose();
    plain.dispose();
  });

  it('validates with its loss in valLoss, its accuracy and each image\'s salt probability', async () => {
    const config = parseRunConfig({ batch: 4 });
    if (!config.ok) throw new Error(config.errors.join('; '));
    const split = { train: data.ds.ids.slice(), val: data.ds.ids.slice(), test: [] as string[] };
    const arch = withSaltHead(tiny(), { lossWeight: 0.5 });
    const salted = new UNetModel(arch, 8);
    const plain = new UNetModel(tiny(), 8);
    const loss = makeLoss('bce-lovasz');
    // Batches of 4 and 2: the probabilities land at each batch's offset.
    const v = await validate(salted, loss, new TrainingData(data.ds, split, config.config, arch));
    const p = await validate(plain, loss, new TrainingData(data.ds, split, config.config, tiny()));
    const direct = saltProbsOf(salted, tf.tensor4d(data.x, data.shape));
    expect(Array.from(v.saltProbs ?? [])).toEqual(direct.map((q) => Math.fround(q)));
    const right = direct.filter((q, k) => (data.present[k] === 1 ? q > 0.5 : q <= 0.5)).length;
    expect(v.metrics.valSaltAccuracy).toBe(right / 6);
    const bce = direct.reduce((s, q, k) => s - (data.present[k] === 1 ? Math.log(q) : Math.log(1 - q)), 0) / 6;
    expect(v.metrics.valSaltLoss).toBeCloseTo(bce, 4);
    expect(v.metrics.valLoss).toBeCloseTo(p.metrics.valLoss + 0.5 * bce, 4);
    // The mask figures are the plain design's.
    expect(v.probs).toEqual(p.probs);
    expect(p.saltProbs).toBeNull();
    expect(p.metrics).not.toHaveProperty('valSaltAccuracy');
    salted.dispose();
    plain.dispose();
  });

  it('saves and loads its weights with the others; a checkpoint without them names the missing weight', async () => {
    const arch = withSaltHead(tiny(), { hidden: 4 });
    const trained = new UNetModel(arch, 6);
    const dir = path.join(tmp, 'ckpt');
    writeCheckpoint(dir, 'best', { epoch: 0, step: 1, tensors: await trained.getWeights() }, 'salt test');
    const ckpt = readCheckpoint(dir, 'best', false, 'salt test');
    expect(ckpt?.tensors.map((t) => t.name)).toContain('salt/hidden/kernel');
    const loaded = new UNetModel(arch, 99);
    loaded.setWeights(ckpt?.tensors ?? []);
    const x = tf.tensor4d(data.x.subarray(0, 2 * 101 * 101), [2, 101, 101, 1]);
    const p = (m: UNetModel) => saltProbsOf(m, x);
    expect(p(loaded)).toEqual(p(trained));
    expect(p(loaded).every((v) => v > 0 && v < 1)).toBe(true);
    expect(sha(tf.tidy(() => loaded.predict(x).dataSync() as Float32Array))).toBe(sha(tf.tidy(() => trained.predict(x).dataSync() as Float32Array)));

    // A run trained without the head still loads into the design it was trained with, not into one with a head.
    const plain = new UNetModel(tiny(), 6);
    writeCheckpoint(path.join(tmp, 'plain'), 'best', { epoch: 0, step: 1, tensors: await plain.getWeights() }, 'plain');
    const old = readCheckpoint(path.join(tmp, 'plain'), 'best', false, 'plain')?.tensors ?? [];
    const again = new UNetModel(tiny(), 7);
    again.setWeights(old);
    expect(sha(tf.tidy(() => again.predict(x).dataSync() as Float32Array))).toBe(sha(tf.tidy(() => plain.predict(x).dataSync() as Float32Array)));
    expect(() => new UNetModel(withSaltHead(tiny()), 7).setWeights(old)).toThrow("checkpoint has no value for weight 'salt/dense/kernel'");
    x.dispose();
    for (const m of [trained, loaded, plain, again]) m.dispose();
  });
});
