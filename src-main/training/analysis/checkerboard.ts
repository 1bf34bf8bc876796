/**
 * Measured checkerboard scores at initialisation: each upsampler's linear path (its stride-2
 * transposed conv and the stride-1 convs after it) applied to an impulse and to white noise, and
 * the score of predicted probability maps. BNs are left out: the score is of the sampler's own
 * linear path, whose response to a constant should be a constant (the score says how much of it is
 * a period-2 pattern instead); a BN after it rescales and recentres each channel, which is not the
 * sampler's doing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addEnergy, noEnergy, nyquistEnergy, scoreFromEnergy } from '../../../shared/analysis/checkerboard';
import type { CheckerboardScore } from '../../../shared/analysis/checkerboard';
import { inferShapes, soleInput } from '../../../shared/arch';
import type { Shape } from '../../../shared/arch/types';
import type { UNetModel } from '../model';
import { Rng } from '../random';
import { readComputed } from '../read';

/** One upsampler's score for one kind of input. */
export interface UpsamplerCheckerboard extends CheckerboardScore {
  nodeId: string;
  /**
   * `constant`: ones everywhere, the classic case (each output phase gets the sum of a different
   * sub-kernel, a pure period-2 pattern); `impulse`: one pixel at the centre; `noise`: unit white noise.
   */
  input: 'constant' | 'impulse' | 'noise';
  /** Output resolution and channels. */
  shape: Shape;
  /** With `maps`: the output's first channel, row-major h x w, to be shown as an image. */
  map?: number[];
}

/** Score of NHWC maps with `c` channels, each channel of each image scored as one map, energies pooled. */
function scoreNhwc(data: Float32Array, n: number, h: number, w: number, c: number): CheckerboardScore {
  const sum = noEnergy();
  const map = new Float64Array(h * w);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) map[p] = data[(b * h * w + p) * c + ch] ?? 0;
      addEnergy(sum, nyquistEnergy(map, h, w));
    }
  }
  return scoreFromEnergy(sum);
}

/** Every upsampler's score on a constant, an impulse (one pixel at the centre, every channel) and unit white noise. */
export async function measureUpsamplers(model: UNetModel, seed = 1, opts: { maps?: boolean } = {}): Promise<UpsamplerCheckerboard[]> {
  const arch = model.arch;
  const { shapes } = inferShapes(arch);
  const weight = (name: string) => {
    const v = model.params.trainable.get(name);
    if (!v) throw new Error(`model '${arch.name}' has no weight '${name}'`);
    return v as tf.Tensor4D;
  };
  const out: UpsamplerCheckerboard[] = [];
  const rng = new Rng(seed);
  for (const node of arch.nodes) {
    if (node.kind !== 'up') continue;
    const src = soleInput(arch, node.id);
    const inShape = src === undefined ? undefined : shapes.get(src);
    const outShape = shapes.get(node.id);
    if (!inShape || !outShape) continue;
    const impulse = new Float32Array(inShape.h * inShape.w * inShape.c);
    const centre = (Math.floor(inShape.h / 2) * inShape.w + Math.floor(inShape.w / 2)) * inShape.c;
    impulse.fill(1, centre, centre + inShape.c);
    const noise = new Float32Array(impulse.length);
    for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
    const constant = new Float32Array(impulse.length).fill(1);
    for (const [input, values] of [['constant', constant], ['impulse', impulse], ['noise', noise]] as const) {
      const data = await readComputed(() => {
        let y = tf.conv2dTranspose(tf.tensor4d(values, [1, inShape.h, inShape.w, inShape.c]), weight(`${node.id}/transposed/kernel`), [1, outShape.h, outShape.w, outShape.c], 2, 'same');
        for (let i = 0; i < node.convs; i++) y = tf.conv2d(y, weight(`${node.id}/conv${i}/kernel`), 1, 'same');
        return y;
      });
      const map = opts.maps ? Array.from({ length: outShape.h * outShape.w }, (_, p) => data[p * outShape.c] ?? 0) : undefined;
      out.push({ nodeId: node.id, input, shape: { ...outShape }, ...scoreNhwc(data, 1, outShape.h, outShape.w, outShape.c), ...(map ? { map } : {}) });
    }
  }
  return out;
}
