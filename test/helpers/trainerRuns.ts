/**
 * Shared set-up of trainer tests: a tiny run on a small synthetic demo set, created in a run store,
 * and trainer processes that a failed test does not leave behind.
 */
import { afterEach } from 'vitest';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import type { RunConfig } from '../../shared/runs/types';
import { defaultRunConfig } from '../../shared/training/config';
import type { Dataset } from '../../src-main/data/dataset';
import { makeDemoDataset } from '../../src-main/data/demo';
import { splitDataset } from '../../src-main/data/split';
import { startTrainer as start } from '../../src-main/lab/trainerHost';
import { RunStore } from '../../src-main/runs/store';

/** The data of every trainer test: 24 synthetic samples. */
export const DEMO = { kind: 'demo' as const, count: 24, seed: 3 };

/** Creates a run of the tiny preset on DEMO (wasm, batch 8, 2 epochs unless patched); returns its id. */
export function createRun(runsDir: string, patch: Partial<RunConfig> = {}): string {
  const ds = makeDemoDataset({ count: DEMO.count, seed: DEMO.seed });
  const config: RunConfig = { ...defaultRunConfig(), epochs: 2, batch: 8, backend: 'wasm', valFraction: 0.25, ...patch };
  return createRunOn(runsDir, ds, config).id;
}

/**
 * Creates a run named `name` of `arch` (default the tiny preset) on `ds` with `config`, split by the
 * config's validation fraction and seed; returns its id and its split's ids.
 */
export function createRunOn(runsDir: string, ds: Dataset, config: RunConfig, name = 'test', arch = getPreset('tiny') as Architecture): { id: string; split: { train: string[]; val: string[] } } {
  const indices = splitDataset(ds, { valFraction: config.valFraction, seed: config.seed });
  const split = { train: indices.train.map((i) => ds.ids[i] as string), val: indices.val.map((i) => ds.ids[i] as string) };
  const store = RunStore.open(runsDir);
  try {
    const run = store.createRun({
      name,
      arch,
      config,
      dataset: { name: ds.info.name, source: ds.info.source, fingerprint: ds.info.fingerprint, synthetic: ds.info.synthetic, count: ds.info.count },
      split,
      versions: { strata: 'test', tfjs: '4.22.0', node: process.versions.node },
    });
    return { id: run.id, split };
  } finally {
    store.close();
  }
}

export { withOpenStore, withStore } from './store';

/**
 * startTrainer for one test file: every trainer it starts is SIGKILLed after its test (a failed test
 * must not leave a trainer process behind).
 */
export function trainersKilledAfterEach(): typeof start {
  const live: ReturnType<typeof start>[] = [];
  afterEach(() => {
    for (const t of live.splice(0)) t.kill('SIGKILL');
  });
  return (job, opts) => {
    const t = start(job, opts);
    live.push(t);
    return t;
  };
}
