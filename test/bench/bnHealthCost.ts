/**
 * What the per-epoch BN health costs: `tsx test/bench/bnHealthCost.ts [PRESET] [BACKEND] [BATCH] [PLACEMENT] [REPEATS]`.
 * Times the measurement (three forward passes of one batch, as BnHealthCallback runs it at every
 * epoch end) against a training step of the same batch, and prints one JSON line: seconds per
 * measurement and per step (medians after one untimed warm-up each), and the share of a TGS epoch
 * (2880 training images) the measurement adds.
 */
import { bnSites } from '../../shared/analysis/bnHealth';
import { getPreset, withBnPlacement } from '../../shared/arch';
import type { BnPlacement } from '../../shared/arch/types';
import { measureBnHealth } from '../../src-main/training/analysis/bnHealth';
import { selectBackend, type BackendName } from '../../src-main/training/backend';
import { makeLoss } from '../../src-main/training/losses';
import { trainStep } from '../../src-main/training/microBatch';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';

const [preset = 'small', backend = 'wasm', batchArg = '16', placement = 'samplers', repeatsArg = '5'] = process.argv.slice(2);
const base = getPreset(preset);
if (!base) throw new Error(`unknown preset ${preset}`);
const arch = withBnPlacement(base, placement as BnPlacement);
const batch = Number(batchArg);
const repeats = Number(repeatsArg);
const report = await selectBackend({ force: backend as BackendName });
const model = new UNetModel(arch, 1);
const opt = makeOptimizer({ name: 'sgd', lr: 0.01, momentum: 0.9 });
const loss = makeLoss('batch-iou');
const { h, w, c } = model.inputShape;
const shape: [number, number, number, number] = [batch, h, w, c];
const x = Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i * 0.37));
const y = Float32Array.from({ length: batch * h * w }, (_, i) => (Math.sin(i * 0.011) > 0.3 ? 1 : 0));
const val = Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.cos(i * 0.23));
const sites = bnSites(arch);

async function median(f: () => Promise<unknown>): Promise<number> {
  await f();
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    t.push((performance.now() - t0) / 1000);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)] ?? NaN;
}

const secPerStep = await median(() => trainStep(model, opt, loss, x, y, shape));
const secPerMeasure = await median(() => measureBnHealth(model, sites, { x, shape }, { x: val, shape }));
const stepsPerTgsEpoch = Math.ceil(2880 / batch);
process.stdout.write(
  `${JSON.stringify({
    preset,
    placement,
    sites: sites.length,
    backend: report.name,
    batch,
    repeats,
    secPerMeasure,
    secPerStep,
    measureInSteps: secPerMeasure / secPerStep,
    shareOfTgsEpoch: secPerMeasure / (secPerStep * stepsPerTgsEpoch),
  })}\n`,
);
