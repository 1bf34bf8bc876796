/**
 * A default that changed under an experiment version: the groups' fingerprints leave defaults out,
 * so runs made when the default augmentation had shifts and brightness carry the same fingerprints
 * as today's plan. On a real run store whose runs were made with those settings (written through
 * the store's API with the plan's own tags), `experiment run` refuses before anything is queued or
 * resumed, naming each differing setting with both values (the seed and backend, which differ per
 * run by design, are not named), and `experiment status` warns of the same, by file and by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { configDrift } from '../../shared/experiments/drift';
import type { RunConfig } from '../../shared/runs/request';
import { experimentCommand } from '../../src-main/cli/commands/experiment';
import { experimentCopyPath, keepExperimentCopy } from '../../src-main/experiments/copy';
import { loadExperiment } from '../../src-main/experiments/load';
import { ExperimentConflictError, runExperiment } from '../../src-main/experiments/runner';
import { runsOfVersion } from '../../src-main/experiments/runs';
import { withStore } from '../helpers/store';
import { tempDir } from '../helpers/tempDir';
import { sampleInit } from '../runs/sample';

const tmp = tempDir('experiment-drift');
const runsDir = path.join(tmp, 'runs');

function writeExperiment(): string {
  const file = path.join(tmp, 'drift.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      format: 'strata-experiment',
      version: 1,
      name: 'drift',
      description: 'test scale: the tiny preset, 16 demo images, 1 epoch',
      base: { design: 'tiny', config: { batch: 4, backend: 'wasm' } },
      factors: [{ name: 'init', levels: [{ label: 'he_normal', config: { init: 'he_normal' } }, { label: 'glorot_normal', config: { init: 'glorot_normal' } }] }],
      seeds: [1, 2],
      data: { path: 'demo', demoCount: 16 },
      budget: { epochs: 1 },
    }),
  );
  return file;
}

/** What `experiment ARGS` prints on stdout. */
async function printed(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    expect(await experimentCommand([...args, '--runs-dir', runsDir])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('settings that changed under an experiment version', () => {
  it('refuses runs made with another default, naming each setting with both values, and status warns of it', async () => {
    const file = writeExperiment();
    const loaded = await loadExperiment(file);
    // Today's defaults, as the plan resolves them: no shift, no brightness.
    const planned = loaded.plan.groups[0]?.config;
    expect([planned?.augment.shift, planned?.augment.brightness]).toEqual([0, 0]);
    // The runs of seed 1 were made (and a copy kept) when the default augmentation shifted by 0.1 and
    // changed brightness by 0.05; he_normal's of seed 2 too, glorot_normal's of seed 2 with today's.
    // Their seeds and backends differ as every run's may: those are not settings of the group.
    const ids: Record<string, string> = {};
    keepExperimentCopy(runsDir, loaded);
    withStore(runsDir, (s) => {
      for (const p of loaded.plan.runs) {
        const old = !(p.group === 'glorot_normal' && p.seed === 2);
        const config: RunConfig = old ? { ...p.request.config, backend: 'auto', augment: { ...p.request.config.augment, shift: 0.1, brightness: 0.05 } } : p.request.config;
        const run = s.createRun({ ...sampleInit(), name: p.request.name ?? 'run', arch: p.arch, config, experiment: p.request.experiment });
        ids[`${p.group} ${p.seed}`] = run.id;
      }
    });
    const he = [ids['he_normal 1'], ids['he_normal 2']].join(', ');
    const gn = ids['glorot_normal 1'] as string;
    const message =
      'experiment drift version 1: its stored runs were made with other settings than its file plans now, so a group would mix settings: ' +
      'group he_normal: config.augment.brightness is 0.05 in its stored runs and 0 now (a default changed); ' +
      'group he_normal: config.augment.shift is 0.1 in its stored runs and 0 now (a default changed); ' +
      `group glorot_normal: config.augment.brightness is 0.05 in run ${gn} and 0 now (a default changed); ` +
      `group glorot_normal: config.augment.shift is 0.1 in run ${gn} and 0 now (a default changed). ` +
      'Runs of one version must train with one configuration: set them in the file (augment.brightness 0.05, augment.shift 0.1) to keep the stored runs\' settings, ' +
      'or leave them to train with today\'s, and either way bump "version" (to 2): a file that sets them plans its groups anew. The runs of version 1 stay in the store';

    // The fingerprints cannot tell: the stored runs carry the plan's own.
    const stored = withStore(runsDir, (s) => runsOfVersion(s, 'drift', 1));
    expect(stored.map((r) => r.experiment?.fingerprint)).toEqual(loaded.plan.runs.map((p) => p.request.experiment?.fingerprint));
    expect(configDrift(loaded.plan, stored).map((d) => [d.group, d.runIds.length, d.settings.map((x) => [x.path, x.planned, x.stored, x.inFile])])).toEqual([
      ['he_normal', 2, [['augment.brightness', 0, [{ value: 0.05, runIds: he.split(', ') }], false], ['augment.shift', 0, [{ value: 0.1, runIds: he.split(', ') }], false]]],
      ['glorot_normal', 2, [['augment.brightness', 0, [{ value: 0.05, runIds: [gn] }], false], ['augment.shift', 0, [{ value: 0.1, runIds: [gn] }], false]]],
    ]);

    const before = withStore(runsDir, (s) => s.experimentRuns('drift').map((r) => [r.id, r.status, s.events(r.id).length]));
    const copy = fs.readFileSync(experimentCopyPath(runsDir, 'drift', 1), 'utf8');
    for (const dryRun of [true, false]) {
      const err = await runExperiment(loaded, { runsDir, signals: [], log: () => {}, dryRun }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExperimentConflictError);
      expect((err as ExperimentConflictError).message).toBe(message);
      expect((err as ExperimentConflictError).conflicts).toEqual([
        { group: 'he_normal', reason: 'settings', runIds: he.split(', ') },
        { group: 'glorot_normal', reason: 'settings', runIds: [gn, ids['glorot_normal 2']] },
      ]);
    }
    // Nothing was queued, resumed or rewritten.
    expect(withStore(runsDir, (s) => s.experimentRuns('drift').map((r) => [r.id, r.status, s.events(r.id).length]))).toEqual(before);
    expect(fs.readFileSync(experimentCopyPath(runsDir, 'drift', 1), 'utf8')).toBe(copy);

    // status FILE and status NAME (through the copy kept with the runs) warn of the same.
    expect((await printed(['status', file])).split('\n')).toContain(`warning: ${message}`);
    expect((await printed(['status', 'drift'])).split('\n')).toContain(`warning: ${message}`);
    const j = JSON.parse(await printed(['status', file, '--json'])) as { configDrift: { group: string }[] };
    expect(j.configDrift.map((d) => d.group)).toEqual(['he_normal', 'glorot_normal']);
  });
});
