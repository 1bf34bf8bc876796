/**
 * The Keras layers each node expands into, with their output shapes, weights and multiply-adds.
 * This is the single place that knows what a node costs; the summary only adds these up, and the
 * model builder creates the same layers in the same order.
 */
import type { ArchNode, Shape } from './types';

/** The Keras layer types a design uses. */
export type LayerType =
  | 'input'
  | 'conv'
  | 'conv-transpose'
  | 'bn'
  | 'relu'
  | 'add'
  | 'concat'
  | 'sigmoid'
  | 'global-pool'
  | 'dense';

/** One Keras layer. */
export interface LayerSpec {
  type: LayerType;
  /** Output shape per image. */
  out: Shape;
  /** All weights, BN moving statistics included. */
  params: number;
  /** Weights the optimiser updates: BN's moving mean and variance are not among them. */
  trainableParams: number;
  /** Multiply-adds per image. */
  macs: number;
}

function conv(inShape: Shape, out: Shape, k: number): LayerSpec {
  const params = k * k * inShape.c * out.c + out.c;
  return { type: 'conv', out, params, trainableParams: params, macs: out.h * out.w * k * k * inShape.c * out.c };
}

/** A transposed conv does k*k*cout multiply-adds for each input pixel and input channel. */
function convTranspose(inShape: Shape, out: Shape, k: number): LayerSpec {
  const params = k * k * inShape.c * out.c + out.c;
  return {
    type: 'conv-transpose',
    out,
    params,
    trainableParams: params,
    macs: inShape.h * inShape.w * k * k * inShape.c * out.c,
  };
}

/** Gamma and beta are trained; the moving mean and variance are not. */
function bn(out: Shape): LayerSpec {
  return { type: 'bn', out, params: 4 * out.c, trainableParams: 2 * out.c, macs: 0 };
}

/** A dense layer from `cin` to `cout` units, with bias. */
function dense(cin: number, cout: number): LayerSpec {
  const params = cin * cout + cout;
  return { type: 'dense', out: { h: 1, w: 1, c: cout }, params, trainableParams: params, macs: cin * cout };
}

function plain(type: LayerType, out: Shape): LayerSpec {
  return { type, out, params: 0, trainableParams: 0, macs: 0 };
}

/**
 * The layers of one node, given its input shapes and output shape (from `inferShapes`). `skip` is
 * a merge's encoder input.
 *
 * Counting rules (Keras-style, one entry per layer):
 * - input: 1 (the InputLayer);
 * - conv: 1 conv;
 * - resnet: 7 per block (BN, ReLU, conv, BN, ReLU, conv, add), plus a BN per block with `bnAfterBlock`;
 * - down: `convs` stride-1 convs and the stride-2 conv, plus a BN unless `bn` is `none`;
 * - up: the stride-2 transposed conv and `convs` stride-1 convs, plus a BN unless `bn` is `none`;
 * - bn: 1; merge: `add` 1, `concat` 2 (the concatenation and its 1x1 projection conv);
 * - head: 3 (1x1 conv to one channel, BN, sigmoid);
 * - saltHead: 3 (global average pool, dense to one unit, sigmoid), plus 2 with `hidden` (dense, ReLU).
 */
export function nodeLayers(node: ArchNode, inShape: Shape | undefined, out: Shape, skip?: Shape): LayerSpec[] {
  if (node.kind === 'input') return [plain('input', out)];
  const x = inShape ?? out;
  switch (node.kind) {
    case 'conv':
      return [conv(x, out, node.kernel)];
    case 'resnet': {
      const block = [bn(out), plain('relu', out), conv(out, out, node.kernel), bn(out), plain('relu', out), conv(out, out, node.kernel), plain('add', out)];
      if (node.bnAfterBlock) block.push(bn(out));
      const layers: LayerSpec[] = [];
      for (let i = 0; i < node.blocks; i++) layers.push(...block);
      return layers;
    }
    case 'down': {
      const layers: LayerSpec[] = [];
      for (let i = 0; i < node.convs; i++) layers.push(conv(x, x, node.kernel));
      layers.push(conv(x, out, node.kernel));
      if (node.bn !== 'none') layers.push(bn(out));
      return layers;
    }
    case 'up': {
      const layers: LayerSpec[] = [convTranspose(x, out, node.kernel)];
      if (node.bn === 'strided') layers.push(bn(out));
      for (let i = 0; i < node.convs; i++) layers.push(conv(out, out, node.convKernel ?? 3));
      if (node.bn === 'after') layers.push(bn(out));
      return layers;
    }
    case 'bn':
      return [bn(out)];
    case 'merge': {
      if (node.mode === 'add') return [plain('add', out)];
      const joined: Shape = { h: out.h, w: out.w, c: x.c + (skip?.c ?? 0) };
      return [plain('concat', joined), conv(joined, out, 1)];
    }
    case 'head':
      return [conv(x, out, 1), bn(out), plain('sigmoid', out)];
    case 'saltHead': {
      // The pool's additions are not multiply-adds; the dense layers' are.
      const pooled: Shape = { h: 1, w: 1, c: x.c };
      const layers: LayerSpec[] = [plain('global-pool', pooled)];
      let c = x.c;
      if (node.hidden !== undefined) {
        layers.push(dense(c, node.hidden), plain('relu', { h: 1, w: 1, c: node.hidden }));
        c = node.hidden;
      }
      layers.push(dense(c, 1), plain('sigmoid', out));
      return layers;
    }
  }
}
