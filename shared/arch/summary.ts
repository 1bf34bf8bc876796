/**
 * The numbers the designer shows beside a design: layer and conv counts, weights, compute and
 * memory, per node and per U-Net level. Everything is derived from `nodeLayers`, so these numbers
 * describe exactly the model that gets built.
 */
import { archError } from './errors';
import type { ArchError } from './errors';
import { nodeMap, soleInputs, topologicalOrder } from './graph';
import { nodeLayers } from './layers';
import type { LayerSpec } from './layers';
import { inferShapes } from './shapes';
import type { Architecture, NodeKind, Shape } from './types';
import { validateArchitecture } from './validate';

/** Bytes per float32 value. */
const FLOAT_BYTES = 4;
/** Copies of every weight during training: the weights, their gradients and two Adam slots. */
const WEIGHT_COPIES = 4;
/** Keras's default batch size. */
export const DEFAULT_BATCH = 32;

/** What one node costs. */
export interface NodeSummary {
  nodeId: string;
  kind: NodeKind;
  /** Main input shape; absent for the input node. */
  inShape?: Shape;
  outShape: Shape;
  /** Keras layers this node expands into (see `nodeLayers` for the counting rules). */
  layers: number;
  /** Convs and transposed convs among them. */
  convLayers: number;
  params: number;
  trainableParams: number;
  macsPerImage: number;
  /** Floats of all layer outputs for one image. */
  activationFloats: number;
}

/** Where a resnet stack sits in the U: before the deepest level, at it, or after an upsampler. */
export type LevelSide = 'encoder' | 'bottom' | 'decoder';

/** One U-Net level: a resnet stack and where it sits. */
export interface LevelSummary {
  nodeId: string;
  /** `e{depth}` on the way down, `bottom` at the deepest level, `d{depth}` on the way up. */
  name: string;
  side: LevelSide;
  /** Downsamplers minus upsamplers between the input and this stack. */
  depth: number;
  height: number;
  width: number;
  channels: number;
  blocks: number;
  convLayers: number;
  params: number;
  macsPerImage: number;
}

/** The whole design's numbers. */
export interface ArchSummary {
  name: string;
  /** The batch size the memory figures are for. */
  batch: number;
  inputShape: Shape;
  outputShape: Shape;
  layers: number;
  convLayers: number;
  params: number;
  trainableParams: number;
  macsPerImage: number;
  /** Floats of every layer output for one image (see {@link activationBytes}). */
  activationFloatsPerImage: number;
  /** {@link activationBytes} at `batch`. */
  activationBytes: number;
  /** {@link trainingMemoryBytes} at `batch`. */
  trainingMemoryBytes: number;
  /** Resnet stacks in design order. */
  levels: LevelSummary[];
  /** Every node in topological order. */
  perNode: NodeSummary[];
}

/** Summary of a valid design, or the validator's errors. */
export type SummaryResult = { ok: true; summary: ArchSummary } | { ok: false; errors: ArchError[] };

/**
 * Activation memory for one training step. Model: every layer's output is kept for
 * backpropagation, once, as float32, for each image of the batch. Real frameworks differ a little
 * (in-place ReLUs keep less, BN keeps per-batch statistics, kernels need workspace), so this is an
 * estimate for comparing designs, not a promise.
 */
export function activationBytes(summary: Pick<ArchSummary, 'activationFloatsPerImage'>, batch: number): number {
  return summary.activationFloatsPerImage * batch * FLOAT_BYTES;
}

/**
 * Training memory: {@link activationBytes} plus four float32 copies of every weight (the weights,
 * their gradients and Adam's two moment slots). BN's moving statistics are counted among the
 * weights too, a negligible overestimate that keeps the model simple.
 */
export function trainingMemoryBytes(
  summary: Pick<ArchSummary, 'activationFloatsPerImage' | 'params'>,
  batch: number,
): number {
  return activationBytes(summary, batch) + summary.params * FLOAT_BYTES * WEIGHT_COPIES;
}

function sum(layers: readonly LayerSpec[], f: (l: LayerSpec) => number): number {
  let total = 0;
  for (const l of layers) total += f(l);
  return total;
}

/** Depth and side of every node, following the main (`in`) path from the input. */
function depths(arch: Architecture, order: readonly string[]): Map<string, { depth: number; decoder: boolean }> {
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const result = new Map<string, { depth: number; decoder: boolean }>();
  for (const id of order) {
    const node = nodes.get(id);
    if (!node) continue;
    const src = sole(id);
    const prev = (src === undefined ? undefined : result.get(src)) ?? { depth: 0, decoder: false };
    if (node.kind === 'down') result.set(id, { depth: prev.depth + 1, decoder: prev.decoder });
    else if (node.kind === 'up') result.set(id, { depth: prev.depth - 1, decoder: true });
    else result.set(id, prev);
  }
  return result;
}

/**
 * Summarizes a design at a batch size (default {@link DEFAULT_BATCH}). Invalid designs yield the
 * validator's errors instead, since their numbers would be meaningless.
 */
export function summarize(arch: Architecture, options: { batch?: number } = {}): SummaryResult {
  const batch = options.batch ?? DEFAULT_BATCH;
  const errors = validateArchitecture(arch);
  if (!Number.isInteger(batch) || batch < 1) {
    errors.push(archError('bad-param', `batch size must be a positive whole number, got ${batch}`));
  }
  if (errors.length > 0) return { ok: false, errors };
  const { shapes } = inferShapes(arch);
  const nodes = nodeMap(arch);
  const { order } = topologicalOrder(arch);
  const sole = soleInputs(arch);

  const perNode: NodeSummary[] = [];
  for (const id of order) {
    const node = nodes.get(id);
    const out = shapes.get(id);
    if (!node || !out) continue;
    const src = sole(id);
    const inShape = src === undefined ? undefined : shapes.get(src);
    const skipSrc = node.kind === 'merge' ? sole(id, 'skip') : undefined;
    const skip = skipSrc === undefined ? undefined : shapes.get(skipSrc);
    const layers = nodeLayers(node, inShape, out, skip);
    const entry: NodeSummary = {
      nodeId: id,
      kind: node.kind,
      outShape: out,
      layers: layers.length,
      convLayers: layers.filter((l) => l.type === 'conv' || l.type === 'conv-transpose').length,
      params: sum(layers, (l) => l.params),
      trainableParams: sum(layers, (l) => l.trainableParams),
      macsPerImage: sum(layers, (l) => l.macs),
      activationFloats: sum(layers, (l) => l.out.h * l.out.w * l.out.c),
    };
    if (inShape) entry.inShape = inShape;
    perNode.push(entry);
  }

  const depth = depths(arch, order);
  const stacks = perNode.filter((n) => n.kind === 'resnet');
  const maxDepth = Math.max(0, ...stacks.map((n) => depth.get(n.nodeId)?.depth ?? 0));
  const used = new Map<string, number>();
  const levels: LevelSummary[] = stacks.map((n) => {
    const node = nodes.get(n.nodeId);
    const d = depth.get(n.nodeId) ?? { depth: 0, decoder: false };
    const side: LevelSide = maxDepth > 0 && d.depth === maxDepth ? 'bottom' : d.decoder ? 'decoder' : 'encoder';
    const base = side === 'bottom' ? 'bottom' : `${side === 'encoder' ? 'e' : 'd'}${d.depth}`;
    // Two stacks at one level (unusual but legal) get distinct names.
    const seen = (used.get(base) ?? 0) + 1;
    used.set(base, seen);
    return {
      nodeId: n.nodeId,
      name: seen === 1 ? base : `${base}-${seen}`,
      side,
      depth: d.depth,
      height: n.outShape.h,
      width: n.outShape.w,
      channels: n.outShape.c,
      blocks: node?.kind === 'resnet' ? node.blocks : 0,
      convLayers: n.convLayers,
      params: n.params,
      macsPerImage: n.macsPerImage,
    };
  });

  const total = (f: (n: NodeSummary) => number) => perNode.reduce((acc, n) => acc + f(n), 0);
  const inputNode = perNode.find((n) => n.kind === 'input');
  const headNode = perNode.find((n) => n.kind === 'head');
  const partial = {
    params: total((n) => n.params),
    activationFloatsPerImage: total((n) => n.activationFloats),
  };
  return {
    ok: true,
    summary: {
      name: arch.name,
      batch,
      inputShape: inputNode?.outShape ?? { h: 0, w: 0, c: 0 },
      outputShape: headNode?.outShape ?? { h: 0, w: 0, c: 0 },
      layers: total((n) => n.layers),
      convLayers: total((n) => n.convLayers),
      params: partial.params,
      trainableParams: total((n) => n.trainableParams),
      macsPerImage: total((n) => n.macsPerImage),
      activationFloatsPerImage: partial.activationFloatsPerImage,
      activationBytes: activationBytes(partial, batch),
      trainingMemoryBytes: trainingMemoryBytes(partial, batch),
      levels,
      perNode,
    },
  };
}
