/** A plausible run description for the run store tests (also used by the child-process fixtures). */
import type { Architecture } from '../../shared/arch/types';
import type { RunInit } from '../../shared/runs/types';

/** A small but well-formed design: input, one resnet stack, head. */
export function tinyArch(name = 'tiny'): Architecture {
  return {
    format: 'strata-arch',
    version: 1,
    name,
    init: 'he_normal',
    nodes: [
      { id: 'in', kind: 'input', channels: 1, height: 101, width: 101 },
      { id: 'stem', kind: 'conv', kernel: 3, filters: 8, stride: 1 },
      { id: 'res', kind: 'resnet', blocks: 2, kernel: 3 },
      { id: 'head', kind: 'head' },
    ],
    edges: [
      { from: 'in', to: 'stem' },
      { from: 'stem', to: 'res' },
      { from: 'res', to: 'head' },
    ],
  };
}

/** What a run of `tinyArch` on a 10-sample split is created from. */
export function sampleInit(over: Partial<RunInit> = {}): RunInit {
  return {
    name: 'tiny sgd',
    arch: tinyArch(),
    config: {
      epochs: 5,
      batch: 4,
      optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 },
      schedule: { kind: 'plateau', patience: 3, factor: 0.5, minLr: 1e-5, minDelta: 1e-3 },
      loss: { name: 'batch-iou', eps: 0.62, lovaszWeight: 1 },
      init: 'he_normal',
      bnPlacement: 'head',
      seed: 42,
      valFraction: 0.2,
      augment: { hflip: true, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 },
      testFraction: 0,
      inference: { tta: false, snapshots: 1 },
      backend: 'cpu',
      earlyStop: { patience: 5, minDelta: 0.001 },
      predictEpochs: [1, 3],
    },
    dataset: {
      name: 'tgs-sample',
      source: { kind: 'folder', path: '/data/tgs' },
      fingerprint: 'ab'.repeat(32),
      synthetic: false,
      count: 10,
    },
    split: {
      train: ['000e218f21', '003c477d7c', '00441f1cf2', '0050766ae2', '005b452274', '0061281eea', '008a50a2ec', '00950d1627'],
      val: ['00a3af90ab', '00b3a6e1fa'],
    },
    versions: { strata: '0.1.0', tfjs: '4.22.0', node: process.versions.node },
    ...over,
  };
}
