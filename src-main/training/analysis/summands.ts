/**
 * The empirical side of the initialisation analysis: one forward pass of a real initialised model
 * on a batch, with the main-path sum kept as its separate summands. s0 is the output of the initial
 * conv and each resnet block's contribution is a new summand; every sampler's linear map (its convs
 * without their biases) is applied to each summand, and every BN scales each summand by the sum's
 * batch statistics, as the first training step sees them. The sum itself is computed with the
 * model's own ops beside the summands and checked against the model's forward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { levelNames } from '../../../shared/analysis/initAnalysis';
import { sumBounds } from '../../../shared/analysis/summands';
import type { StageEntry, SummandAnalysis, SummandEntry } from '../../../shared/analysis/summands';
import { inferShapes, nodeMap, soleInputs, topologicalOrder } from '../../../shared/arch';
import type { ArchNode, Shape } from '../../../shared/arch/types';
import type { UNetModel } from '../model';
import { readComputed } from '../read';

/** Keras's BatchNormalization epsilon, as the model uses it. */
const BN_EPSILON = 1e-3;

/** What the measurement found, beside the summands and stages. */
export interface EmpiricalAnalysis extends SummandAnalysis {
  /** Images in the batch. */
  images: number;
  /**
   * Largest difference, relative to the sum's std, between the sum computed here and the model's own
   * forward pass at any node: a check that this walk runs the model's ops.
   */
  modelMismatch: number;
  /**
   * Largest std, relative to the sum's, of what the summands leave out at any stage (the biases the
   * samplers add, zero at initialisation).
   */
  residual: number;
}

/** The main-path value at one node: the real tensor, and its summands by index. */
interface State {
  sum: tf.Tensor4D;
  /** Absent for the raw input, before any summand exists. */
  terms: Map<number, tf.Tensor4D> | null;
}

type Weight = (name: string) => tf.Tensor;

function dispose(s: State): void {
  s.sum.dispose();
  if (s.terms) for (const t of s.terms.values()) t.dispose();
}

function tensorsOf(s: State): tf.Tensor[] {
  return [s.sum, ...(s.terms ? s.terms.values() : [])];
}

/** RMS over channels of each channel's std over batch and pixels, for a batch of tensors at once (one read). */
async function stds(ts: readonly tf.Tensor4D[]): Promise<number[]> {
  if (ts.length === 0) return [];
  return Array.from(await readComputed(() => tf.stack(ts.map((t) => tf.sqrt(tf.mean(tf.moments(t, [0, 1, 2]).variance))))));
}

/** Applies a linear map to every summand at once (one batched op) and to the sum with its bias. */
function linear(s: State, f: (x: tf.Tensor4D) => tf.Tensor4D, bias: tf.Tensor | null): State {
  const sum = bias ? tf.add(f(s.sum), bias) : f(s.sum);
  if (!s.terms) return { sum: sum as tf.Tensor4D, terms: null };
  const idx = [...s.terms.keys()];
  const mapped = f(tf.concat([...s.terms.values()], 0));
  const parts = tf.split(mapped, idx.length, 0) as tf.Tensor4D[];
  return { sum: sum as tf.Tensor4D, terms: new Map(idx.map((i, k) => [i, parts[k] as tf.Tensor4D])) };
}

/** Training-mode BN: the sum as the model computes it; each summand centred and divided by the sum's std. */
function batchNorm(s: State, w: Weight, name: string): State {
  const gamma = w(`${name}/gamma`);
  const beta = w(`${name}/beta`);
  const { mean, variance } = tf.moments(s.sum, [0, 1, 2]);
  const sum = tf.batchNorm4d(s.sum, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, BN_EPSILON);
  if (!s.terms) return { sum, terms: null };
  const factor = tf.div(gamma, tf.sqrt(tf.add(variance, BN_EPSILON)));
  const terms = new Map<number, tf.Tensor4D>();
  for (const [i, t] of s.terms) terms.set(i, tf.mul(tf.sub(t, tf.mean(t, [0, 1, 2])), factor) as tf.Tensor4D);
  return { sum, terms };
}

function addTerms(a: Map<number, tf.Tensor4D>, b: Map<number, tf.Tensor4D>): Map<number, tf.Tensor4D> {
  const out = new Map<number, tf.Tensor4D>();
  for (const i of [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y)) {
    const x = a.get(i);
    const y = b.get(i);
    out.set(i, x && y ? tf.add(x, y) : ((x ?? y) as tf.Tensor4D).clone());
  }
  return out;
}

interface Walk {
  w: Weight;
  shapes: Map<string, Shape>;
  levelOf: Map<string, string>;
  origins: Map<number, { nodeId: string; level: string; block?: number }>;
  firstStd: Map<number, tf.Tensor4D>;
}

function newIndex(walk: Walk, nodeId: string, level: string, block?: number): number {
  const index = walk.origins.size;
  walk.origins.set(index, block === undefined ? { nodeId, level } : { nodeId, level, block });
  return index;
}

/** The raw input, where a node adds to it without an initial conv, becomes a summand of its own. */
function ensureTerms(walk: Walk, s: State, nodeId: string): Map<number, tf.Tensor4D> {
  if (s.terms) return s.terms;
  const index = newIndex(walk, nodeId, 'input');
  walk.firstStd.set(index, tf.keep(s.sum.clone()));
  return new Map([[index, s.sum.clone()]]);
}

function conv(w: Weight, name: string, stride: number): (x: tf.Tensor4D) => tf.Tensor4D {
  const k = w(`${name}/kernel`) as tf.Tensor4D;
  return (x) => tf.conv2d(x, k, stride, 'same');
}

function convTranspose(w: Weight, name: string, out: Shape): (x: tf.Tensor4D) => tf.Tensor4D {
  const k = w(`${name}/kernel`) as tf.Tensor4D;
  return (x) => tf.conv2dTranspose(x, k, [x.shape[0], out.h, out.w, out.c], 2, 'same');
}

/** One node of the walk; runs inside a tidy, and returns a state of fresh tensors. */
function step(walk: Walk, node: Exclude<ArchNode, { kind: 'input' }>, x: State, skip: State | undefined): State {
  const { w } = walk;
  const id = node.id;
  const out = walk.shapes.get(id) as Shape;
  switch (node.kind) {
    case 'conv': {
      const y = linear(x, conv(w, `${id}/conv`, node.stride), w(`${id}/conv/bias`));
      if (x.terms) return y;
      const index = newIndex(walk, id, 'stem');
      walk.firstStd.set(index, tf.keep(y.sum.clone()));
      return { sum: y.sum, terms: new Map([[index, y.sum.clone()]]) };
    }
    case 'resnet': {
      let terms = new Map([...ensureTerms(walk, x, id)].map(([i, t]) => [i, t.clone()]));
      let sum = x.sum;
      const level = walk.levelOf.get(id) ?? id;
      for (let b = 0; b < node.blocks; b++) {
        const p = `${id}/block${b}`;
        let r = tf.relu(batchNorm({ sum, terms: null }, w, `${p}/bn1`).sum);
        r = tf.add(conv(w, `${p}/conv1`, 1)(r), w(`${p}/conv1/bias`));
        r = tf.relu(batchNorm({ sum: r, terms: null }, w, `${p}/bn2`).sum);
        r = tf.add(conv(w, `${p}/conv2`, 1)(r), w(`${p}/conv2/bias`));
        const index = newIndex(walk, id, level, b);
        walk.firstStd.set(index, tf.keep(r.clone()));
        terms.set(index, r);
        sum = tf.add(sum, r);
        if (node.bnAfterBlock) {
          const y = batchNorm({ sum, terms }, w, `${p}/bn_out`);
          sum = y.sum;
          terms = y.terms as Map<number, tf.Tensor4D>;
        }
      }
      return { sum: sum.clone(), terms };
    }
    case 'down': {
      let y = x;
      for (let i = 0; i < node.convs; i++) y = linear(y, conv(w, `${id}/conv${i}`, 1), w(`${id}/conv${i}/bias`));
      y = linear(y, conv(w, `${id}/strided`, 2), w(`${id}/strided/bias`));
      return node.bn === 'none' ? y : batchNorm(y, w, `${id}/bn`);
    }
    case 'up': {
      let y = linear(x, convTranspose(w, `${id}/transposed`, out), w(`${id}/transposed/bias`));
      if (node.bn === 'strided') y = batchNorm(y, w, `${id}/bn`);
      for (let i = 0; i < node.convs; i++) y = linear(y, conv(w, `${id}/conv${i}`, 1), w(`${id}/conv${i}/bias`));
      return node.bn === 'after' ? batchNorm(y, w, `${id}/bn`) : y;
    }
    case 'bn':
      return batchNorm(x, w, `${id}/bn`);
    case 'merge': {
      if (!skip) throw new Error(`merge '${id}' has no skip input`);
      const a = ensureTerms(walk, x, id);
      const b = ensureTerms(walk, skip, id);
      if (node.mode === 'add') return { sum: tf.add(x.sum, skip.sum), terms: addTerms(a, b) };
      const project = conv(w, `${id}/project`, 1);
      const sum = tf.add(project(tf.concat([x.sum, skip.sum], 3)), w(`${id}/project/bias`)) as tf.Tensor4D;
      const terms = new Map<number, tf.Tensor4D>();
      for (const i of [...new Set([...a.keys(), ...b.keys()])].sort((p, q) => p - q)) {
        const m = a.get(i) ?? tf.zerosLike(x.sum);
        const s = b.get(i) ?? tf.zerosLike(skip.sum);
        terms.set(i, project(tf.concat([m, s], 3)));
      }
      return { sum, terms };
    }
    case 'head':
      return { sum: x.sum.clone(), terms: new Map([...ensureTerms(walk, x, id)].map(([i, t]) => [i, t.clone()])) };
    case 'saltHead':
      // Off the mask path; measureSummands skips it.
      return { sum: x.sum.clone(), terms: null };
  }
}

async function stageOf(nodeId: string, kind: StageEntry['kind'], shape: Shape, s: State): Promise<{ stage: StageEntry; residual: number }> {
  const idx = [...(s.terms?.keys() ?? [])];
  const terms = [...(s.terms?.values() ?? [])];
  const rest = tf.tidy(() => (terms.length > 0 ? tf.sub(s.sum, tf.addN(terms)) : s.sum.clone()) as tf.Tensor4D);
  let values: number[];
  try {
    // The sum's, each summand's and what they leave out, in one read.
    values = await stds([s.sum, ...terms, rest]);
  } finally {
    rest.dispose();
  }
  const residualStd = values[terms.length + 1] ?? 0;
  const sumStd = values[0] ?? 0;
  const summands = idx.map((index, k) => ({ index, std: values[k + 1] ?? 0 }));
  return {
    stage: { nodeId, kind, shape: { ...shape }, summands, sumStd, sumBounds: sumBounds(summands.map((t) => t.std)) },
    residual: sumStd > 0 ? residualStd / sumStd : 0,
  };
}

/** The model's own node outputs for the same batch, kept for the comparison. */
function modelOutputs(model: UNetModel, x: tf.Tensor4D): Map<string, tf.Tensor4D> {
  const outputs = new Map<string, tf.Tensor4D>();
  tf.tidy(() => {
    model.forward(x, true, {
      onNodeOutput: (node, output) => {
        if (node.kind !== 'input') outputs.set(node.id, tf.keep(output.clone()));
      },
    });
  });
  model.discardBnUpdates();
  return outputs;
}

/**
 * Measures the summands of `model` (as initialised: its weights are used as they are) on the batch
 * `x` [B, H, W, C] of normalised images. Leaves the model's weights and BN statistics untouched.
 */
export async function measureSummands(model: UNetModel, x: tf.Tensor4D): Promise<EmpiricalAnalysis> {
  const arch = model.arch;
  const params = model.params.trainable;
  const w: Weight = (name) => {
    const v = params.get(name);
    if (!v) throw new Error(`model '${arch.name}' has no weight '${name}'`);
    return v;
  };
  const { shapes } = inferShapes(arch);
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const order = topologicalOrder(arch).order;
  const consumers = new Map<string, number>();
  for (const e of arch.edges) consumers.set(e.from, (consumers.get(e.from) ?? 0) + 1);
  const walk: Walk = { w, shapes, levelOf: levelNames(arch), origins: new Map(), firstStd: new Map() };
  const reference = modelOutputs(model, x);
  const states = new Map<string, State>();
  const stages: StageEntry[] = [];
  let mismatch = 0;
  let residual = 0;
  let head: StageEntry | null = null;
  const release = (id: string | undefined) => {
    if (id === undefined) return;
    const left = (consumers.get(id) ?? 0) - 1;
    consumers.set(id, left);
    const s = states.get(id);
    if (left <= 0 && s) {
      dispose(s);
      states.delete(id);
    }
  };
  try {
    for (const id of order) {
      const node = nodes.get(id);
      const shape = shapes.get(id);
      if (!node || !shape) continue;
      if (node.kind === 'input') {
        states.set(id, { sum: x.clone(), terms: null });
        continue;
      }
      const src = sole(id);
      if (node.kind === 'saltHead') {
        // The salt head's pooled logit is off the mask path whose summands are measured; it only lets go of its input.
        release(src);
        continue;
      }
      const skipSrc = node.kind === 'merge' ? sole(id, 'skip') : undefined;
      const input = src === undefined ? undefined : states.get(src);
      if (!input) throw new Error(`node '${id}' has no input`);
      const skip = skipSrc === undefined ? undefined : states.get(skipSrc);
      let y: State | null = null;
      tf.tidy(() => {
        const s = step(walk, node, input, skip);
        // tidy cannot see into a Map, so the state's tensors are kept by hand.
        for (const t of tensorsOf(s)) tf.keep(t);
        y = s;
      });
      if (y === null) throw new Error(`node '${id}' produced nothing`);
      const ref = reference.get(id);
      const state: State = y;
      if (ref && node.kind !== 'head') {
        const diff = (await readComputed(() => tf.max(tf.abs(tf.sub(state.sum, ref)))))[0] ?? 0;
        const m = await stageOf(id, node.kind, shape, state);
        mismatch = Math.max(mismatch, m.stage.sumStd > 0 ? diff / m.stage.sumStd : diff);
        if (state.terms) {
          residual = Math.max(residual, m.residual);
          stages.push(m.stage);
        }
      } else if (node.kind === 'head') {
        const m = await stageOf(id, 'head-input', walk.shapes.get(src as string) as Shape, state);
        residual = Math.max(residual, m.residual);
        head = m.stage;
        stages.push(m.stage);
      }
      states.set(id, state);
      release(src);
      release(skipSrc);
    }
    const origin = new Map<number, number>();
    const firstIdx = [...walk.firstStd.keys()];
    (await stds([...walk.firstStd.values()])).forEach((v, k) => origin.set(firstIdx[k] as number, v));
    const atHead = new Map((head?.summands ?? []).map((s) => [s.index, s.std]));
    const summands: SummandEntry[] = [...walk.origins.entries()].map(([index, o]) => {
      const e: SummandEntry = { index, level: o.level, nodeId: o.nodeId, std: atHead.get(index) ?? 0, stdAtOrigin: origin.get(index) ?? 0 };
      if (o.block !== undefined) e.block = o.block;
      return e;
    });
    return { images: x.shape[0], summands, stages, modelMismatch: mismatch, residual };
  } finally {
    for (const s of states.values()) dispose(s);
    for (const t of reference.values()) t.dispose();
    for (const t of walk.firstStd.values()) t.dispose();
  }
}
