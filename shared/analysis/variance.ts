/**
 * The variances the initializers draw from, in two conventions:
 * - Keras's (keras.initializers.VarianceScaling), which is what the model really uses:
 *   glorot_* draw with variance 2/(fan_in + fan_out), he_* with 2/fan_in;
 * - the note's, which agrees for glorot but gives he_* the variance 2/n_next (n_next = k*k*C_out).
 * Both conventions agree whenever a conv keeps its channels, and for Keras's transposed convs
 * (whose fans are read off the swapped kernel axes, so Keras's fan_in there is k*k*C_out).
 */
import type { Initializer } from '../arch/types';

/** How an initializer turns fans into a variance: `scale / n` with n the fan its mode names. */
export interface InitFamily {
  distribution: 'truncated_normal' | 'uniform';
  scale: number;
  mode: 'fan_in' | 'fan_avg';
}

/** Keras's definitions of the four initializers. */
export const INIT_FAMILIES: Readonly<Record<Initializer, InitFamily>> = {
  glorot_normal: { distribution: 'truncated_normal', scale: 1, mode: 'fan_avg' },
  glorot_uniform: { distribution: 'uniform', scale: 1, mode: 'fan_avg' },
  he_normal: { distribution: 'truncated_normal', scale: 2, mode: 'fan_in' },
  he_uniform: { distribution: 'uniform', scale: 2, mode: 'fan_in' },
};

/** Which formula gives He its variance: Keras's 2/fan_in (the model) or the note's 2/n_next. */
export type VarianceConvention = 'keras' | 'note';

/**
 * Fans of a 2-D conv kernel as Keras computes them (receptive field × the kernel's last two dims).
 * A Conv2D kernel is [kh, kw, in, out]: fan_in = kh·kw·in, fan_out = kh·kw·out.
 * A Conv2DTranspose kernel is stored as [kh, kw, filters, in] — its axes swapped — and Keras
 * reads the fans off that shape regardless, so for `transposed` fan_in = kh·kw·out (the layer's
 * filters) and fan_out = kh·kw·in. `inChannels`/`outChannels` are always the layer's input and output channels.
 */
export function convFans(
  kh: number,
  kw: number,
  inChannels: number,
  outChannels: number,
  transposed: boolean,
): { fanIn: number; fanOut: number } {
  const field = kh * kw;
  return transposed
    ? { fanIn: field * outChannels, fanOut: field * inChannels }
    : { fanIn: field * inChannels, fanOut: field * outChannels };
}

/** Keras's fan n for an initializer (at least 1, as in Keras) and the variance scale/n. */
export function kerasVariance(init: Initializer, fanIn: number, fanOut: number): { n: number; variance: number } {
  const { scale, mode } = INIT_FAMILIES[init];
  const n = Math.max(1, mode === 'fan_in' ? fanIn : (fanIn + fanOut) / 2);
  return { n, variance: scale / n };
}

/**
 * The variance of a conv's weights under a convention, from the layer's own channels (not Keras's
 * swapped transposed fans): n = k*k*C_in, n_next = k*k*C_out. Glorot is 2/(n + n_next) in both;
 * He is Keras's 2/fan_in, or the note's 2/n_next.
 */
export function convWeightVariance(
  init: Initializer,
  k: number,
  inChannels: number,
  outChannels: number,
  transposed: boolean,
  convention: VarianceConvention,
): number {
  if (convention === 'note' && INIT_FAMILIES[init].mode === 'fan_in') return 2 / (k * k * outChannels);
  const { fanIn, fanOut } = convFans(k, k, inChannels, outChannels, transposed);
  return kerasVariance(init, fanIn, fanOut).variance;
}
