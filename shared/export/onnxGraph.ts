/**
 * A trained design lowered to an ONNX inference graph, as plain data: the nodes, the weights as
 * initializers, the inputs and outputs. No protobuf here (src-main/export/onnxModel.ts encodes it)
 * and no tfjs: the weights are a checkpoint's named arrays.
 *
 * The graph computes what Strata's model computes in inference mode (src-main/training/model.ts),
 * in NCHW: input [N, C, H, W] float32 with a dynamic N, already normalised (see exportMetadata),
 * output `mask` [N, 1, H, W], the sigmoid of the head's logits, and with a salt head `salt` [N, 1],
 * its probability that the image has salt. Padding is TensorFlow's 'same', written out as explicit
 * (possibly asymmetric) pads, and a transposed conv gets the pads that make it the adjoint of the
 * strided conv it mirrors, so 13 -> 26 -> 51 -> 101 comes out exactly.
 */
import { nodeMap, soleInputs, topologicalOrder } from '../arch/graph';
import { inferShapes } from '../arch/shapes';
import type { Architecture, Shape } from '../arch/types';
import { validateArchitecture } from '../arch/validate';
import { firstWeightMismatch, weightSpecs } from '../arch/weights';

/** ONNX's operator set the graph uses (Debian's onnx 1.12 checks up to 17). */
export const ONNX_OPSET = 17;
/** The IR version of onnx 1.12 (IR_VERSION 8 in its onnx.proto). */
export const ONNX_IR_VERSION = 8;
/** Keras's BatchNormalization epsilon, which Strata's model uses. */
export const BN_EPSILON = 1e-3;
/** The graph's input and outputs. */
export const ONNX_INPUT = 'input';
export const ONNX_MASK_OUTPUT = 'mask';
export const ONNX_SALT_OUTPUT = 'salt';
/**
 * The most bytes of weights one ONNX file holds: protobuf refuses messages of 2 GiB and more, and
 * the graph, the names and the metadata need some room beside the weights.
 */
export const ONNX_MAX_WEIGHT_BYTES = 2 ** 31 - 2 ** 24;

export type OnnxAttribute =
  | { name: string; type: 'int'; i: number }
  | { name: string; type: 'ints'; ints: number[] }
  | { name: string; type: 'float'; f: number };

/** One ONNX node; its output tensors are named as the node unless given. */
export interface OnnxNodeSpec {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

/** A float32 weight, row-major in ONNX's layout. */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** A graph input or output: float32 with these dims; a string dim is symbolic (the batch, `N`). */
export interface OnnxValueSpec {
  name: string;
  dims: (number | string)[];
  doc: string;
}

export interface OnnxGraphSpec {
  name: string;
  nodes: OnnxNodeSpec[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
}

/** A named array of a checkpoint: `e0/block0/conv1/kernel`, its shape, its values. */
export interface WeightArray {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/**
 * How BN is written: folded into the conv or transposed conv right before it where there is one
 * (the default), else as BatchNormalization nodes. Measured (test/bench/exportOnnx.ts, a loaded
 * 2-core machine): ONNX Runtime fuses a BN into a Conv itself but not into a ConvTranspose, so tiny,
 * whose upsamplers end in a BN on their transposed conv, ran 8.4 ms an image folded against 14.6 as
 * nodes at batch 32, while small, small-concat, keel and fig2 (BNs after Convs) ran alike within the
 * noise. Max abs error against Strata: tiny 1.3e-6 folded / 1.1e-6 as nodes, small 2.8e-6 / 2.6e-6,
 * fig2 4.8e-5 / 3.3e-5 (8 images; the depth, not the folding, makes most of it). A BN after an add
 * (each block's first) has no conv to go into and stays a node.
 */
export type BnLowering = 'nodes' | 'fold';

/** A design, or a design and checkpoint, that the exporter cannot write: the node (null: the whole design) and why. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly nodeId: string | null,
    readonly reason: string,
  ) {
    super(nodeId === null ? reason : `node '${nodeId}': ${reason}`);
  }
}

/** TensorFlow's 'same' padding of one axis: [before, after] for a conv of kernel `k` and `stride` over `size` pixels. */
export function samePads(size: number, k: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * The pads and output padding of ONNX's ConvTranspose (stride 2) that make it the adjoint of a
 * 'same' stride-2 conv from `target` pixels down to `input`: ONNX's output is
 * 2 (input - 1) + outputPadding + k - before - after, which must be `target`. When the strided conv
 * needs no padding at all (a 1-pixel kernel going to an even size), its last output row reads
 * nothing, and the output padding adds that row. Null when no output padding below the stride does it.
 */
export function transposedPads(input: number, target: number, k: number): { pads: [number, number]; outputPadding: number } | null {
  const total = (input - 1) * 2 + k - target;
  if (total >= 0) {
    const before = Math.floor(total / 2);
    return { pads: [before, total - before], outputPadding: 0 };
  }
  return -total < 2 ? { pads: [0, 0], outputPadding: -total } : null;
}

/** The node a weight belongs to: its name up to the first `/`. */
function nodeOfWeight(name: string): string {
  return name.split('/')[0] ?? name;
}

/**
 * Why `arch` cannot be one ONNX file, or null: its weights (counted from the design, before any
 * checkpoint is read) pass {@link ONNX_MAX_WEIGHT_BYTES}. Names the node at which they do.
 */
export function onnxSizeProblem(arch: Architecture, limit = ONNX_MAX_WEIGHT_BYTES): ExportError | null {
  let bytes = 0;
  for (const w of weightSpecs(arch)) {
    bytes += 4 * w.shape.reduce((a, b) => a * b, 1);
    if (bytes > limit) {
      const total = weightSpecs(arch).reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
      return new ExportError(
        nodeOfWeight(w.name),
        `its weights (${w.name}, ${w.shape.join('x')}) take the model's weights past ${(limit / 2 ** 30).toFixed(2)} GiB, more than one ONNX file holds beside its graph ` +
          `(protobuf's limit is 2 GiB; the design's weights are ${(total / 2 ** 30).toFixed(2)} GiB in all); ONNX's external-data form, which Strata does not write, would be needed`,
      );
    }
  }
  return null;
}

/** gamma / sqrt(var + eps) and beta - mean * that, per channel, in float64: a BN in inference mode as y = x * scale + shift. */
interface Affine {
  scale: Float64Array;
  shift: Float64Array;
}

class GraphBuilder {
  readonly nodes: OnnxNodeSpec[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly used = new Set<string>();

  constructor(
    private readonly weights: ReadonlyMap<string, WeightArray>,
    private readonly bn: BnLowering,
  ) {}

  private weight(name: string): WeightArray {
    const w = this.weights.get(name);
    if (!w) throw new ExportError(nodeOfWeight(name), `the checkpoint has no weight ${name}`);
    this.used.add(name);
    return w;
  }

  private init(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** Adds a node whose one output tensor is named as the node; returns that name. */
  node(opType: string, name: string, inputs: string[], attributes: OnnxAttribute[] = []): string {
    this.nodes.push({ name, opType, inputs, outputs: [name], attributes });
    return name;
  }

  private affine(name: string): Affine {
    const gamma = this.weight(`${name}/gamma`).data;
    const beta = this.weight(`${name}/beta`).data;
    const mean = this.weight(`${name}/moving_mean`).data;
    const variance = this.weight(`${name}/moving_variance`).data;
    const scale = new Float64Array(gamma.length);
    const shift = new Float64Array(gamma.length);
    for (let c = 0; c < gamma.length; c++) {
      const s = (gamma[c] ?? 1) / Math.sqrt((variance[c] ?? 1) + BN_EPSILON);
      scale[c] = s;
      shift[c] = (beta[c] ?? 0) - (mean[c] ?? 0) * s;
    }
    return { scale, shift };
  }

  /** A BN in inference mode: a BatchNormalization node. */
  batchNorm(name: string, x: string): string {
    const inputs = [x, ...['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => {
      const w = this.weight(`${name}/${p}`);
      return this.init(`${name}/${p}`, [...w.shape], w.data);
    })];
    return this.node('BatchNormalization', name, inputs, [{ name: 'epsilon', type: 'float', f: BN_EPSILON }]);
  }

  /**
   * A conv's kernel in ONNX's layout and its bias, with the BN `foldBn` (if any) applied per output
   * channel: `at(o, i, y, x)` gives the element's index in ONNX's kernel and in the stored one.
   */
  private folded(
    w: Float32Array,
    b: Float32Array,
    foldBn: string | undefined,
    { cout, cin, k }: { cout: number; cin: number; k: number },
    at: (o: number, i: number, y: number, x: number) => [number, number],
  ): { kernel: Float32Array; bias: Float32Array } {
    const bn = foldBn === undefined ? null : this.affine(foldBn);
    const kernel = new Float32Array(w.length);
    const bias = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      const scale = bn ? (bn.scale[o] ?? 1) : 1;
      for (let i = 0; i < cin; i++) {
        for (let y = 0; y < k; y++) {
          for (let xx = 0; xx < k; xx++) {
            const [to, from] = at(o, i, y, xx);
            kernel[to] = (w[from] ?? 0) * scale;
          }
        }
      }
      bias[o] = bn ? (b[o] ?? 0) * scale + (bn.shift[o] ?? 0) : (b[o] ?? 0);
    }
    return { kernel, bias };
  }

  /**
   * A 'same' conv of kernel `k` and `stride` from `x` (of shape `s`), its kernel [k, k, in, out]
   * turned to ONNX's [out, in, k, k]; with `foldBn`, the BN of that name applied to its weights.
   */
  conv(name: string, x: string, s: Shape, k: number, stride: number, foldBn?: string): string {
    const w = this.weight(`${name}/kernel`);
    const b = this.weight(`${name}/bias`).data;
    const [, , cin = 0, cout = 0] = w.shape;
    const { kernel, bias } = this.folded(w.data, b, foldBn, { cout, cin, k }, (o, i, y, xx) => [((o * cin + i) * k + y) * k + xx, ((y * k + xx) * cin + i) * cout + o]);
    const [top, bottom] = samePads(s.h, k, stride);
    const [left, right] = samePads(s.w, k, stride);
    const out = foldBn === undefined ? name : `${name}+bn`;
    return this.node('Conv', out, [x, this.init(`${out}/kernel`, [cout, cin, k, k], kernel), this.init(`${out}/bias`, [cout], bias)], [
      { name: 'kernel_shape', type: 'ints', ints: [k, k] },
      { name: 'strides', type: 'ints', ints: [stride, stride] },
      { name: 'pads', type: 'ints', ints: [top, left, bottom, right] },
    ]);
  }

  /** The stride-2 transposed conv from `s` to `out` of `nodeId`, its kernel [k, k, out, in] turned to ONNX's [in, out, k, k]. */
  convTranspose(nodeId: string, name: string, x: string, s: Shape, out: Shape, k: number, foldBn?: string): string {
    const w = this.weight(`${name}/kernel`);
    const b = this.weight(`${name}/bias`).data;
    const [, , cout = 0, cin = 0] = w.shape;
    const rows = transposedPads(s.h, out.h, k);
    const cols = transposedPads(s.w, out.w, k);
    if (!rows || !cols) {
      throw new ExportError(nodeId, `ONNX's ConvTranspose cannot take a ${k}x${k} stride-2 transposed conv from ${s.h}x${s.w} to ${out.h}x${out.w} (no output padding below the stride gives that size)`);
    }
    const { kernel, bias } = this.folded(w.data, b, foldBn, { cout, cin, k }, (o, i, y, xx) => [((i * cout + o) * k + y) * k + xx, ((y * k + xx) * cout + o) * cin + i]);
    const attributes: OnnxAttribute[] = [
      { name: 'kernel_shape', type: 'ints', ints: [k, k] },
      { name: 'strides', type: 'ints', ints: [2, 2] },
      { name: 'pads', type: 'ints', ints: [rows.pads[0], cols.pads[0], rows.pads[1], cols.pads[1]] },
    ];
    if (rows.outputPadding !== 0 || cols.outputPadding !== 0) attributes.push({ name: 'output_padding', type: 'ints', ints: [rows.outputPadding, cols.outputPadding] });
    const node = foldBn === undefined ? name : `${name}+bn`;
    return this.node('ConvTranspose', node, [x, this.init(`${node}/kernel`, [cin, cout, k, k], kernel), this.init(`${node}/bias`, [cout], bias)], attributes);
  }

  /** A dense layer [in, units] as Gemm. */
  dense(name: string, x: string): string {
    const w = this.weight(`${name}/kernel`);
    const b = this.weight(`${name}/bias`);
    return this.node('Gemm', name, [x, this.init(`${name}/kernel`, [...w.shape], w.data), this.init(`${name}/bias`, [...b.shape], b.data)]);
  }

  /** Whether BNs right after a conv are folded into it. */
  get folds(): boolean {
    return this.bn === 'fold';
  }

  /** Weights of the checkpoint the graph did not use. */
  unused(): string[] {
    return [...this.weights.keys()].filter((n) => !this.used.has(n));
  }
}

/**
 * Lowers `arch`, as it was trained (after its run's BN placement and initializer), with the
 * checkpoint's `weights`, to an ONNX graph. Throws an {@link ExportError} naming the node for a
 * design it cannot write or a checkpoint that does not fit the design.
 */
export function lowerToOnnx(arch: Architecture, weights: readonly WeightArray[], opts: { bn?: BnLowering } = {}): OnnxGraphSpec {
  const problems = validateArchitecture(arch);
  const first = problems[0];
  if (first) throw new ExportError(first.nodeId ?? null, `the design does not check out: ${first.message}`);
  const mismatch = firstWeightMismatch(
    weights.map((w) => ({ name: w.name, shape: [...w.shape], trainable: true })),
    weightSpecs(arch),
  );
  if (mismatch !== null) throw new ExportError(null, `the checkpoint does not fit the design: ${mismatch}`);
  const { shapes } = inferShapes(arch);
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const g = new GraphBuilder(new Map(weights.map((w) => [w.name, w])), opts.bn ?? 'fold');
  const fold = (name: string): string | undefined => (g.folds ? name : undefined);
  const bnUnlessFolded = (name: string, x: string): string => (g.folds ? x : g.batchNorm(name, x));
  const tensorOf = new Map<string, string>();
  const shapeOf = (id: string | undefined): Shape => {
    const s = id === undefined ? undefined : shapes.get(id);
    if (!s) throw new ExportError(id ?? null, 'no inferred shape');
    return s;
  };
  const inputTensor = (id: string | undefined): string => {
    const t = id === undefined ? undefined : tensorOf.get(id);
    if (t === undefined) throw new ExportError(id ?? null, 'its input was not lowered');
    return t;
  };
  const inputs: OnnxValueSpec[] = [];
  const outputs: OnnxValueSpec[] = [];
  let saltOutput: OnnxValueSpec | null = null;

  for (const id of topologicalOrder(arch).order) {
    const node = nodes.get(id);
    if (!node) continue;
    const out = shapeOf(id);
    if (node.kind === 'input') {
      inputs.push({ name: ONNX_INPUT, dims: ['N', node.channels, node.height, node.width], doc: 'images normalised as (png - input_mean) / input_std, NCHW' });
      tensorOf.set(id, ONNX_INPUT);
      continue;
    }
    const src = sole(id);
    const s = shapeOf(src);
    const x = inputTensor(src);
    let y: string;
    switch (node.kind) {
      case 'conv':
        y = g.conv(`${id}/conv`, x, s, node.kernel, node.stride);
        break;
      case 'resnet': {
        y = x;
        for (let b = 0; b < node.blocks; b++) {
          const p = `${id}/block${b}`;
          let r = g.node('Relu', `${p}/relu1`, [g.batchNorm(`${p}/bn1`, y)]);
          r = g.conv(`${p}/conv1`, r, s, node.kernel, 1, fold(`${p}/bn2`));
          r = g.node('Relu', `${p}/relu2`, [bnUnlessFolded(`${p}/bn2`, r)]);
          r = g.conv(`${p}/conv2`, r, s, node.kernel, 1);
          y = g.node('Add', `${p}/add`, [y, r]);
          if (node.bnAfterBlock) y = g.batchNorm(`${p}/bn_out`, y);
        }
        break;
      }
      case 'down': {
        y = x;
        for (let i = 0; i < node.convs; i++) y = g.conv(`${id}/conv${i}`, y, s, node.kernel, 1);
        const withBn = node.bn !== 'none';
        y = g.conv(`${id}/strided`, y, s, node.kernel, 2, withBn ? fold(`${id}/bn`) : undefined);
        if (withBn) y = bnUnlessFolded(`${id}/bn`, y);
        break;
      }
      case 'up': {
        // The BN follows the transposed conv directly when it is `strided`, or `after` with no convs.
        const bnOnTransposed = node.bn === 'strided' || (node.bn === 'after' && node.convs === 0);
        y = g.convTranspose(id, `${id}/transposed`, x, s, out, node.kernel, bnOnTransposed ? fold(`${id}/bn`) : undefined);
        if (bnOnTransposed) y = bnUnlessFolded(`${id}/bn`, y);
        for (let i = 0; i < node.convs; i++) {
          const last = i === node.convs - 1 && node.bn === 'after';
          y = g.conv(`${id}/conv${i}`, y, out, node.convKernel ?? 3, 1, last ? fold(`${id}/bn`) : undefined);
          if (last) y = bnUnlessFolded(`${id}/bn`, y);
        }
        break;
      }
      case 'bn':
        y = g.batchNorm(`${id}/bn`, x);
        break;
      case 'merge': {
        const skip = inputTensor(sole(id, 'skip'));
        if (node.mode === 'add') y = g.node('Add', `${id}/add`, [x, skip]);
        else {
          const joined = g.node('Concat', `${id}/concat`, [x, skip], [{ name: 'axis', type: 'int', i: 1 }]);
          y = g.conv(`${id}/project`, joined, s, 1, 1);
        }
        break;
      }
      case 'head': {
        const logits = bnUnlessFolded(`${id}/bn`, g.conv(`${id}/conv`, x, s, 1, 1, fold(`${id}/bn`)));
        g.nodes.push({ name: `${id}/sigmoid`, opType: 'Sigmoid', inputs: [logits], outputs: [ONNX_MASK_OUTPUT], attributes: [] });
        outputs.push({ name: ONNX_MASK_OUTPUT, dims: ['N', 1, out.h, out.w], doc: 'mask probabilities: the sigmoid of the head' });
        y = ONNX_MASK_OUTPUT;
        break;
      }
      case 'saltHead': {
        const pooled = g.node('GlobalAveragePool', `${id}/pool`, [x]);
        let h = g.node('Flatten', `${id}/flatten`, [pooled], [{ name: 'axis', type: 'int', i: 1 }]);
        if (node.hidden !== undefined) h = g.node('Relu', `${id}/hidden/relu`, [g.dense(`${id}/hidden`, h)]);
        const logit = g.dense(`${id}/dense`, h);
        g.nodes.push({ name: `${id}/sigmoid`, opType: 'Sigmoid', inputs: [logit], outputs: [ONNX_SALT_OUTPUT], attributes: [] });
        saltOutput = { name: ONNX_SALT_OUTPUT, dims: ['N', 1], doc: 'the salt head: the probability that the image has salt' };
        y = ONNX_SALT_OUTPUT;
        break;
      }
      default: {
        const unknown: never = node;
        throw new ExportError(id, `the ONNX exporter has no lowering for node kind '${String((unknown as { kind: unknown }).kind)}'`);
      }
    }
    tensorOf.set(id, y);
  }
  if (saltOutput) outputs.push(saltOutput);
  const unused = g.unused();
  if (unused.length > 0) throw new ExportError(nodeOfWeight(unused[0] ?? ''), `the graph leaves the checkpoint's weight ${unused[0]} unused`);
  return { name: arch.name, nodes: g.nodes, initializers: g.initializers, inputs, outputs };
}
