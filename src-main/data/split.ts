/**
 * Train/validation split, stratified by salt coverage so that both sides see the same mix of empty,
 * small and large salt bodies (the TGS metric punishes each kind differently).
 */
import { coverageBin, maskCoverage } from '../../shared/data/coverage';
import { mixSeed, mulberry32, shuffled } from '../../shared/data/random';
import type { Dataset } from './dataset';

/** Options of `splitDataset`. */
export interface SplitOptions {
  /** Fraction of samples for validation, in [0, 1). */
  valFraction: number;
  seed: number;
  /** Use exactly these samples for validation (e.g. to compare runs on one set); `valFraction` is then ignored. */
  fixedValIds?: string[];
}

/** Sample indices of each side, ascending. */
export interface Split {
  train: number[];
  val: number[];
}

/** A split that cannot be made; the message says why. */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/**
 * Splits `ds` into train and validation indices. Strata: empty masks, then coverage (0, 0.1], ...,
 * (0.9, 1] (unlabelled data is one stratum). Each stratum gives its share by largest remainder, so
 * the validation size is round(count * valFraction) exactly. Same dataset and seed, same split.
 */
export function splitDataset(ds: Dataset, opts: SplitOptions): Split {
  const count = ds.ids.length;
  if (opts.fixedValIds) return fixedSplit(ds, opts.fixedValIds);
  const { valFraction } = opts;
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new SplitError(`valFraction must be in [0, 1), got ${valFraction}`);
  }
  const pixels = ds.height * ds.width;
  const strata = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const bin = ds.masks ? coverageBin(maskCoverage(ds.masks, i, pixels)) : 0;
    const list = strata.get(bin);
    if (list) list.push(i);
    else strata.set(bin, [i]);
  }
  const target = Math.round(count * valFraction);
  const bins = [...strata.keys()].sort((a, b) => a - b);
  const shares = bins.map((bin) => {
    const exact = (strata.get(bin)?.length ?? 0) * valFraction;
    return { bin, take: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let missing = target - shares.reduce((sum, s) => sum + s.take, 0);
  // Largest remainders first; ties go to the lower bin, so the result does not depend on Map order.
  for (const share of [...shares].sort((a, b) => b.remainder - a.remainder || a.bin - b.bin)) {
    if (missing <= 0) break;
    share.take++;
    missing--;
  }
  const val: number[] = [];
  const train: number[] = [];
  for (const share of shares) {
    const members = shuffled(strata.get(share.bin) ?? [], mulberry32(mixSeed(opts.seed, share.bin)));
    val.push(...members.slice(0, share.take));
    train.push(...members.slice(share.take));
  }
  if (train.length === 0) {
    throw new SplitError(`the training split is empty (${count} samples, valFraction ${valFraction})`);
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}

function fixedSplit(ds: Dataset, fixedValIds: readonly string[]): Split {
  const index = new Map(ds.ids.map((id, i) => [id, i]));
  const unknown = fixedValIds.filter((id) => !index.has(id));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join(', ');
    throw new SplitError(
      `${unknown.length} fixed validation id(s) are not in dataset "${ds.info.name}": ${shown}${unknown.length > 5 ? ', ...' : ''}`,
    );
  }
  const valSet = new Set(fixedValIds.map((id) => index.get(id) ?? -1));
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < ds.ids.length; i++) (valSet.has(i) ? val : train).push(i);
  if (train.length === 0) {
    throw new SplitError(`the training split is empty: all ${ds.ids.length} samples are fixed validation ids`);
  }
  return { train, val };
}
