/**
 * Measured step times of an experiment's designs:
 * `tsx test/bench/experimentSteps.ts FILE [--steps N] [--groups A,B] [--baseline]`.
 *
 * Plans the experiment file as `strata experiment run` does, then for each group (or the named ones)
 * trains N steps of exactly what the group's runs train, as the lab's benchmark does
 * (src-main/training/benchmark.ts: the group's design with its BN placement and initializer, its
 * optimizer, loss and batch, on a fixed pseudo-random batch, one untimed step first), split into
 * micro-batches where the trainer would split it (planMicroBatch). Each step is timed twice: wall
 * clock, and the process's CPU time (user + system, all its threads). On a machine shared with other
 * work the wall time depends on the others; the CPU time much less, so `cpuPerImage` relative to the
 * `small` baseline (`--baseline`: the `small` preset at batch 16, measured first in the same process)
 * is the figure to scale a known timing of `small` by. Also prints each design's predicted costs
 * (shared/analysis/cost.ts: conv layers, multiply-adds, the note's channels^2 x depth). One JSON line
 * per design on stdout, then one `costs` line: compareCosts of the groups measured, relative to the
 * first of them, with the CPU seconds per image as the measured cost.
 */
import { getPreset, summarize, withBnPlacement, withInitializer } from '../../shared/arch';
import { compareCosts, designCost } from '../../shared/analysis/cost';
import type { ArchSummary } from '../../shared/arch/summary';
import { runConfigSchema, type RunConfig } from '../../shared/runs/request';
import type { Architecture } from '../../shared/arch/types';
import { loadExperiment } from '../../src-main/experiments/load';
import { selectBackend } from '../../src-main/training/backend';
import { lossOfConfig } from '../../src-main/training/losses';
import { planMicroBatch, trainStep } from '../../src-main/training/microBatch';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';

const args = process.argv.slice(2);
const valued = new Set(['--steps', '--groups']);
const file = args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
if (!file) throw new Error('usage: tsx test/bench/experimentSteps.ts FILE [--steps N] [--groups A,B] [--baseline]');
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const steps = Math.max(1, Number(opt('steps') ?? '2'));
const only = opt('groups')?.split(',');

const loaded = await loadExperiment(file);
const backend = await selectBackend({});

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const measured: { group: string; summary: ArchSummary; measured: number }[] = [];

async function measure(label: string, design: Architecture, config: RunConfig): Promise<void> {
  const s = summarize(design, { batch: config.batch });
  if (!s.ok) throw new Error(`${label}: the design does not summarise`);
  const cost = designCost(s.summary);
  const arch = withInitializer(withBnPlacement(design, config.bnPlacement), config.init);
  const plan = planMicroBatch(arch, config.batch, { backend: backend.name });
  const model = new UNetModel(arch, config.seed);
  const optimizer = makeOptimizer(config.optimizer);
  const loss = lossOfConfig(config.loss);
  const { h, w, c } = model.inputShape;
  const batch = config.batch;
  const x = Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i * 0.37));
  const y = Float32Array.from({ length: batch * h * w }, (_, i) => (Math.sin(i * 0.011) > 0.3 ? 1 : 0));
  const shape: [number, number, number, number] = [batch, h, w, c];
  const wall: number[] = [];
  const cpu: number[] = [];
  try {
    for (let i = 0; i <= steps; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await trainStep(model, optimizer, loss, x, y, shape, plan.micro);
      const dc = process.cpuUsage(c0);
      if (i === 0) continue;
      wall.push((performance.now() - t0) / 1000);
      cpu.push((dc.user + dc.system) / 1e6);
    }
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  const secPerStep = median(wall);
  const cpuPerStep = median(cpu);
  if (!label.startsWith('baseline:')) measured.push({ group: label, summary: s.summary, measured: cpuPerStep / batch });
  process.stdout.write(
    `${JSON.stringify({
      group: label,
      batch,
      micro: plan.micro,
      bn: config.bnPlacement,
      init: config.init,
      loss: config.loss.name,
      convLayers: cost.convLayers,
      channels: cost.channels,
      macsPerImage: cost.macsPerImage,
      noteRule: cost.noteRule,
      steps: wall.length,
      secPerStep,
      cpuPerStep,
      secPerImage: secPerStep / batch,
      cpuPerImage: cpuPerStep / batch,
      backend: backend.name,
    })}\n`,
  );
}

if (args.includes('--baseline')) {
  const small = getPreset('small');
  if (!small) throw new Error('no small preset');
  await measure('baseline:small', small, runConfigSchema.parse({ batch: 16 }));
}
for (const g of loaded.plan.groups) {
  if (only && !only.includes(g.key)) continue;
  await measure(g.key, g.arch, g.config);
}
const costs = compareCosts(measured);
process.stdout.write(`${JSON.stringify({ costs: costs.map((c, i) => ({ group: measured[i]?.group, ...c })) })}\n`);
