/**
 * Per-U-Net-level gradient statistics: gradient norm and update-to-weight ratio, summed from
 * per-weight squares so the tensor side only has to hand over plain numbers.
 */

/** Squared norms of one weight, named as the model names it (`e0/block3/conv1/kernel`). */
export interface WeightSquares {
  name: string;
  /** Squared norm of the weight at the end of the interval. */
  weight: number;
  /** Squared norm of its change over the interval. */
  update: number;
  /** Squared norm of its gradient, when measured. */
  gradient?: number;
}

/** One level's statistics. */
export interface LevelStats {
  /** The level name (e0, bottom, d1), or the node id for nodes outside the levels (stem, samplers, head). */
  level: string;
  weights: number;
  weightNorm: number;
  updateNorm: number;
  /** updateNorm / weightNorm. */
  updateRatio: number;
  /** Absent when no gradient was measured. */
  gradientNorm?: number;
}

/** The node id a weight belongs to: the part of its name before the first `/`. */
export function weightNode(name: string): string {
  const i = name.indexOf('/');
  return i < 0 ? name : name.slice(0, i);
}

/**
 * Groups weights by level (`levelOf` maps resnet stack ids to level names; other nodes stay under
 * their own id), in the order levels first appear.
 */
export function levelStats(weights: readonly WeightSquares[], levelOf: ReadonlyMap<string, string>): LevelStats[] {
  const acc = new Map<string, { weights: number; w: number; u: number; g: number; hasG: boolean }>();
  for (const ws of weights) {
    const node = weightNode(ws.name);
    const level = levelOf.get(node) ?? node;
    const a = acc.get(level) ?? { weights: 0, w: 0, u: 0, g: 0, hasG: false };
    a.weights++;
    a.w += ws.weight;
    a.u += ws.update;
    if (ws.gradient !== undefined) {
      a.g += ws.gradient;
      a.hasG = true;
    }
    acc.set(level, a);
  }
  return [...acc.entries()].map(([level, a]) => {
    const weightNorm = Math.sqrt(a.w);
    const updateNorm = Math.sqrt(a.u);
    const row: LevelStats = { level, weights: a.weights, weightNorm, updateNorm, updateRatio: weightNorm > 0 ? updateNorm / weightNorm : 0 };
    if (a.hasG) row.gradientNorm = Math.sqrt(a.g);
    return row;
  });
}
