/** The checks and conversions between a design, a dataset and a run, shared by every way of starting one. */
import { inferShapes } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import type { RunDataset } from '../../shared/runs/types';
import type { Dataset } from '../data/dataset';
import { LabError } from './errors';

/** Throws a `bad-request` unless the design can train on the data: masks present, input size equal, shapes valid. */
export function checkDesignFits(arch: Architecture, ds: Dataset): void {
  if (!ds.masks) throw new LabError('bad-request', `${ds.info.name} has no masks, so it cannot be trained on`);
  const input = arch.nodes.find((n) => n.kind === 'input');
  if (!input || input.kind !== 'input') throw new LabError('bad-request', `design ${arch.name} has no input node`);
  if (input.height !== ds.height || input.width !== ds.width) {
    throw new LabError('bad-request', `design ${arch.name} takes ${input.height}x${input.width} images, but ${ds.info.name} has ${ds.height}x${ds.width}`);
  }
  const shapes = inferShapes(arch);
  if (shapes.errors.length) throw new LabError('bad-request', `design ${arch.name} is invalid: ${shapes.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
}

/** What a run records about its data. */
export function runDatasetOf(ds: Dataset): RunDataset {
  return { name: ds.info.name, source: ds.info.source, fingerprint: ds.info.fingerprint, synthetic: ds.info.synthetic, count: ds.info.count };
}
