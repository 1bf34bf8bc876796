/**
 * Small designs that between them hold every node kind and option the exporters lower: resnet
 * stacks (with and without a BN after each block), both samplers with each BN option (none, after,
 * strided; on the strided conv, on the transposed one, after stride-1 convs), 3x3, 5x5, 2x2 and 1x1
 * transposed convs (the 1x1 to an even size needs ONNX's output padding), add and concat merges, a
 * lone BN node, a strided plain conv, even kernels, a non-square input, RGB input, and the head
 * and the salt head (with a hidden layer).
 */
import { buildUNet, UNET_LEVELS, withBnPlacement } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';

const every = (n: number) => UNET_LEVELS.map(() => n);
const unet = (name: string, o: Partial<Parameters<typeof buildUNet>[0]>): Architecture =>
  buildUNet({ name, channels: 4, inputChannels: 1, size: 101, blocksPerLevel: every(1), ...o });

/** A hand-made design: a strided conv, a lone BN, 2x2 and 4x4 kernels, a 1x1 transposed conv from 10x11 to 20x21, a 40x41 input. */
export const ODD_DESIGN: Architecture = {
  format: 'strata-arch',
  version: 1,
  name: 'odd',
  init: 'he_normal',
  nodes: [
    { id: 'in', kind: 'input', channels: 1, height: 40, width: 41 },
    { id: 'c', kind: 'conv', kernel: 3, filters: 6, stride: 2 },
    { id: 'b', kind: 'bn' },
    { id: 'r0', kind: 'resnet', blocks: 1, kernel: 2 },
    { id: 'dn', kind: 'down', convs: 1, kernel: 4, bn: 'strided' },
    { id: 'r1', kind: 'resnet', blocks: 1, kernel: 3, bnAfterBlock: true },
    { id: 'upk1', kind: 'up', convs: 1, kernel: 1, convKernel: 2, bn: 'after', match: 'dn' },
    { id: 'm', kind: 'merge', mode: 'add' },
    { id: 'h', kind: 'head' },
  ],
  edges: [
    { from: 'in', to: 'c' },
    { from: 'c', to: 'b' },
    { from: 'b', to: 'r0' },
    { from: 'r0', to: 'dn' },
    { from: 'dn', to: 'r1' },
    { from: 'r1', to: 'upk1' },
    { from: 'upk1', to: 'm' },
    { from: 'r0', to: 'm', port: 'skip' },
    { from: 'm', to: 'h' },
  ],
};

/** One design of the coverage set, and what its ONNX graph must hold to prove it covers what it says. */
export interface CoverageDesign {
  name: string;
  arch: Architecture;
  /** ONNX op types (with a kernel size for convs, `ConvTranspose5`) the graph must contain. */
  ops: string[];
}

export const COVERAGE_DESIGNS: CoverageDesign[] = [
  { name: 'samplers without BN, 1-conv samplers', arch: unet('bn-none', { samplerConvs: 1, samplerBn: 'none' }), ops: ['ConvTranspose3', 'Add'] },
  {
    name: 'BN right after the strided and the 5x5 transposed convs, 2-conv upsamplers',
    arch: unet('bn-strided', { samplerConvs: 1, upSamplerConvs: 2, samplerBn: 'strided', upKernel: 5 }),
    ops: ['ConvTranspose5'],
  },
  {
    name: 'BN after the samplers, concat merges, RGB input',
    arch: unet('bn-after-concat', { inputChannels: 3, samplerConvs: 0, upSamplerConvs: 1, samplerBn: 'after', merge: 'concat' }),
    ops: ['Concat', 'ConvTranspose3'],
  },
  {
    name: 'a BN after every block, 2 blocks a level, a salt head with a hidden layer',
    arch: withBnPlacement(unet('blocks-salt', { blocksPerLevel: every(2), saltHead: { hidden: 8 } }), 'blocks'),
    ops: ['GlobalAveragePool', 'Gemm'],
  },
  { name: '2x2 transposed convs (to odd sizes too), 1x1 stacks and samplers', arch: unet('even-up', { upKernel: 2, kernel: 1 }), ops: ['ConvTranspose2'] },
  { name: 'a strided conv, a lone BN, even kernels, a 1x1 transposed conv needing output padding, a 40x41 input', arch: ODD_DESIGN, ops: ['ConvTranspose1', 'BatchNormalization'] },
];
