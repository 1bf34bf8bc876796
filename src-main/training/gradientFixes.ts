/**
 * Fixes to tfjs 4.22's own gradient registry, registered once by selectBackend. Each fix has a
 * finite-difference test in test/training/gradients.test.ts that fails without it.
 * - Minimum, Maximum and SquaredDifference do not reduce their gradients over broadcast axes, so
 *   e.g. `tf.minimum(x, scalar)` on a differentiated path fails with a shape error.
 * - Comparisons have no gradient at all, so `tf.where(tf.greater(x, 0), ...)` on a differentiated
 *   path fails with "gradient function not found"; their gradient is zero almost everywhere.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The gradient of a broadcasting binary op's input: summed over the broadcast axes, reshaped back. */
function unbroadcast(grad: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(grad, axes) : grad, shape);
}

function minMax(kernelName: 'Minimum' | 'Maximum'): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      // Ties go to `a`, as in tfjs: exactly one input receives the gradient.
      const toA = kernelName === 'Minimum' ? tf.lessEqual(a, b) : tf.greaterEqual(a, b);
      return {
        a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(toA, 'float32')), a.shape),
        b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.logicalNot(toA), 'float32')), b.shape),
      };
    },
  };
}

const squaredDifference: tf.GradConfig = {
  kernelName: 'SquaredDifference',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const twice = () => tf.mul(dy as tf.Tensor, tf.mul(tf.sub(a, b), 2));
    return { a: () => unbroadcast(twice(), a.shape), b: () => unbroadcast(tf.neg(twice()), b.shape) };
  },
};

const COMPARISONS = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'] as const;

function zeroGradient(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
    },
  };
}

let registered = false;

/** Registers the fixes; idempotent. */
export function registerGradientFixes(): void {
  if (registered) return;
  registered = true;
  for (const config of [minMax('Minimum'), minMax('Maximum'), squaredDifference, ...COMPARISONS.map(zeroGradient)]) {
    // Replace rather than add, so tfjs does not warn about an override.
    if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
}
