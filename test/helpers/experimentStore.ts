/**
 * A run store holding one experiment as `strata experiment run` leaves it, written quickly through
 * the store's API: the experiment file's copy kept with the runs (as the runner keeps it), and
 * tagged runs made from its plan with chosen best scores, three epochs each, so that every verdict
 * shows up. Four initializers x three seeds:
 * - glorot_normal (the first level, the baseline): best 0.60, 0.62, 0.64 (mean 0.62, std 0.02);
 * - he_normal: 0.50, 0.53, 0.56 (mean 0.53, std 0.03): "glorot_normal better than he_normal";
 * - glorot_uniform: 0.59, 0.63, 0.65 (mean 0.6233): "no difference at this scale";
 * - he_uniform: seed 1 done at 0.55, seed 2 queued and never trained, seed 3 not made yet: one
 *   complete run, "too few seeds to tell".
 * One he_normal run has a plateau event.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EpochMetric } from '../../shared/runs/types';
import { keepExperimentCopy } from '../../src-main/experiments/copy';
import { loadExperiment } from '../../src-main/experiments/load';
import type { RunStore } from '../../src-main/runs/store';
import { sampleInit } from '../runs/sample';
import { withStore } from './store';

/** The experiment's name. */
export const INIT_EXPERIMENT = 'init-four';

/** Best validation scores by group, one per seed; null: no complete run of that seed. */
export const INIT_BEST: Record<string, (number | null)[]> = {
  glorot_normal: [0.6, 0.62, 0.64],
  he_normal: [0.5, 0.53, 0.56],
  glorot_uniform: [0.59, 0.63, 0.65],
  he_uniform: [0.55, null, null],
};

/** The claim and description the file states. */
export const INIT_CLAIM = 'glorot_normal and glorot_uniform train strict ResNet U-Nets better than he_normal and he_uniform.';
export const INIT_DESCRIPTION = 'The four initializers on the tiny preset, 3 epochs per run on 32 synthetic demo images, 3 seeds.';

/** The plateau event's message. */
export const PLATEAU_MESSAGE = 'started on a plateau: the mean loss moved 0.4% over the first 100 batches';

/**
 * An epoch's stored metrics as a training of ten steps an epoch writes them: the validation score
 * and loss chosen, the rest derived from them (the train loss 0.05 above the validation loss unless
 * given), two seconds an epoch.
 */
export function experimentEpoch(e: number, valScore: number, valLoss: number, trainLoss = valLoss + 0.05): EpochMetric {
  return {
    epoch: e,
    step: (e + 1) * 10,
    trainLoss,
    trainIoU: valScore,
    valLoss,
    valIoU: valScore - 0.1,
    valPixelIoU: valScore - 0.05,
    valScore,
    bestThreshold: 0.5,
    lr: 0.01,
    imagesPerSec: 100,
    epochSeconds: 2,
    time: 1_700_000_000_000 + e * 2000,
  };
}

/**
 * Writes a run's three epochs, the last the best at `best`: scores best - 0.1, best - 0.05 and best,
 * validation losses 0.5, 0.4 and 0.9 - best.
 */
export function appendEpochsToBest(s: RunStore, runId: string, best: number): void {
  const losses = [0.5, 0.4, 0.9 - best];
  [best - 0.1, best - 0.05, best].forEach((v, e) => s.appendEpochMetric(runId, experimentEpoch(e, v, losses[e] as number)));
}

/**
 * Writes the experiment file into `fileDir` and its runs and copy into the store at `runsDir`.
 * Returns the file's path and the run ids by group (in seed order; he_uniform: seeds 1 and 2).
 */
export async function writeInitExperiment(runsDir: string, fileDir: string): Promise<{ file: string; ids: Record<string, string[]> }> {
  fs.mkdirSync(fileDir, { recursive: true });
  const file = path.join(fileDir, `${INIT_EXPERIMENT}.json`);
  const levels = Object.keys(INIT_BEST).map((label) => ({ label, config: { init: label } }));
  fs.writeFileSync(
    file,
    JSON.stringify({
      format: 'strata-experiment',
      version: 1,
      name: INIT_EXPERIMENT,
      description: INIT_DESCRIPTION,
      claim: INIT_CLAIM,
      base: { design: 'tiny', config: { batch: 4 } },
      factors: [{ name: 'init', levels }],
      seeds: [1, 2, 3],
      data: { path: 'demo', demoCount: 32 },
      budget: { epochs: 3 },
    }),
  );
  const loaded = await loadExperiment(file);
  keepExperimentCopy(runsDir, loaded);
  const ids: Record<string, string[]> = {};
  withStore(runsDir, (s) => {
    const dataset = { name: 'demo', source: { kind: 'demo' as const, seed: 1, count: 32 }, fingerprint: 'cd'.repeat(32), synthetic: true, count: 32 };
    for (const p of loaded.plan.runs) {
      const best = INIT_BEST[p.group]?.[p.seed - 1];
      if (best === undefined) throw new Error(`no score for ${p.group} seed ${p.seed}`);
      if (best === null && p.seed === 3) continue; // not made yet
      const run = s.createRun({ ...sampleInit(), name: p.request.name ?? 'run', arch: p.arch, config: p.request.config, dataset, experiment: p.request.experiment });
      (ids[p.group] ??= []).push(run.id);
      if (best === null) continue; // queued, never trained
      appendEpochsToBest(s, run.id, best);
      s.update(run.id, { status: 'done', epochsDone: 3, best: { epoch: 2, score: best, metric: 'valScore' }, durationMs: 6000, startedAt: Date.now() - 6000, endedAt: Date.now() });
    }
    const plateauRun = ids['he_normal']?.[1];
    if (!plateauRun) throw new Error('no he_normal run of seed 2');
    s.addEvent(plateauRun, { time: Date.now(), step: 8, epoch: 0, type: 'plateau', message: PLATEAU_MESSAGE, data: {} });
  });
  return { file, ids };
}
