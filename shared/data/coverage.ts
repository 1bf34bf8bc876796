/** Salt coverage: per-mask fractions, the stratification bin, and dataset-wide statistics. */
import type { SaltCoverageStats } from './types';

/** Number of non-empty coverage bins used for statistics and stratified splits. */
export const COVERAGE_BINS = 10;

/** Fraction of salt pixels of mask `index` in a packed N*H*W 0/1 array. */
export function maskCoverage(masks: Uint8Array, index: number, pixels: number): number {
  let salt = 0;
  const offset = index * pixels;
  for (let p = 0; p < pixels; p++) salt += masks[offset + p] !== 0 ? 1 : 0;
  return salt / pixels;
}

/**
 * The stratum of a coverage fraction: 0 for an empty mask, else 1..COVERAGE_BINS for coverage in
 * (0, 0.1], (0.1, 0.2], ..., (0.9, 1].
 */
export function coverageBin(coverage: number): number {
  if (coverage <= 0) return 0;
  return Math.min(COVERAGE_BINS, Math.max(1, Math.ceil(coverage * COVERAGE_BINS)));
}

/** Coverage statistics of `count` masks of `pixels` pixels each. */
export function saltCoverageStats(masks: Uint8Array, count: number, pixels: number): SaltCoverageStats {
  const bins = new Array<number>(COVERAGE_BINS).fill(0);
  let empty = 0;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const c = maskCoverage(masks, i, pixels);
    sum += c;
    const bin = coverageBin(c);
    if (bin === 0) empty++;
    else bins[bin - 1] = (bins[bin - 1] ?? 0) + 1;
  }
  return { empty, mean: count > 0 ? sum / count : 0, bins };
}
