/**
 * Ready-made designs: the three U-Nets of the note's Figures 2-4, and small ones that train on a
 * laptop CPU. All come from one U-Net builder, so they differ only in the knobs it exposes.
 */
import type {
  ArchNode,
  Architecture,
  Edge,
  Initializer,
  MergeMode,
  SamplerBn,
} from './types';
import { ARCH_FORMAT, ARCH_VERSION } from './types';
import { withSaltHead, type SaltHeadOptions } from './saltHead';

/** Knobs of {@link buildUNet}. */
export interface UNetOptions {
  name: string;
  description?: string;
  /** Channels of the stem and the top level; each level down doubles them. */
  channels: number;
  /** Image channels: 1 for the grey TGS images, 3 for the note's RGB copies. */
  inputChannels: number;
  /** Square input side; 101 for TGS. */
  size: number;
  /** Resnet blocks per level, in the order e0, e1, e2, bottom, d2, d1, d0. */
  blocksPerLevel: readonly number[];
  /** m: stride-1 convs in each sampler; default 2, the note's 3-conv samplers. */
  samplerConvs?: number;
  /**
   * Stride-1 convs after the transposed conv of each upsampler, where they differ from the
   * downsamplers'; default `samplerConvs`. 2 with `samplerConvs` 0 is the note's "3x3/2 transposed
   * conv followed by two 3x3 convs" with 1-conv downsamplers.
   */
  upSamplerConvs?: number;
  /** BN in the samplers; default `after`, as in the note's Figures 2 and 3. */
  samplerBn?: SamplerBn;
  /** Kernel of the transposed convs; default 3 (the note also suggests 5). */
  upKernel?: number;
  /** Skip merges; default `add`. */
  merge?: MergeMode;
  /** Default `glorot_uniform`: the note's Figure 3 stalled with he_normal and trained with it. */
  init?: Initializer;
  /** Resnet and sampler kernel; default 3. */
  kernel?: number;
  /** A "salt present" head on the bottom stack ({@link withSaltHead}); left out, none. */
  saltHead?: SaltHeadOptions;
}

/** The seven levels of {@link buildUNet}, in the order of `blocksPerLevel`. */
export const UNET_LEVELS = ['e0', 'e1', 'e2', 'bottom', 'd2', 'd1', 'd0'] as const;

/** Canvas layout: the U drawn left to right, one row per depth. */
const STEP_X = 180;
const STEP_Y = 140;

/**
 * A three-level U-Net: stem conv, resnet stacks e0-e2 with downsamplers between them, the bottom
 * stack, then upsamplers that mirror the downsamplers (13 -> 26 -> 51 -> 101 for a 101 input),
 * each followed by a skip merge from the encoder level of that resolution and a decoder stack,
 * then the head.
 */
export function buildUNet(o: UNetOptions): Architecture {
  const kernel = o.kernel ?? 3;
  const convs = o.samplerConvs ?? 2;
  const upConvs = o.upSamplerConvs ?? convs;
  const bn = o.samplerBn ?? 'after';
  const blocks = (i: number): number => o.blocksPerLevel[i] ?? 1;
  const at = (col: number, depth: number) => ({ x: col * STEP_X, y: depth * STEP_Y });

  const nodes: ArchNode[] = [
    { id: 'input', kind: 'input', channels: o.inputChannels, height: o.size, width: o.size, position: at(0, 0) },
    { id: 'stem', kind: 'conv', kernel: 3, filters: o.channels, stride: 1, position: at(1, 0) },
  ];
  const edges: Edge[] = [{ from: 'input', to: 'stem' }];
  let prev = 'stem';
  let col = 2;
  const chain = (node: ArchNode) => {
    nodes.push(node);
    edges.push({ from: prev, to: node.id });
    prev = node.id;
  };
  for (let d = 0; d < 3; d++) {
    chain({ id: `e${d}`, kind: 'resnet', blocks: blocks(d), kernel, position: at(col++, d) });
    chain({ id: `down${d}`, kind: 'down', convs, kernel, bn, position: at(col++, d + 0.5) });
  }
  chain({ id: 'bottom', kind: 'resnet', blocks: blocks(3), kernel, position: at(col++, 3) });
  for (let d = 2; d >= 0; d--) {
    chain({ id: `up${d}`, kind: 'up', convs: upConvs, kernel: o.upKernel ?? 3, bn, match: `down${d}`, position: at(col++, d + 0.5) });
    chain({ id: `merge${d}`, kind: 'merge', mode: o.merge ?? 'add', position: at(col++, d) });
    edges.push({ from: `e${d}`, to: `merge${d}`, port: 'skip' });
    chain({ id: `d${d}`, kind: 'resnet', blocks: blocks(6 - d), kernel, position: at(col++, d) });
  }
  chain({ id: 'head', kind: 'head', position: at(col, 0) });

  const arch: Architecture = {
    format: ARCH_FORMAT,
    version: ARCH_VERSION,
    name: o.name,
    init: o.init ?? 'glorot_uniform',
    nodes,
    edges,
  };
  if (o.description !== undefined) arch.description = o.description;
  return o.saltHead ? withSaltHead(arch, o.saltHead) : arch;
}

/** A named, ready-made design. */
export interface Preset {
  title: string;
  description: string;
  build: () => Architecture;
  /** The {@link buildUNet} options it is built from (`build()` is `buildUNet(options)`), so an experiment can vary them. */
  options: Readonly<UNetOptions>;
}

function preset(title: string, description: string, options: Omit<UNetOptions, 'description'>): Preset {
  const full: UNetOptions = { ...options, description };
  return { title, description, build: () => buildUNet(full), options: full };
}

const every = (blocks: number): number[] => UNET_LEVELS.map(() => blocks);
const FIG4_BLOCKS = [2, 2, 2, 192, 2, 2, 2];
const perLevel = (blocks: readonly number[]) =>
  UNET_LEVELS.map((name, i) => `${name} ${blocks[i] ?? 0}`).join(', ');

/** The built-in designs, by name. */
export const PRESETS: Readonly<Record<string, Preset>> = {
  fig2: preset(
    'Figure 2: 272 layers',
    'The note\'s 272-conv-layer U-Net: 16 channels, 18 resnet blocks at every level, 3-conv samplers with BN, add merges. RGB input as in the note.',
    { name: 'fig2', channels: 16, inputChannels: 3, size: 101, blocksPerLevel: every(18) },
  ),
  fig3: preset(
    'Figure 3: 412 layers',
    'The note\'s deeper, narrower 412-conv-layer U-Net: 12 channels, 28 resnet blocks at every level, 3-conv samplers with BN, add merges. RGB input as in the note.',
    { name: 'fig3', channels: 12, inputChannels: 3, size: 101, blocksPerLevel: every(28) },
  ),
  fig4: preset(
    'Figure 4: 428 layers',
    `The note's 428-conv-layer U-Net with a very deep 13x13 level: 16 channels, resnet blocks per level ${perLevel(FIG4_BLOCKS)}; 3-conv samplers with BN, add merges. RGB input as in the note.`,
    { name: 'fig4', channels: 16, inputChannels: 3, size: 101, blocksPerLevel: FIG4_BLOCKS },
  ),
  small: preset(
    'Small',
    'Grey input, 8 channels, 1 resnet block per level, 3-conv samplers with BN, add merges: trains in minutes on a 2-core CPU.',
    { name: 'small', channels: 8, inputChannels: 1, size: 101, blocksPerLevel: every(1) },
  ),
  keel: preset(
    'Keel',
    'Small with deeper low levels: grey input, 8 channels, resnet blocks per level e0 1, e1 1, e2 2, bottom 4, d2 2, d1 1, d0 1; 3-conv samplers with BN, add merges. The extra blocks sit at 26x26 and 13x13, where a block costs about what one does at full size: 2.2x Small\'s weights for about 1.35x its multiply-adds.',
    { name: 'keel', channels: 8, inputChannels: 1, size: 101, blocksPerLevel: [1, 1, 2, 4, 2, 1, 1] },
  ),
  tiny: preset(
    'Tiny',
    'Grey input, 4 channels, 1 resnet block per level, 1-conv samplers with BN: for fast tests.',
    { name: 'tiny', channels: 4, inputChannels: 1, size: 101, blocksPerLevel: every(1), samplerConvs: 0 },
  ),
  lean: preset(
    'Lean',
    'Grey input, 16 channels, 1 resnet block per level, 1-conv samplers with BN, add merges: twice Small\'s channels for about 1.75x its step time, the cost moved from the samplers\' extra convs to width.',
    { name: 'lean', channels: 16, inputChannels: 1, size: 101, blocksPerLevel: every(1), samplerConvs: 0 },
  ),
  'small-concat': preset(
    'Small, concat merges',
    'Like Small, but the skips are concatenated and projected back by a 1x1 conv instead of added.',
    { name: 'small-concat', channels: 8, inputChannels: 1, size: 101, blocksPerLevel: every(1), merge: 'concat' },
  ),
  'small-salt': preset(
    'Small, salt-present head',
    'Small with a "salt present" head on its bottom stack (global average pool, one dense unit; loss weight 0.1): a second output whose cross-entropy also trains the encoder, and whose vote can empty an image it finds without salt.',
    { name: 'small-salt', channels: 8, inputChannels: 1, size: 101, blocksPerLevel: every(1), saltHead: {} },
  ),
};

/**
 * The design a run gets when it names none (`strata train` without `--arch`, the setup form's first
 * choice, the designer's first design): `keel`. Measured on 400 held-out TGS images with the default
 * recipe (docs/recipe.md): after 45 minutes `keel` scored 0.7608 (30 epochs) against `small`'s 0.7445
 * (39 epochs), after 18 minutes 0.7025 (15 epochs; the goal is 0.66). `small` underfits at these budgets (its training IoU matched
 * its validation IoU to the end), and `keel` puts its extra weights where a block is cheap.
 */
export const DEFAULT_PRESET = 'keel';

/** A fresh copy of the preset `name`, or undefined if there is none. */
export function getPreset(name: string): Architecture | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name]?.build() : undefined;
}
