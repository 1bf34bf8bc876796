/**
 * Experiment files for the runner's tests: a small file of the tiny preset to edit, written where a
 * test wants it, and the options of a session that queues the plan and trains nothing.
 */
import fs from 'node:fs';
import type { ExperimentRunOptions } from '../../src-main/experiments/runner';

/** An experiment file as the tests edit it. */
export type ExperimentJson = Record<string, unknown>;

/**
 * Experiment `name`: the tiny preset with he_normal against glorot_normal, one seed of one epoch on
 * 16 demo images, trained on wasm without test-time augmentation; `edit` changes it.
 */
export function tinyInitExperiment(name: string, edit: (f: ExperimentJson) => void = () => {}): ExperimentJson {
  const f: ExperimentJson = {
    format: 'strata-experiment',
    version: 1,
    name,
    description: 'test scale: the tiny preset, 16 demo images, 1 epoch',
    base: { design: 'tiny', config: { batch: 4, backend: 'wasm', inference: { tta: false, snapshots: 1, threshold: 0.5, minArea: 0 } } },
    factors: [{ name: 'init', levels: [{ label: 'he_normal', config: { init: 'he_normal' } }, { label: 'glorot_normal', config: { init: 'glorot_normal' } }] }],
    seeds: [1],
    data: { path: 'demo', demoCount: 16 },
    budget: { epochs: 1 },
  };
  edit(f);
  return f;
}

/** Writes experiment file `f` as JSON at `file`; returns `file`. */
export function writeExperimentFile(file: string, f: ExperimentJson): string {
  fs.writeFileSync(file, JSON.stringify(f, null, 2));
  return file;
}

/** Options of a session on `runsDir` that queues every run and trains none: its stop is asked for before it starts. */
export function queueOnly(runsDir: string, over: Partial<ExperimentRunOptions> = {}): ExperimentRunOptions {
  const ctl = new AbortController();
  ctl.abort('stopped');
  return { runsDir, signals: [], log: () => {}, stop: ctl.signal, ...over };
}
