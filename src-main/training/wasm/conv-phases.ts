/**
 * Geometry of a strided convolution's input gradient split by output phase (polyphase).
 *
 * For a conv with stride s, kernel k and leading padding p, the gradient at input position
 * h = s·q + a receives only the taps i ≡ (a + p) mod s, so each of the s phases of an axis is an
 * ordinary stride-1 correlation of dy with a sub-filter of ⌈(k - r)/s⌉ taps. Doing the s² phases
 * as separate dense convolutions costs exactly the forward conv's multiply-adds, unlike the
 * textbook zero-dilated dy, which wastes (s² - 1)/s² of them on zeros.
 */

/** One output phase along one spatial axis. */
export interface AxisPhase {
  /** Input positions a, a + s, a + 2s, … belong to this phase. */
  phase: number;
  /** How many input positions the phase covers. */
  count: number;
  /** First kernel tap of the phase (taps firstTap, firstTap + s, …). */
  firstTap: number;
  /** Number of taps; 0 when no tap reaches this phase (its gradient is zero). */
  taps: number;
  /** Padding of dy before and after, for the stride-1 correlation (never negative). */
  padBefore: number;
  padAfter: number;
  /** Leading correlation outputs to drop (where the exact padding would be negative). */
  skip: number;
  /** Number of outputs the padded correlation produces (≥ skip + count). */
  convSize: number;
}

/**
 * The phases of one axis of a conv gradient: input size `inSize`, dy size `outSize`,
 * `kernel` taps, `stride`, and the conv's leading padding `padBefore`.
 */
export function axisPhases(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let a = 0; a < stride; a++) {
    const count = a < inSize ? Math.ceil((inSize - a) / stride) : 0;
    const firstTap = (a + padBefore) % stride;
    // dy index of the phase's q-th output for tap j (0-based, filter flipped) is q + shift - (taps - 1) + j.
    const shift = (a + padBefore - firstTap) / stride;
    const taps = firstTap < kernel ? Math.ceil((kernel - firstTap) / stride) : 0;
    const exact = taps - 1 - shift;
    const before = Math.max(exact, 0);
    const skip = Math.max(-exact, 0);
    const after = Math.max(0, skip + count - outSize - before + taps - 1);
    phases.push({ phase: a, count, firstTap, taps, padBefore: before, padAfter: after, skip, convSize: outSize + before + after - taps + 1 });
  }
  return phases;
}
