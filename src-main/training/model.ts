import * as tf from '@tensorflow/tfjs-core';
import type { ArchNode, Architecture, Initializer, SaltHeadNode, Shape } from '../../shared/arch/types';
import { inferShapes, nodeMap, saltHeadOf, soleInput, topologicalOrder, validateArchitecture } from '../../shared/arch';
import { ParamStore, type NamedArray } from './params';
import { batchNormTrain } from './wasm/batch-norm';

/** Keras's BatchNormalization defaults. */
const BN_MOMENTUM = 0.99;
const BN_EPSILON = 1e-3;

/** Thrown when a design cannot be built; carries every validation message. */
export class InvalidArchitectureError extends Error {
  constructor(readonly problems: string[]) {
    super(`the architecture is invalid:\n  ${problems.join('\n  ')}`);
  }
}

/** A pending update of one BN layer's moving statistics, taken from a training batch. */
interface BnUpdate {
  mean: tf.Tensor;
  variance: tf.Tensor;
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
}

/** Hooks that let an analysis see inside a forward pass without the model knowing why. */
export interface ForwardProbe {
  /** Called with every node's output, in execution order. Tensors are owned by the pass. */
  onNodeOutput?(node: ArchNode, output: tf.Tensor4D): void;
  /**
   * Training mode only: called with every BN layer's batch statistics and the moving statistics
   * inference would use instead (per channel, [C]), by the layer's name (`up0/bn`). Owned by the pass.
   */
  onBatchNorm?(layer: string, stats: BnStats): void;
}

/** A BN layer's statistics in a training pass: the batch's and the moving averages, per channel. */
export interface BnStats {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  movingMean: tf.Tensor1D;
  movingVariance: tf.Tensor1D;
  /** The epsilon both modes add to the variance. */
  epsilon: number;
}

/** Both outputs of a forward pass: the mask logits, and the salt head's logit per image. */
export interface ForwardOutputs {
  /** [B, H, W, 1]. */
  mask: tf.Tensor4D;
  /** [B]; null when the design has no salt head. */
  salt: tf.Tensor1D | null;
}

/**
 * A strict-ResNet U-Net built from an {@link Architecture} on tfjs-core ops, with the design's
 * optional salt head as a second output (see {@link forwardAll}).
 * The forward pass returns logits; the sigmoid of the head is applied by the caller
 * so that losses that need logits (Lovasz) get them without a round trip through log(p/(1-p)).
 */
export class UNetModel {
  readonly params: ParamStore;
  /** The design's salt head, or null: then the model has exactly the weights and outputs of the mask path. */
  readonly saltHead: SaltHeadNode | null;
  private readonly order: ArchNode[];
  private readonly shapes: Map<string, Shape>;
  private readonly inputsOf: Map<string, { in: string | undefined; skip: string | undefined }>;
  private pendingBn: BnUpdate[] = [];

  constructor(
    readonly arch: Architecture,
    readonly seed: number,
  ) {
    const errors = validateArchitecture(arch);
    if (errors.length > 0) throw new InvalidArchitectureError(errors.map((e) => e.message));
    this.shapes = inferShapes(arch).shapes;
    const nodes = nodeMap(arch);
    this.order = topologicalOrder(arch).order.map((id) => nodes.get(id) as ArchNode);
    this.inputsOf = new Map(this.order.map((n) => [n.id, { in: soleInput(arch, n.id, 'in'), skip: soleInput(arch, n.id, 'skip') }]));
    this.saltHead = saltHeadOf(arch);
    this.params = new ParamStore(seed);
    // Create every variable now, in graph order, by one inference pass over a single zero image.
    tf.tidy(() => {
      const input = this.inputShape;
      this.run(tf.zeros([1, input.h, input.w, input.c]), false, true);
    });
  }

  /** Shape of one input image [h, w, c]. */
  get inputShape(): Shape {
    const input = this.order.find((n) => n.kind === 'input');
    if (!input || input.kind !== 'input') throw new Error('architecture has no input node');
    return { h: input.height, w: input.width, c: input.channels };
  }

  /**
   * Runs the net on a batch [B, H, W, C] and returns logits [B, H, W, 1].
   * In training mode BN uses batch statistics and queues moving-average updates,
   * which {@link commitBnUpdates} applies after the optimizer step.
   */
  forward(x: tf.Tensor4D, training: boolean, probe?: ForwardProbe): tf.Tensor4D {
    return this.run(x, training, false, probe).mask;
  }

  /**
   * {@link forward} with the salt head's logit per image too (null without a salt head). The mask
   * logits are the same values forward gives: the salt head only reads the bottom level.
   */
  forwardAll(x: tf.Tensor4D, training: boolean, probe?: ForwardProbe): ForwardOutputs {
    return this.run(x, training, this.saltHead !== null, probe);
  }

  /** Probabilities in inference mode, [B, H, W, 1]. */
  predict(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.sigmoid(this.forward(x, false)));
  }

  /**
   * One pass over the graph. The salt head runs only `withSalt` (it is a branch off the bottom level,
   * so leaving it out changes nothing else); the constructor runs it to create its weights.
   */
  private run(x: tf.Tensor4D, training: boolean, withSalt: boolean, probe?: ForwardProbe): ForwardOutputs {
    const outputs = new Map<string, tf.Tensor4D>();
    let head: tf.Tensor4D | null = null;
    let salt: tf.Tensor1D | null = null;
    for (const node of this.order) {
      if (node.kind === 'saltHead' && !withSalt) continue;
      const inputs = this.inputsOf.get(node.id) ?? { in: undefined, skip: undefined };
      const main = node.kind === 'input' ? x : outputs.get(inputs.in ?? '');
      if (!main) throw new Error(`node '${node.id}' has no input`);
      if (node.kind === 'saltHead') {
        salt = this.saltLogit(node, main);
        probe?.onNodeOutput?.(node, tf.reshape(salt, [salt.shape[0], 1, 1, 1]));
        continue;
      }
      const skip = inputs.skip === undefined ? undefined : outputs.get(inputs.skip);
      const out = this.runNode(node, main, skip, training, probe);
      outputs.set(node.id, out);
      probe?.onNodeOutput?.(node, out);
      if (node.kind === 'head') head = out;
    }
    if (!head) throw new Error('architecture has no head');
    return { mask: head, salt };
  }

  /** Global average pool, the optional dense + ReLU, one dense unit: a logit per image, [B]. */
  private saltLogit(node: SaltHeadNode, x: tf.Tensor4D): tf.Tensor1D {
    const id = node.id;
    let y: tf.Tensor2D = tf.mean(x, [1, 2]);
    if (node.hidden !== undefined) y = tf.relu(this.dense(`${id}/hidden`, y, node.hidden, this.initOf(node)));
    const logit = this.dense(`${id}/dense`, y, 1, this.initOf(node));
    return tf.reshape(logit, [logit.shape[0]]);
  }

  private dense(name: string, x: tf.Tensor2D, units: number, init: Initializer): tf.Tensor2D {
    const w = this.params.denseKernel(`${name}/kernel`, x.shape[1], units, init);
    const b = this.params.vector(`${name}/bias`, units, 0);
    return tf.add(tf.matMul(x, w as tf.Tensor2D), b);
  }

  /**
   * Applies the moving-statistics updates queued by the last training forward pass, with Keras's
   * momentum 0.99 unless told otherwise (0 makes the moving statistics those of the batch).
   */
  commitBnUpdates(momentum = BN_MOMENTUM): void {
    const pending = this.pendingBn;
    this.pendingBn = [];
    tf.tidy(() => {
      for (const u of pending) {
        u.movingMean.assign(tf.add(tf.mul(u.movingMean, momentum), tf.mul(u.mean, 1 - momentum)));
        u.movingVariance.assign(tf.add(tf.mul(u.movingVariance, momentum), tf.mul(u.variance, 1 - momentum)));
      }
    });
    for (const u of pending) {
      u.mean.dispose();
      u.variance.dispose();
    }
  }

  /** Drops queued BN updates (e.g. after a step that was rejected). */
  discardBnUpdates(): void {
    for (const u of this.pendingBn) {
      u.mean.dispose();
      u.variance.dispose();
    }
    this.pendingBn = [];
  }

  /** Every weight and BN statistic, read in one transfer. */
  getWeights(): Promise<NamedArray[]> {
    return this.params.read();
  }

  setWeights(weights: NamedArray[]): void {
    this.params.write(weights);
  }

  dispose(): void {
    this.discardBnUpdates();
    this.params.dispose();
  }

  private initOf(node: { init?: Initializer }): Initializer {
    return node.init ?? this.arch.init;
  }

  private runNode(node: ArchNode, x: tf.Tensor4D, skip: tf.Tensor4D | undefined, training: boolean, probe?: ForwardProbe): tf.Tensor4D {
    const id = node.id;
    const bn = (name: string, y: tf.Tensor4D, relu = false) => this.bn(name, y, training, relu, probe);
    switch (node.kind) {
      case 'input':
        return x;
      case 'conv':
        return this.conv(`${id}/conv`, x, node.kernel, node.filters, node.stride, this.initOf(node));
      case 'resnet': {
        let y = x;
        const c = x.shape[3];
        for (let b = 0; b < node.blocks; b++) {
          const p = `${id}/block${b}`;
          let r = bn(`${p}/bn1`, y, true);
          r = this.conv(`${p}/conv1`, r, node.kernel, c, 1, this.initOf(node));
          r = bn(`${p}/bn2`, r, true);
          r = this.conv(`${p}/conv2`, r, node.kernel, c, 1, this.initOf(node));
          y = tf.add(y, r);
          if (node.bnAfterBlock) y = bn(`${p}/bn_out`, y);
        }
        return y;
      }
      case 'down': {
        const out = this.shapeOf(id);
        let y = x;
        for (let i = 0; i < node.convs; i++) {
          y = this.conv(`${id}/conv${i}`, y, node.kernel, x.shape[3], 1, this.initOf(node));
        }
        y = this.conv(`${id}/strided`, y, node.kernel, out.c, 2, this.initOf(node));
        return node.bn === 'none' ? y : bn(`${id}/bn`, y);
      }
      case 'up': {
        const out = this.shapeOf(id);
        let y = this.convTranspose(`${id}/transposed`, x, node.kernel, out, this.initOf(node));
        if (node.bn === 'strided') y = bn(`${id}/bn`, y);
        for (let i = 0; i < node.convs; i++) {
          y = this.conv(`${id}/conv${i}`, y, node.convKernel ?? 3, out.c, 1, this.initOf(node));
        }
        return node.bn === 'after' ? bn(`${id}/bn`, y) : y;
      }
      case 'bn':
        return bn(`${id}/bn`, x);
      case 'merge': {
        if (!skip) throw new Error(`merge '${id}' has no skip input`);
        if (node.mode === 'add') return tf.add(x, skip);
        const joined = tf.concat([x, skip], 3);
        return this.conv(`${id}/project`, joined, 1, x.shape[3], 1, this.initOf(node));
      }
      case 'head': {
        const y = this.conv(`${id}/conv`, x, 1, 1, 1, this.initOf(node));
        return bn(`${id}/bn`, y);
      }
      case 'saltHead':
        // Its output is not a map; run() takes it through saltLogit.
        throw new Error(`salt head '${id}' is not a node of the mask path`);
    }
  }

  private shapeOf(id: string): Shape {
    const s = this.shapes.get(id);
    if (!s) throw new Error(`no inferred shape for node '${id}'`);
    return s;
  }

  private conv(name: string, x: tf.Tensor4D, k: number, filters: number, stride: number, init: Initializer): tf.Tensor4D {
    const w = this.params.convKernel(`${name}/kernel`, k, x.shape[3], filters, init);
    const b = this.params.vector(`${name}/bias`, filters, 0);
    // The bias is added inside the conv kernel (one pass less over the output); same values as conv2d + add.
    return tf.fused.conv2d({ x, filter: w as tf.Tensor4D, strides: stride, pad: 'same', bias: b });
  }

  /**
   * Stride-2 transposed conv to exactly the target resolution: the adjoint of a 'same' stride-2 conv
   * from that resolution, so 13 -> 26, 26 -> 51 and 51 -> 101 come out without padding the image.
   */
  private convTranspose(name: string, x: tf.Tensor4D, k: number, out: Shape, init: Initializer): tf.Tensor4D {
    const w = this.params.convKernel(`${name}/kernel`, k, x.shape[3], out.c, init, true);
    const b = this.params.vector(`${name}/bias`, out.c, 0);
    const y = tf.conv2dTranspose(x, w as tf.Tensor4D, [x.shape[0], out.h, out.w, out.c], 2, 'same');
    return tf.add(y, b);
  }

  /** Batch norm, followed by a ReLU when `relu` (one fused op in training on wasm). */
  private bn(name: string, x: tf.Tensor4D, training: boolean, relu: boolean, probe: ForwardProbe | undefined): tf.Tensor4D {
    const c = x.shape[3];
    const gamma = this.params.vector(`${name}/gamma`, c, 1);
    const beta = this.params.vector(`${name}/beta`, c, 0);
    const movingMean = this.params.movingVector(`${name}/moving_mean`, c, 0);
    const movingVariance = this.params.movingVector(`${name}/moving_variance`, c, 1);
    if (!training) {
      const y = tf.batchNorm4d(x, movingMean as tf.Tensor1D, movingVariance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, BN_EPSILON);
      return relu ? tf.relu(y) : y;
    }
    // One fused op on wasm (a fraction of the heap and passes of moments + batchNorm4d + relu); exactly those ops elsewhere.
    const { y, mean, variance } = batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, BN_EPSILON, relu);
    probe?.onBatchNorm?.(name, { mean, variance, movingMean: movingMean as tf.Tensor1D, movingVariance: movingVariance as tf.Tensor1D, epsilon: BN_EPSILON });
    this.pendingBn.push({
      mean: tf.keep(tf.clone(mean)),
      variance: tf.keep(tf.clone(variance)),
      movingMean,
      movingVariance,
    });
    return y;
  }
}
