/**
 * A set's figures from what its scoring added up over the images (not exported from shared/metrics):
 * the one place scoreSet and the tuner divide their integer hit counts and pixel sums.
 */

/** Sums over a set's n images: competition hits (0..10 each), those of empty-truth images, IoUs, intersections and unions. */
export interface SetTally {
  n: number;
  hits: number;
  emptyHits: number;
  emptyCount: number;
  iouSum: number;
  interSum: number;
  unionSum: number;
}

/** A set's means from its tally. */
export interface SetFigures {
  /** Competition score: mean of the per-image scores. */
  score: number;
  /** Mean score over images with empty truth; null when there are none. */
  emptyScore: number | null;
  /** Mean score over images with salt; null when there are none. */
  nonEmptyScore: number | null;
  /** Mean per-image IoU. */
  meanIoU: number;
  /** Sum of intersections / sum of unions; 1 when there is no salt anywhere. */
  pixelIoU: number;
}

export function setFigures(t: SetTally): SetFigures {
  const nonEmptyCount = t.n - t.emptyCount;
  return {
    score: t.hits / (10 * t.n),
    emptyScore: t.emptyCount === 0 ? null : t.emptyHits / (10 * t.emptyCount),
    nonEmptyScore: nonEmptyCount === 0 ? null : (t.hits - t.emptyHits) / (10 * nonEmptyCount),
    meanIoU: t.iouSum / t.n,
    pixelIoU: t.unionSum === 0 ? 1 : t.interSum / t.unionSum,
  };
}
