/**
 * One training benchmark in a fresh process: `tsx test/bench/benchStep.ts PRESET BACKEND BATCH STEPS`.
 * Prints one JSON line: seconds per step (median of the steps after a warm-up step), images/s and
 * achieved GFLOP/s (training counted as 3 forward passes: forward, input gradient, filter gradient).
 */
import { getPreset, summarize } from '../../shared/arch';
import { selectBackend, type BackendName } from '../../src-main/training/backend';
import { makeLoss } from '../../src-main/training/losses';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';
import { trainStep } from '../../src-main/training/microBatch';
import { describeAdapter, softwareAdapterReason } from '../../src-main/training/webgpu';

const [preset = 'small', backend = 'wasm', batchArg = '16', stepsArg = '3', warmupArg = '1'] = process.argv.slice(2);
const arch = getPreset(preset);
if (!arch) throw new Error(`unknown preset ${preset}`);
const s = summarize(arch);
if (!s.ok) throw new Error(`${preset} is invalid`);
const batch = Number(batchArg);
const steps = Number(stepsArg);
/** Untimed steps first (kernel compilation, allocation); the plain-JS cpu backend needs none. */
const warmup = Number(warmupArg);
const report = await selectBackend({ force: backend as BackendName });
const model = new UNetModel(arch, 1);
const opt = makeOptimizer({ name: 'sgd', lr: 0.01, momentum: 0.9 });
const loss = makeLoss('batch-iou');
const { h, w, c } = model.inputShape;
const x = Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i * 0.37));
const y = Float32Array.from({ length: batch * h * w }, (_, i) => (Math.sin(i * 0.011) > 0.3 ? 1 : 0));
const times: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  const t0 = performance.now();
  await trainStep(model, opt, loss, x, y, [batch, h, w, c]);
  if (i >= warmup) times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
const sec = times[Math.floor(times.length / 2)] ?? NaN;
// A webgpu adapter that runs on the CPU (SwiftShader, lavapipe, WARP): the figures are not a GPU's.
const software = report.adapter ? softwareAdapterReason(report.adapter) : null;
const notGpu = report.adapter && software !== null ? `${describeAdapter(report.adapter)}, ${software}` : undefined;
const flopsPerStep = 3 * 2 * s.summary.macsPerImage * batch;
process.stdout.write(
  `${JSON.stringify({ preset, backend: report.name, detail: report.detail, batch, steps: times.length, secPerStep: sec, imagesPerSec: batch / sec, gflops: flopsPerStep / sec / 1e9, ...(notGpu ? { notGpu } : {}) })}\n`,
);
