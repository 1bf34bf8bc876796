/**
 * The architecture: a versioned, serialisable graph of strict-ResNet U-Net building blocks.
 * This is the one data structure that the designer edits, the builder turns into a model,
 * and the analyses read. Plain data only: it is saved as JSON and crosses process boundaries.
 */

export const ARCH_FORMAT = 'strata-arch';
export const ARCH_VERSION = 1;

/** Keras's names, so a design maps one to one onto a Keras model. */
export const INITIALIZERS = ['glorot_normal', 'glorot_uniform', 'he_normal', 'he_uniform'] as const;
export type Initializer = (typeof INITIALIZERS)[number];

/**
 * The batch-normalisation placements the note compares:
 * - `head`: only the BN before the head's sigmoid;
 * - `samplers`: also a BN at every down- and upsampler;
 * - `blocks`: also a BN after every resnet block on the main path.
 */
export const BN_PLACEMENTS = ['head', 'samplers', 'blocks'] as const;
export type BnPlacement = (typeof BN_PLACEMENTS)[number];

/** Where a sampler puts its optional BN: none, after the whole block, or right after its strided conv. */
export const SAMPLER_BN = ['none', 'after', 'strided'] as const;
export type SamplerBn = (typeof SAMPLER_BN)[number];

export const MERGE_MODES = ['add', 'concat'] as const;
export type MergeMode = (typeof MERGE_MODES)[number];

export interface Position {
  x: number;
  y: number;
}

interface NodeBase {
  /** Unique within the design; also the name of its weights. Letters, digits, `_` and `-`. */
  id: string;
  /** Optional display name. */
  label?: string;
  /** Canvas position; ignored by everything but the designer. */
  position?: Position;
}

interface WithInit {
  /** Overrides the design's default initializer for this node's convs. */
  init?: Initializer;
}

export interface InputNode extends NodeBase {
  kind: 'input';
  /** 1 for grayscale; 3 reproduces the note, which fed RGB copies of the grey images. */
  channels: number;
  height: number;
  width: number;
}

export interface ConvNode extends NodeBase, WithInit {
  kind: 'conv';
  kernel: number;
  filters: number;
  stride: number;
}

/** N pre-activation blocks: x + conv(relu(bn(conv(relu(bn(x)))))). */
export interface ResnetStackNode extends NodeBase, WithInit {
  kind: 'resnet';
  blocks: number;
  kernel: number;
  /** A BN on the main path after every block (Figure 7 of the note). */
  bnAfterBlock?: boolean;
}

/** m stride-1 convs, then one stride-2 conv that changes the channels. No activations. */
export interface DownsamplerNode extends NodeBase, WithInit {
  kind: 'down';
  /** m: stride-1 convs before the strided one. */
  convs: number;
  kernel: number;
  /** Output channels; default: twice the input channels. */
  filters?: number;
  bn: SamplerBn;
}

/** One stride-2 transposed conv that changes the channels, then m stride-1 convs. No activations. */
export interface UpsamplerNode extends NodeBase, WithInit {
  kind: 'up';
  /** m: stride-1 convs after the transposed one. */
  convs: number;
  /** Kernel of the transposed conv (3 or 5 in the note). */
  kernel: number;
  /** Kernel of the stride-1 convs; default: 3. */
  convKernel?: number;
  /** Output channels; default: half the input channels. */
  filters?: number;
  bn: SamplerBn;
  /**
   * Id of the downsampler this upsampler mirrors. Its output then has exactly that downsampler's
   * input resolution (13 to 26, 26 to 51, 51 to 101), with no padding of the image.
   * Without it the resolution doubles.
   */
  match?: string;
}

export interface BnNode extends NodeBase {
  kind: 'bn';
}

/**
 * Skip merge. Port `main` takes the decoder path, port `skip` the encoder level.
 * `add` needs equal shapes; `concat` needs equal resolutions and is followed by a 1x1 projection
 * back to the main path's channels.
 */
export interface MergeNode extends NodeBase, WithInit {
  kind: 'merge';
  mode: MergeMode;
}

/** 1x1 conv to one channel, BN, sigmoid. */
export interface HeadNode extends NodeBase, WithInit {
  kind: 'head';
}

/**
 * The optional "salt present" head: a second output that classifies the whole image. It reads a
 * node at the bottom level (the design's lowest resolution on the mask path, 13x13 for a 101 input):
 * global average pool, an optional dense layer of `hidden` units with a ReLU, then one dense unit
 * whose sigmoid is the probability that the image has any salt. Training adds `lossWeight` times
 * its binary cross-entropy against "the mask has a salt pixel" to the mask loss; at prediction an
 * image whose probability falls below the cut is predicted empty. Nothing follows it.
 */
export interface SaltHeadNode extends NodeBase, WithInit {
  kind: 'saltHead';
  /** The weight of its cross-entropy in the training loss (the mask loss has weight 1). */
  lossWeight: number;
  /** Units of a dense + ReLU layer between the pool and the output unit; absent: none. */
  hidden?: number;
}

export type ArchNode =
  | InputNode
  | ConvNode
  | ResnetStackNode
  | DownsamplerNode
  | UpsamplerNode
  | BnNode
  | MergeNode
  | HeadNode
  | SaltHeadNode;

export type NodeKind = ArchNode['kind'];
export const NODE_KINDS: readonly NodeKind[] = ['input', 'conv', 'resnet', 'down', 'up', 'bn', 'merge', 'head', 'saltHead'];

/** Input ports; every node but `merge` has one input port, `in`. */
export type PortName = 'in' | 'skip';

export interface Edge {
  from: string;
  to: string;
  /** Defaults to `in`; a merge's encoder input is `skip`. */
  port?: PortName;
}

export interface Architecture {
  format: typeof ARCH_FORMAT;
  version: typeof ARCH_VERSION;
  name: string;
  description?: string;
  /** Default initializer of every conv without its own. */
  init: Initializer;
  nodes: ArchNode[];
  edges: Edge[];
}

/** A tensor shape without the batch axis. */
export interface Shape {
  h: number;
  w: number;
  c: number;
}

export function shapeText(s: Shape): string {
  return `${s.h}x${s.w}x${s.c}`;
}
