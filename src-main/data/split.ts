/**
 * Train/validation/test split, stratified by salt coverage so that every side sees the same mix of
 * empty, small and large salt bodies (the TGS metric punishes each kind differently).
 *
 * The test set is drawn first, then validation from what is left, each from its own seeded stream:
 * - validation shuffles each stratum with the stream it always had (seed, stratum), then skips the
 *   test samples and takes its share from the front. A run without a test set therefore splits as
 *   it always did, and adding or changing a test fraction changes validation only by the test
 *   samples it loses and the ones that move up to replace them (and, where rounding gives a
 *   stratum one sample more or less, that one);
 * - the test set shuffles each stratum with a stream of its own (seed, TEST_STREAM, stratum) and
 *   takes its share from the front, so it does not depend on the validation fraction, and a larger
 *   test fraction keeps the samples of a smaller one, up to the one sample per stratum that
 *   rounding may move.
 */
import { coverageBin, maskCoverage } from '../../shared/data/coverage';
import { mixSeed, mulberry32, shuffled } from '../../shared/data/random';
import type { Dataset } from './dataset';

/** Options of `splitDataset`. */
export interface SplitOptions {
  /** Share of the samples for validation, in [0, 1). */
  valFraction: number;
  seed: number;
  /** Use exactly these samples for validation (e.g. to compare runs on one set); `valFraction` is then ignored. */
  fixedValIds?: readonly string[];
  /** Share of the samples held out as a test set, in [0, 1); 0 or absent: none. Ignored with `fixedTestIds`. */
  testFraction?: number;
  /** Use exactly these samples as the test set; they may not be fixed validation ids. */
  fixedTestIds?: readonly string[];
}

/** Sample indices of each side, ascending. */
export interface Split {
  train: number[];
  val: number[];
  /** Held out from training and from every choice made on validation (checkpoint, threshold, area). */
  test: number[];
}

/** A split that cannot be made; the message says why. */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/** Mixed into the test set's seeds, so its draw is a stream of its own (the digits spell "test"). */
const TEST_STREAM = 0x7e57;
/** How many ids a message lists before "...". */
const SHOWN_IDS = 5;

/**
 * Splits `ds` into train, validation and test indices. Strata: empty masks, then coverage (0, 0.1],
 * ..., (0.9, 1] (unlabelled data is one stratum). Each stratum gives each drawn side its share by
 * largest remainder, so the validation size is round(count * valFraction) and the test size
 * round(count * testFraction) exactly (fewer only when too few samples are left). Same dataset,
 * seed and options: same split.
 */
export function splitDataset(ds: Dataset, opts: SplitOptions): Split {
  const count = ds.ids.length;
  const index = new Map(ds.ids.map((id, i) => [id, i]));
  const fixedVal = opts.fixedValIds ? indicesOf(ds, index, opts.fixedValIds, 'fixed validation') : null;
  const fixedTest = opts.fixedTestIds ? indicesOf(ds, index, opts.fixedTestIds, 'test') : null;
  const { valFraction } = opts;
  const testFraction = opts.testFraction ?? 0;
  if (!fixedVal && !(valFraction >= 0 && valFraction < 1)) throw new SplitError(`valFraction must be in [0, 1), got ${valFraction}`);
  if (!fixedTest && !(testFraction >= 0 && testFraction < 1)) throw new SplitError(`testFraction must be in [0, 1), got ${testFraction}`);
  if (!fixedVal && !fixedTest && valFraction + testFraction >= 1) {
    throw new SplitError(`the validation fraction ${valFraction} and the test fraction ${testFraction} add up to ${valFraction + testFraction}: together they must stay below 1 to leave samples for training`);
  }
  if (fixedVal && fixedTest) {
    const both = opts.fixedTestIds?.filter((id) => fixedVal.has(index.get(id) ?? -1)) ?? [];
    if (both.length > 0) {
      throw new SplitError(`${both.length} id(s) are both validation and test ids: ${listed(both)}; a sample can be in one of them only`);
    }
  }
  const strata = strataOf(ds);
  const test = fixedTest ?? (testFraction > 0 ? draw(strata, count, testFraction, (bin) => mixSeed(opts.seed, TEST_STREAM, bin), fixedVal ?? new Set()) : new Set<number>());
  const val = fixedVal ?? draw(strata, count, valFraction, (bin) => mixSeed(opts.seed, bin), test);
  const train: number[] = [];
  for (let i = 0; i < count; i++) if (!val.has(i) && !test.has(i)) train.push(i);
  if (train.length === 0) throw new SplitError(emptyTraining(count, val.size, test.size, opts));
  if (test.size > 0 && val.size === 0) {
    throw new SplitError(
      `the validation split is empty: with ${plural(test.size, opts.fixedTestIds ? 'test id' : 'test sample')} of ${count} samples held out, validation fraction ${valFraction} draws none`,
    );
  }
  const ascending = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { train, val: ascending(val), test: ascending(test) };
}

/** Indices of `ids` in `ds`; ids not in it are refused, counted and named. */
function indicesOf(ds: Dataset, index: ReadonlyMap<string, number>, ids: readonly string[], what: string): Set<number> {
  const unknown = ids.filter((id) => !index.has(id));
  if (unknown.length > 0) throw new SplitError(`${unknown.length} ${what} id(s) are not in dataset "${ds.info.name}": ${listed(unknown)}`);
  return new Set(ids.map((id) => index.get(id) ?? -1));
}

function listed(ids: readonly string[]): string {
  return `${ids.slice(0, SHOWN_IDS).join(', ')}${ids.length > SHOWN_IDS ? ', ...' : ''}`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function emptyTraining(count: number, val: number, test: number, opts: SplitOptions): string {
  if (test === 0) {
    return opts.fixedValIds ? `the training split is empty: all ${count} samples are fixed validation ids` : `the training split is empty (${count} samples, valFraction ${opts.valFraction})`;
  }
  const testPart = opts.fixedTestIds ? plural(test, 'test id') : `${plural(test, 'test sample')} (test fraction ${opts.testFraction ?? 0})`;
  const valPart = opts.fixedValIds ? plural(val, 'fixed validation id') : plural(val, 'validation sample');
  return `the training split is empty: of ${count} samples, ${testPart} and ${valPart} leave none to train on`;
}

/** The samples of each coverage stratum, ascending, keyed by stratum. */
function strataOf(ds: Dataset): Map<number, number[]> {
  const pixels = ds.height * ds.width;
  const strata = new Map<number, number[]>();
  for (let i = 0; i < ds.ids.length; i++) {
    const bin = ds.masks ? coverageBin(maskCoverage(ds.masks, i, pixels)) : 0;
    const list = strata.get(bin);
    if (list) list.push(i);
    else strata.set(bin, [i]);
  }
  return strata;
}

/**
 * round(count * fraction) samples (at most those not in `taken`), each stratum giving its share of
 * round(...) by largest remainder: the stratum is shuffled by its stream, `taken` removed, and the
 * front taken. Shares are of the samples left (scaled so that the total is a share of all `count`).
 */
function draw(strata: ReadonlyMap<number, readonly number[]>, count: number, fraction: number, streamOf: (bin: number) => number, taken: ReadonlySet<number>): Set<number> {
  const bins = [...strata.keys()].sort((a, b) => a - b);
  const orders = new Map(bins.map((bin) => [bin, shuffled(strata.get(bin) ?? [], mulberry32(streamOf(bin))).filter((i) => !taken.has(i))]));
  const left = bins.reduce((sum, bin) => sum + (orders.get(bin)?.length ?? 0), 0);
  if (left === 0) return new Set();
  const target = Math.min(left, Math.round(count * fraction));
  // Exactly `fraction` when nothing was taken, so a split without a test set stays what it was.
  const share = left === count ? fraction : (fraction * count) / left;
  const shares = bins.map((bin) => {
    const size = orders.get(bin)?.length ?? 0;
    const exact = size * share;
    const take = Math.min(size, Math.floor(exact));
    return { bin, size, take, remainder: exact - Math.floor(exact) };
  });
  let missing = target - shares.reduce((sum, s) => sum + s.take, 0);
  // Largest remainders first; ties go to the lower bin, so the result does not depend on Map order.
  for (const s of [...shares].sort((a, b) => b.remainder - a.remainder || a.bin - b.bin)) {
    if (missing <= 0) break;
    if (s.take < s.size) {
      s.take++;
      missing--;
    }
  }
  // Only when strata ran out of samples: the rest from the first strata with samples to spare.
  for (const s of shares) {
    while (missing > 0 && s.take < s.size) {
      s.take++;
      missing--;
    }
  }
  return new Set(shares.flatMap((s) => (orders.get(s.bin) ?? []).slice(0, s.take)));
}
