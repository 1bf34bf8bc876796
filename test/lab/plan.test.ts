/**
 * One creation path: `planRun` loads the data, checks the design fits, splits it (a fraction or a
 * fixed validation id list) and names the run, for the lab and the CLI alike.
 */
import { describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import { runRequestSchema } from '../../shared/runs/request';
import { checkInput } from '../../shared/api/validate';
import { makeDemoDataset } from '../../src-main/data/demo';
import { planRun } from '../../src-main/lab/plan';
import { openLab, scratchDir } from './helpers';

const source = { kind: 'demo', count: 16, seed: 1 } as const;
const load = () => Promise.resolve(makeDemoDataset({ count: 16, seed: 1 }));
function tiny() {
  const arch = getPreset('tiny');
  if (!arch) throw new Error('no tiny preset');
  return arch;
}

describe('planRun', () => {
  it('splits by fraction, names the run after its design and data, with the schema defaults', async () => {
    const plan = await planRun(runRequestSchema.parse({ config: { valFraction: 0.25 } }), { arch: tiny(), source, load });
    expect(plan.init.split.val).toHaveLength(4);
    expect(plan.init.split.train).toHaveLength(12);
    expect(plan.init.name).toBe(`tiny · ${plan.dataset.info.name}`);
    expect(plan.init.config.optimizer).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.9 });
    expect(plan.init.dataset.source).toEqual(source);
  });

  it('takes a fixed validation id list, refusing unknown ids and an empty training split by name', async () => {
    const plan = await planRun(runRequestSchema.parse({ name: 'fixed', valIds: ['demo-0005', 'demo-0001'] }), { arch: tiny(), source, load });
    expect(plan.init.split.val).toEqual(['demo-0001', 'demo-0005']);
    expect(plan.init.split.train).toHaveLength(14);
    expect(plan.init.name).toBe('fixed');
    await expect(planRun(runRequestSchema.parse({ valIds: ['demo-0001', 'nope-1'] }), { arch: tiny(), source, load })).rejects.toThrow(/not in dataset .*nope-1/);
    const all = Array.from({ length: 16 }, (_, i) => `demo-${String(i).padStart(4, '0')}`);
    await expect(planRun(runRequestSchema.parse({ valIds: all }), { arch: tiny(), source, load })).rejects.toThrow(/training split is empty/);
  });

  it('is what the lab starts runs with: valIds over the API, checked there', async () => {
    const lab = openLab(scratchDir('plan'));
    try {
      const bad = checkInput('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-0001', 'demo-0001'] });
      expect(!bad.ok && bad.error.message).toBe('startRun: valIds.1: validation id demo-0001 is listed twice');
      const unknown = checkInput('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-9999'] });
      if (!unknown.ok) throw new Error(unknown.error.message);
      await expect(lab.startRun(unknown.params)).rejects.toThrow(/demo-9999/);
      const est = checkInput('estimateEpoch', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-0003'], config: { epochs: 1 }, steps: 1 });
      expect(est.ok).toBe(true);
      const ok = checkInput('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-0003', 'demo-0007'], config: { epochs: 1, batch: 8 } });
      if (!ok.ok) throw new Error(ok.error.message);
      const run = await lab.startRun(ok.params);
      expect(lab.getRun({ id: run.id }).split.val).toEqual(['demo-0003', 'demo-0007']);
      expect(run.valCount).toBe(2);
      lab.stopRun({ id: run.id });
    } finally {
      await lab.close();
    }
  }, 60_000);
});
