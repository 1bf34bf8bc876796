/**
 * Shared set-up of the export tests: real TGS images, models whose every BN does something, the
 * layout change to ONNX's NCHW, and Debian's ONNX checker run from python3.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture } from '../../shared/arch/types';
import { mulberry32 } from '../../shared/data/random';
import { renderInputs } from '../../src-main/data/batches';
import type { Dataset } from '../../src-main/data/dataset';
import { loadDataSource } from '../../src-main/data/load';
import type { NormStats } from '../../src-main/data/normalize';
import { UNetModel } from '../../src-main/training/model';
import type { NamedArray } from '../../src-main/training/params';
import { tgsLinks } from '../helpers/cli';
import { TGS_DIR } from '../helpers/paths';

/** The first `n` real TGS training images (by file name), as a dataset, from links in `dir`. */
export async function tgsImages(dir: string, n: number): Promise<Dataset> {
  const files = readdirSync(path.join(TGS_DIR, 'images')).filter((f) => f.endsWith('.png')).sort().slice(0, n);
  return loadDataSource({ kind: 'folder', path: tgsLinks(dir, files) });
}

/** The normalisation of `ds`'s pixels (what a run of it would train with), rounded so a test can say it. */
export const TGS_NORM: NormStats = { mean: 0.47, std: 0.16 };

/** The model input of `ds`'s images, NHWC as Strata feeds it. */
export function inputsOf(ds: Dataset, channels: number, norm: NormStats = TGS_NORM, count = ds.ids.length): tf.Tensor4D {
  const indices = ds.ids.slice(0, count).map((_, i) => i);
  return tf.tensor4d(renderInputs(ds, indices, channels === 3 ? 3 : 1, norm), [indices.length, ds.height, ds.width, channels]);
}

/** NHWC values [n, h, w, c] as NCHW [n, c, h, w]. */
export function toNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch] ?? 0;
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

/** The share of `p` strictly between 0.01 and 0.99: an output that is all 0s and 1s would compare equal for the wrong reason. */
export function unsaturated(p: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < p.length; i++) if ((p[i] ?? 0) > 0.01 && (p[i] ?? 0) < 0.99) k++;
  return k / p.length;
}

/**
 * A model of `arch` whose every BN does something: its moving statistics are those of a training
 * pass over `x` (momentum 0, so each BN's are its batch's on these images), then every gamma and
 * beta is moved off 1 and 0 by seeded noise. A freshly initialised model has identity BNs, which a
 * wrong epsilon, a swapped mean and variance or a lost BN would pass.
 */
export async function trainedLikeModel(arch: Architecture, seed: number, x: tf.Tensor4D): Promise<{ model: UNetModel; weights: NamedArray[] }> {
  const model = new UNetModel(arch, seed);
  tf.tidy(() => {
    model.forwardAll(x, true);
  });
  model.commitBnUpdates(0);
  const rand = mulberry32(seed);
  const weights = await model.getWeights();
  for (const w of weights) {
    if (w.name.endsWith('/gamma')) w.data.forEach((_, i) => (w.data[i] = 0.6 + 0.8 * rand()));
    if (w.name.endsWith('/beta')) w.data.forEach((_, i) => (w.data[i] = 0.5 * (rand() - 0.5)));
    if (w.name.endsWith('/bias')) w.data.forEach((_, i) => (w.data[i] = 0.1 * (rand() - 0.5)));
  }
  model.setWeights(weights);
  return { model, weights };
}

/** The python3 that imports onnx (Debian's python3-onnx), or null: the PATH's first, then Debian's own. */
export function pythonWithOnnx(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return null;
}

const CHECK = `
import sys, onnx
for f in sys.argv[1:]:
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
    print(f, m.ir_version, m.opset_import[0].version, sep="\\t")
`;

/**
 * Runs onnx.checker.check_model (with full_check: shape inference too) on every file; returns
 * python's exit status and output. One process for all files: importing onnx is the slow part.
 */
export function checkOnnx(python: string, files: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(python, ['-c', CHECK, ...files], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
