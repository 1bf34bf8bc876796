/**
 * Keras's variance-scaling initializers, reproduced exactly (keras.initializers.VarianceScaling),
 * so a design initialised here starts from the same distribution as the Keras model it mirrors.
 */
import type { Initializer } from '../../shared/arch/types';
import { convFans, INIT_FAMILIES, kerasVariance } from '../../shared/analysis/variance';
import type { Rng } from './random';

/** Re-exported: the fan rule lives in shared so that the design-time analysis uses the same one. */
export { convFans };

/**
 * The standard deviation of a standard normal truncated to [-2, 2]. Keras divides by it so that
 * the truncated draw, not the untruncated one, has variance scale/n.
 */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;

/** What an initializer draws from for a given pair of fans. */
export interface InitializerSpec {
  distribution: 'truncated_normal' | 'uniform';
  scale: number;
  mode: 'fan_in' | 'fan_avg';
  /** The fan the variance is divided by (at least 1, as in Keras). */
  n: number;
  /** The variance of the drawn values: scale / n. */
  variance: number;
  /** truncated_normal only: the stddev of the untruncated normal; values beyond 2 stddev are redrawn. */
  stddev?: number;
  /** uniform only: values are uniform on [-limit, limit]. */
  limit?: number;
}

function checkFan(label: string, fan: number): void {
  if (!Number.isInteger(fan) || fan < 1) throw new RangeError(`${label} must be a positive integer, got ${fan}`);
}

/** The distribution `init` draws from for these fans, with Keras's max(1, n). */
export function initializerSpec(init: Initializer, fanIn: number, fanOut: number): InitializerSpec {
  checkFan('fanIn', fanIn);
  checkFan('fanOut', fanOut);
  const { distribution, scale, mode } = INIT_FAMILIES[init];
  const { n, variance } = kerasVariance(init, fanIn, fanOut);
  return distribution === 'truncated_normal'
    ? { distribution, scale, mode, n, variance, stddev: Math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV }
    : { distribution, scale, mode, n, variance, limit: Math.sqrt(3 * variance) };
}

/** `size` values drawn from `init` for these fans, consuming `rng`. */
export function sampleInitializer(init: Initializer, size: number, fanIn: number, fanOut: number, rng: Rng): Float32Array {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer, got ${size}`);
  const spec = initializerSpec(init, fanIn, fanOut);
  const out = new Float32Array(size);
  if (spec.distribution === 'uniform') {
    const limit = spec.limit ?? 0;
    for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  } else {
    const stddev = spec.stddev ?? 0;
    for (let i = 0; i < size; i++) {
      let z = rng.normal();
      // Redraw rather than clip, as TF's truncated_normal does: clipping would pile mass on ±2.
      while (z < -2 || z > 2) z = rng.normal();
      out[i] = z * stddev;
    }
  }
  return out;
}
