/**
 * The plain-data form of an initialisation analysis, shared by the analytical model (here, in
 * shared/) and the measurement on a real initialised model (src-main/training/analysis/), so a
 * chart can draw both from the same shape.
 *
 * The main path is a sum: s0, the output of the initial conv, plus one contribution per resnet
 * block. Samplers and BNs transform every summand with the sum; merges add the summands of their
 * two inputs index by index.
 */
import type { NodeKind, Shape } from '../arch/types';

/** One summand s_index, followed from where it is created to the input of the head. */
export interface SummandEntry {
  index: number;
  /** `stem` for s0 created by a conv on the input, else the U-Net level name of its stack (e0, bottom, d1...). */
  level: string;
  /** The node that creates it: the initial conv, or the resnet stack. */
  nodeId: string;
  /** The block within its stack; absent for s0. */
  block?: number;
  /** Its std at the input to the head. */
  std: number;
  /** Its std where it is created (for s0, the output of the initial conv). */
  stdAtOrigin: number;
  /** Analytical only: the range of `std` that the note's bounds on the sum allow at every BN. */
  stdRange?: [number, number];
}

/** One summand's std in one feature space. */
export interface StageSummand {
  index: number;
  std: number;
  /** Analytical only: the range the note's bounds allow. */
  range?: [number, number];
}

/** The summands in the feature space of one node's output on the main path. */
export interface StageEntry {
  nodeId: string;
  /** `head-input` for the stage at the input to the head. */
  kind: NodeKind | 'head-input';
  shape: Shape;
  summands: StageSummand[];
  /** Analytical: sqrt(sum of s_i^2), the summands taken as uncorrelated. Empirical: the measured std of the sum. */
  sumStd: number;
  /**
   * The note's bounds sqrt(sum s_i^2) <= std(sum) <= sum s_i. Empirical: from this stage's measured
   * summand stds. Analytical: carried through the design, restarting at [1, 1] after every BN.
   */
  sumBounds: [number, number];
}

/** An initialisation analysis: the summands in order s0, s1, ..., and every stage on the way. */
export interface SummandAnalysis {
  summands: SummandEntry[];
  stages: StageEntry[];
}

/** The note's bounds on the std of a sum of positively correlated terms with these stds. */
export function sumBounds(stds: readonly number[]): [number, number] {
  let squares = 0;
  let total = 0;
  for (const s of stds) {
    squares += s * s;
    total += s;
  }
  return [Math.sqrt(squares), total];
}
