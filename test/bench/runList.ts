/** Run-store listing speed with 1,000 runs (issue: listing stays fast). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { defaultRunConfig } from '../../shared/training/config';
import { RunStore } from '../../src-main/runs/store';

/** Creates 1,000 runs with epoch metrics in a temp store and times listing them. */
export function benchRunList(count = 1000): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-runs-'));
  try {
    const store = RunStore.open(dir);
    const arch = getPreset('tiny') as Architecture;
    for (let i = 0; i < count; i++) {
      const run = store.createRun({
        name: `run ${i}`,
        arch,
        config: defaultRunConfig(),
        dataset: { name: 'demo', source: { kind: 'demo', seed: 1, count: 8 }, fingerprint: 'f', synthetic: true, count: 8 },
        split: { train: ['a'], val: ['b'] },
        versions: { strata: 'bench', tfjs: '4.22.0', node: process.versions.node },
      });
      store.update(run.id, { status: 'done', best: { epoch: 0, score: (i % 97) / 97, metric: 'valScore' }, epochsDone: 1 });
    }
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      store.list();
      store.list({ orderBy: 'bestScore', limit: 50 });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`\nrun store: listing ${count} runs (all, then the best 50): ${(times[2] ?? NaN).toFixed(1)} ms (median of 5)\n`);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
