/**
 * The training setup's time estimate, measured: a few real training steps of the run's design,
 * initializer, BN placement, optimizer and loss at its batch size on the backend it would get.
 * Inputs are random: a step's time depends on shapes, not on pixel values.
 */
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { BenchmarkJob, BenchmarkReply } from '../../shared/training/protocol';
import { selectBackend } from './backend';
import { lossOfConfig } from './losses';
import { UNetModel } from './model';
import { makeOptimizer } from './optimizers';
import { trainStep } from './microBatch';

/** Most timed steps a benchmark may ask for: it is a warm-up, not a training run. */
export const MAX_BENCHMARK_STEPS = 10;

/**
 * Runs one untimed step (kernel set-up, allocation) then `job.steps` timed ones; answers the
 * median seconds per step. Never throws: a failure is answered as `benchmark-failed`.
 */
export async function runBenchmark(job: BenchmarkJob): Promise<BenchmarkReply> {
  let model: UNetModel | null = null;
  let opt: ReturnType<typeof makeOptimizer> | null = null;
  try {
    const steps = Math.max(1, Math.min(MAX_BENCHMARK_STEPS, Math.floor(job.steps)));
    const requested = job.config.backend;
    const backend = await selectBackend(requested === 'auto' ? {} : { force: requested });
    const arch = withInitializer(withBnPlacement(job.arch, job.config.bnPlacement), job.config.init);
    model = new UNetModel(arch, job.config.seed);
    opt = makeOptimizer(job.config.optimizer);
    const loss = lossOfConfig(job.config.loss);
    const { h, w, c } = model.inputShape;
    const batch = job.config.batch;
    // A fixed pseudo-random pattern: deterministic, finite, and with both classes in the masks.
    const x = Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i * 0.37));
    const y = Float32Array.from({ length: batch * h * w }, (_, i) => (Math.sin(i * 0.011) > 0.3 ? 1 : 0));
    const shape: [number, number, number, number] = [batch, h, w, c];
    const t0 = performance.now();
    await trainStep(model, opt, loss, x, y, shape);
    const warmupSeconds = (performance.now() - t0) / 1000;
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t = performance.now();
      await trainStep(model, opt, loss, x, y, shape);
      times.push((performance.now() - t) / 1000);
    }
    times.sort((a, b) => a - b);
    const secondsPerStep = times[Math.floor(times.length / 2)] ?? Number.NaN;
    return {
      type: 'benchmark-result',
      secondsPerStep,
      warmupSeconds,
      steps,
      backend: { name: backend.name, detail: backend.detail, threads: backend.threads },
    };
  } catch (e) {
    return { type: 'benchmark-failed', message: e instanceof Error ? e.message : String(e) };
  } finally {
    model?.dispose();
    opt?.dispose();
  }
}
