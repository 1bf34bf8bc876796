/**
 * The weights a design's model has, by name and shape, without building it: what a warm start
 * (`config.initFrom`) checks at plan time, where tfjs is not at hand, before copying one run's
 * checkpoint into another's model. The names and shapes are those the trainer's model gives its
 * variables (src-main/training/model.ts); test/training/weights.test.ts holds the two together.
 */
import { nodeMap, soleInput, topologicalOrder } from './graph';
import { inferShapes } from './shapes';
import type { Architecture, Shape } from './types';

/** One weight of a model. */
export interface WeightSpec {
  /** Stable name, e.g. `e0/block3/conv1/kernel`. */
  name: string;
  shape: number[];
  /** False for BN moving statistics. */
  trainable: boolean;
}

/** A design whose weights cannot be listed (a node without an inferred shape). */
export class WeightListError extends Error {
  override readonly name = 'WeightListError';
}

/**
 * Every weight of `arch`'s model as the model creates and checkpoints them: trainable ones first,
 * then the BN moving statistics, each in graph order. Pass the design as it trains, after its run's
 * BN placement (which adds or removes BNs); initializers change values, not shapes.
 */
export function weightSpecs(arch: Architecture): WeightSpec[] {
  const { shapes } = inferShapes(arch);
  const nodes = nodeMap(arch);
  const trainable: WeightSpec[] = [];
  const moving: WeightSpec[] = [];
  const shapeOf = (id: string | undefined, of: string): Shape => {
    const s = id === undefined ? undefined : shapes.get(id);
    if (!s) throw new WeightListError(`${of}: no shape for its input (the design does not check out)`);
    return s;
  };
  const conv = (name: string, k: number, cin: number, cout: number) => {
    trainable.push({ name: `${name}/kernel`, shape: [k, k, cin, cout], trainable: true }, { name: `${name}/bias`, shape: [cout], trainable: true });
  };
  const bn = (name: string, c: number) => {
    trainable.push({ name: `${name}/gamma`, shape: [c], trainable: true }, { name: `${name}/beta`, shape: [c], trainable: true });
    moving.push({ name: `${name}/moving_mean`, shape: [c], trainable: false }, { name: `${name}/moving_variance`, shape: [c], trainable: false });
  };
  for (const id of topologicalOrder(arch).order) {
    const node = nodes.get(id);
    if (!node || node.kind === 'input') continue;
    const x = shapeOf(soleInput(arch, id, 'in'), id);
    const out = shapeOf(id, id);
    switch (node.kind) {
      case 'conv':
        conv(`${id}/conv`, node.kernel, x.c, node.filters);
        break;
      case 'resnet':
        for (let b = 0; b < node.blocks; b++) {
          const p = `${id}/block${b}`;
          bn(`${p}/bn1`, x.c);
          conv(`${p}/conv1`, node.kernel, x.c, x.c);
          bn(`${p}/bn2`, x.c);
          conv(`${p}/conv2`, node.kernel, x.c, x.c);
          if (node.bnAfterBlock) bn(`${p}/bn_out`, x.c);
        }
        break;
      case 'down':
        for (let i = 0; i < node.convs; i++) conv(`${id}/conv${i}`, node.kernel, x.c, x.c);
        conv(`${id}/strided`, node.kernel, x.c, out.c);
        if (node.bn !== 'none') bn(`${id}/bn`, out.c);
        break;
      case 'up': {
        // A transposed conv's kernel is [k, k, out, in], as Keras stores it.
        trainable.push({ name: `${id}/transposed/kernel`, shape: [node.kernel, node.kernel, out.c, x.c], trainable: true }, { name: `${id}/transposed/bias`, shape: [out.c], trainable: true });
        if (node.bn === 'strided') bn(`${id}/bn`, out.c);
        for (let i = 0; i < node.convs; i++) conv(`${id}/conv${i}`, node.convKernel ?? 3, out.c, out.c);
        if (node.bn === 'after') bn(`${id}/bn`, out.c);
        break;
      }
      case 'bn':
        bn(`${id}/bn`, x.c);
        break;
      case 'merge':
        if (node.mode === 'concat') {
          const skip = shapeOf(soleInput(arch, id, 'skip'), id);
          conv(`${id}/project`, 1, x.c + skip.c, x.c);
        }
        break;
      case 'head':
        conv(`${id}/conv`, 1, x.c, 1);
        bn(`${id}/bn`, 1);
        break;
      case 'saltHead': {
        // Global average pool (no weights), the optional dense + ReLU, one dense unit; dense kernels are [in, out].
        const dense = (name: string, cin: number, units: number) => {
          trainable.push({ name: `${name}/kernel`, shape: [cin, units], trainable: true }, { name: `${name}/bias`, shape: [units], trainable: true });
        };
        if (node.hidden !== undefined) dense(`${id}/hidden`, x.c, node.hidden);
        dense(`${id}/dense`, node.hidden ?? x.c, 1);
        break;
      }
      default: {
        // A new node kind is a type error here until its weights are listed (and the model builds them).
        const unlisted: never = node;
        throw new WeightListError(`${id}: the weights of node kind ${String((unlisted as { kind: unknown }).kind)} are not known`);
      }
    }
  }
  return [...trainable, ...moving];
}

/** `3x3x16x16`, as the messages write a shape. */
export function weightShapeText(shape: readonly number[]): string {
  return shape.length ? shape.join('x') : 'scalar';
}

/**
 * The first difference between the weights a checkpoint of `from` holds and those `to` needs, in
 * `to`'s order (then `from`'s extra weights); null when both have the same names with the same shapes.
 */
export function firstWeightMismatch(from: readonly WeightSpec[], to: readonly WeightSpec[]): string | null {
  const had = new Map(from.map((w) => [w.name, w.shape]));
  for (const w of to) {
    const s = had.get(w.name);
    if (!s) return `${w.name} (${weightShapeText(w.shape)}) is not among its weights`;
    if (weightShapeText(s) !== weightShapeText(w.shape)) return `${w.name} is ${weightShapeText(s)} there, ${weightShapeText(w.shape)} here`;
  }
  const needed = new Set(to.map((w) => w.name));
  const extra = from.find((w) => !needed.has(w.name));
  return extra ? `${extra.name} (${weightShapeText(extra.shape)}) has no place in this design` : null;
}
