/**
 * Predicted probabilities come in two encodings: Float32Array in [0, 1] straight from the model,
 * or Uint8Array 0..255 where the lab stores predictions quantised (value / 255). Masks are
 * Uint8Array too (0 = no salt, anything else = salt), so a Uint8Array passed where a
 * probability is expected is ALWAYS read as quantised, never as a 0/1 mask.
 *
 * A pixel is predicted salt when its probability is strictly greater than the threshold. For
 * Float32Array the threshold is first rounded to float32 (floatCut), as tfjs does when it
 * compares a float32 tensor with a number: then a stored 0.3 (really 0.30000001) is not above a
 * threshold of 0.3, matching both the decimal reading and thresholding done on the tfjs side.
 */
export type ProbArray = Float32Array | Uint8Array;

/** The probability of pixel `i`, decoding the quantised form. */
export function probAt(probs: ProbArray, i: number): number {
  const v = probs[i] ?? 0;
  return probs instanceof Uint8Array ? v / 255 : v;
}

/**
 * The smallest byte whose decoded probability exceeds `threshold` (256 if none does).
 * Deciding with the very expression `probAt` uses keeps the byte path and the float path
 * in exact agreement, including at thresholds like 0.2 that are not multiples of 1/255.
 */
export function byteCut(threshold: number): number {
  for (let b = 0; b < 256; b++) if (b / 255 > threshold) return b;
  return 256;
}

/** The float32 value float probabilities are compared with (see ProbArray). */
export function floatCut(threshold: number): number {
  return Math.fround(threshold);
}

/** Thresholds the probabilities into a 0/1 mask (written into `out` when given). */
export function predictMask(probs: ProbArray, threshold: number, out?: Uint8Array): Uint8Array {
  const mask = out ?? new Uint8Array(probs.length);
  if (probs instanceof Uint8Array) {
    const cut = byteCut(threshold);
    for (let i = 0; i < probs.length; i++) mask[i] = (probs[i] ?? 0) >= cut ? 1 : 0;
  } else {
    const cut = floatCut(threshold);
    for (let i = 0; i < probs.length; i++) mask[i] = (probs[i] ?? 0) > cut ? 1 : 0;
  }
  return mask;
}
