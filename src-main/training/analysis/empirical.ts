/**
 * The measurements `strata analyze --empirical` makes on a freshly initialised model: the summands
 * on a batch of real images, each upsampler's checkerboard score, and the score of the predicted
 * probability maps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkerboardScore } from '../../../shared/analysis/checkerboard';
import type { CheckerboardScore } from '../../../shared/analysis/checkerboard';
import type { Architecture } from '../../../shared/arch/types';
import { selectBackend, describeBackend } from '../backend';
import { UNetModel } from '../model';
import { readComputed } from '../read';
import { measureUpsamplers } from './checkerboard';
import type { UpsamplerCheckerboard } from './checkerboard';
import { measureSummands } from './summands';
import type { EmpiricalAnalysis } from './summands';

/** Everything measured on the initialised model. */
export interface EmpiricalReport {
  backend: string;
  seed: number;
  summands: EmpiricalAnalysis;
  upsamplers: UpsamplerCheckerboard[];
  /** Checkerboard score of the predicted probability maps of the batch (inference-mode BN). */
  predictions: CheckerboardScore;
}

/** Initialises `arch` with `seed` and measures it on the NHWC batch `x` of shape `shape`. */
export async function measureInitialised(
  arch: Architecture,
  x: Float32Array,
  shape: [number, number, number, number],
  seed: number,
): Promise<EmpiricalReport> {
  const backend = await selectBackend();
  const model = new UNetModel(arch, seed);
  try {
    const input = tf.tensor4d(x, shape);
    try {
      const summands = await measureSummands(model, input);
      const upsamplers = await measureUpsamplers(model, seed);
      const probs = await readComputed(() => model.predict(input));
      const predictions = checkerboardScore(probs, shape[1], shape[2], shape[0]);
      return { backend: describeBackend(backend), seed, summands, upsamplers, predictions };
    } finally {
      input.dispose();
    }
  } finally {
    model.dispose();
  }
}
