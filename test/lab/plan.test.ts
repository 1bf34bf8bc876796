/**
 * One creation path: `planRun` loads the data, checks the design fits, splits it (fractions or
 * fixed validation and test id lists), checks a warm start's source run and names the run, for the
 * lab and the CLI alike.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { weightSpecs } from '../../shared/arch/weights';
import { runRequestSchema } from '../../shared/runs/request';
import { checkInput } from '../../shared/api/validate';
import { makeDemoDataset } from '../../src-main/data/demo';
import { planRun, type PlanSources } from '../../src-main/lab/plan';
import { runFolder } from '../../src-main/runs/ids';
import { RunStore } from '../../src-main/runs/store';
import { openLab, scratchDir } from './helpers';

const source = { kind: 'demo', count: 16, seed: 1 } as const;
const load = () => Promise.resolve(makeDemoDataset({ count: 16, seed: 1 }));
const store = RunStore.open(path.join(scratchDir('plan-store'), 'runs'));
afterAll(() => store.close());
function preset(name: string): Architecture {
  const arch = getPreset(name);
  if (!arch) throw new Error(`no ${name} preset`);
  return arch;
}
const tiny = () => preset('tiny');
const sources = (arch = tiny()): PlanSources => ({ arch, source, load, runs: store });
const plan = (request: unknown, arch?: Architecture) => planRun(runRequestSchema.parse(request), sources(arch));
const demoId = (i: number) => `demo-${String(i).padStart(4, '0')}`;

describe('planRun', () => {
  it('splits by fraction, names the run after its design and data, with the schema defaults', async () => {
    const p = await plan({ config: { valFraction: 0.25 } });
    expect(p.init.split.val).toHaveLength(4);
    expect(p.init.split.train).toHaveLength(12);
    expect(p.init.split.test).toEqual([]);
    expect(p.init.name).toBe(`tiny · ${p.dataset.info.name}`);
    expect(p.init.config.optimizer).toEqual({ name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 });
    expect(p.init.dataset.source).toEqual(source);
  });

  it('takes a fixed validation id list, refusing unknown ids and an empty training split by name', async () => {
    const p = await plan({ name: 'fixed', valIds: ['demo-0005', 'demo-0001'] });
    expect(p.init.split.val).toEqual(['demo-0001', 'demo-0005']);
    expect(p.init.split.train).toHaveLength(14);
    expect(p.init.name).toBe('fixed');
    await expect(plan({ valIds: ['demo-0001', 'nope-1'] })).rejects.toThrow(/not in dataset .*nope-1/);
    const all = Array.from({ length: 16 }, (_, i) => demoId(i));
    await expect(plan({ valIds: all })).rejects.toThrow(/training split is empty/);
  });

  it('holds out a test fraction or a fixed test id list, disjoint from training and validation', async () => {
    const drawn = await plan({ config: { valFraction: 0.25, testFraction: 0.25 } });
    expect(drawn.init.split.test).toHaveLength(4);
    expect(drawn.init.split.val).toHaveLength(4);
    expect(drawn.init.split.train).toHaveLength(8);
    expect(drawn.split.test.map((i) => drawn.dataset.ids[i])).toEqual(drawn.init.split.test);
    const { train, val, test } = drawn.init.split;
    expect(new Set([...train, ...val, ...test]).size).toBe(16);
    expect((await plan({ config: { valFraction: 0.25, testFraction: 0.25 } })).init.split).toEqual(drawn.init.split);

    const fixed = await plan({ testIds: ['demo-0009', 'demo-0002'], valIds: ['demo-0003'] });
    expect(fixed.init.split).toEqual({ train: expect.any(Array), val: ['demo-0003'], test: ['demo-0002', 'demo-0009'] });
    expect(fixed.init.split.train).toHaveLength(13);
    expect(fixed.init.split.train).not.toContain('demo-0002');
  });

  it('reads a run stored before test sets existed (run.json without split.test) as having none', async () => {
    const { init } = await plan({});
    const id = store.createRun({ ...init, split: { train: init.split.train, val: init.split.val } }).id;
    const file = JSON.parse(readFileSync(path.join(runFolder(store.runsDir, id), 'run.json'), 'utf8')) as { split: Record<string, unknown> };
    expect(Object.keys(file.split)).toEqual(['train', 'val']);
    expect(store.get(id).split).toEqual({ train: init.split.train, val: init.split.val, test: [] });
  });

  it('refuses test ids that are unknown, also validation ids, or leave no training sample, naming them and their count', async () => {
    await expect(plan({ testIds: ['demo-0001', 'nope-1', 'nope-2'] })).rejects.toThrow('2 test id(s) are not in dataset "demo (synthetic)": nope-1, nope-2');
    await expect(plan({ testIds: ['demo-0001', 'demo-0002'], valIds: ['demo-0002', 'demo-0001', 'demo-0003'] })).rejects.toThrow(
      '2 id(s) are both validation and test ids: demo-0001, demo-0002; a sample can be in one of them only',
    );
    const fifteen = Array.from({ length: 15 }, (_, i) => demoId(i));
    await expect(plan({ testIds: fifteen })).rejects.toThrow('the training split is empty: of 16 samples, 15 test ids and 1 validation sample leave none to train on');
    await expect(plan({ config: { valFraction: 0.5, testFraction: 0.6 } })).rejects.toThrow(/add up to 1\.1/);
  });

  it('is what the lab starts runs with: valIds and testIds over the API, checked there', async () => {
    const lab = openLab(scratchDir('plan'));
    try {
      const bad = checkInput('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-0001', 'demo-0001'] });
      expect(!bad.ok && bad.error.message).toBe('startRun: valIds.1: validation id demo-0001 is listed twice');
      const unknown = checkInput('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-9999'] });
      if (!unknown.ok) throw new Error(unknown.error.message);
      await expect(lab.startRun(unknown.params)).rejects.toThrow(/demo-9999/);
      const overlap = checkInput('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-0003'], testIds: ['demo-0003', 'demo-0004'] });
      if (!overlap.ok) throw new Error(overlap.error.message);
      await expect(lab.startRun(overlap.params)).rejects.toThrow('1 id(s) are both validation and test ids: demo-0003; a sample can be in one of them only');
      const unknownTest = checkInput('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, testIds: ['demo-0100'] });
      if (!unknownTest.ok) throw new Error(unknownTest.error.message);
      await expect(lab.startRun(unknownTest.params)).rejects.toThrow('1 test id(s) are not in dataset "demo (synthetic)": demo-0100');
      const est = checkInput('estimateEpoch', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, valIds: ['demo-0003'], config: { epochs: 1 }, steps: 1 });
      expect(est.ok).toBe(true);
      const ok = checkInput('startRun', {
        design: { kind: 'preset', name: 'tiny' },
        datasetId: 'demo',
        demoCount: 16,
        valIds: ['demo-0003', 'demo-0007'],
        testIds: ['demo-0011', 'demo-0001'],
        config: { epochs: 1, batch: 8 },
      });
      if (!ok.ok) throw new Error(ok.error.message);
      const run = await lab.startRun(ok.params);
      expect(lab.getRun({ id: run.id }).split.val).toEqual(['demo-0003', 'demo-0007']);
      expect(lab.getRun({ id: run.id }).split.test).toEqual(['demo-0001', 'demo-0011']);
      expect(lab.getRun({ id: run.id }).split.train).toHaveLength(12);
      expect(run.valCount).toBe(2);
      lab.stopRun({ id: run.id });
    } finally {
      await lab.close();
    }
  }, 60_000);
});

describe('planRun with a warm start (config.initFrom)', () => {
  /** A run of `arch` in the store, with the checkpoints `kinds` (zero weights of its design's shapes, as the trainer saves them). */
  async function sourceRun(arch: Architecture, kinds: ('best' | 'last')[], config: Record<string, unknown> = {}): Promise<string> {
    const p = await plan({ config }, arch);
    const id = store.createRun(p.init).id;
    for (const kind of kinds) {
      const tensors = weightSpecs(arch).map((w) => ({ name: w.name, shape: w.shape, data: new Float32Array(w.shape.reduce((a, b) => a * b, 1)) }));
      store.saveCheckpoint(id, kind, { epoch: 2, step: 6, tensors });
    }
    return id;
  }

  it('takes a run of the store whose design has the same weights', async () => {
    const from = await sourceRun(tiny(), ['best', 'last']);
    for (const checkpoint of ['best', 'last'] as const) {
      const p = await plan({ config: { initFrom: { runId: from, checkpoint }, loss: { name: 'lovasz' } } });
      expect(p.init.config.initFrom).toEqual({ runId: from, checkpoint });
    }
    // The initializer changes values, not shapes; another design with the same weights is as good.
    await expect(plan({ config: { initFrom: { runId: from }, init: 'he_normal' } })).resolves.toBeDefined();
  });

  it('refuses a run that is not there, or not a run id', async () => {
    await expect(plan({ config: { initFrom: { runId: '20250101-000000-000-abcdef' } } })).rejects.toThrow(
      'cannot start from run 20250101-000000-000-abcdef: there is no such run in the run store',
    );
    await expect(plan({ config: { initFrom: { runId: 'last-week' } } })).rejects.toThrow(
      'cannot start from run "last-week": that is not a run id (a run id looks like 20250607-153012-123-k3j9x2)',
    );
  });

  it('refuses a run without the checkpoint asked for, saying what it has', async () => {
    const onlyLast = await sourceRun(tiny(), ['last']);
    await expect(plan({ config: { initFrom: { runId: onlyLast, checkpoint: 'best' } } })).rejects.toThrow(
      `cannot start from run ${onlyLast}: run ${onlyLast} has no best checkpoint yet (it has a last checkpoint, of epoch 3)`,
    );
    const none = await sourceRun(tiny(), []);
    await expect(plan({ config: { initFrom: { runId: none, checkpoint: 'last' } } })).rejects.toThrow(
      `cannot start from run ${none}: run ${none} has no last checkpoint yet (it has no checkpoint at all: it has not finished an epoch)`,
    );
  });

  it('refuses a design with other weights, naming both counts and the first difference', async () => {
    const from = await sourceRun(tiny(), ['best']);
    // small: 8 channels and 2-conv samplers; tiny: 4 channels and 1-conv samplers.
    const small = weightSpecs(preset('small')).length;
    const tinyCount = weightSpecs(tiny()).length;
    await expect(plan({ config: { initFrom: { runId: from } } }, preset('small'))).rejects.toThrow(
      `cannot start from run ${from}: its design (tiny, BN at samplers) has ${tinyCount} weights, this design (small, BN at samplers) needs ${small}, and they differ: stem/conv/kernel is 3x3x1x4 there, 3x3x1x8 here`,
    );
    // Same design, BNs after every block as well: the weights of those BNs are not in the source.
    await expect(plan({ config: { initFrom: { runId: from }, bnPlacement: 'blocks' } })).rejects.toThrow(
      /BN at samplers\) has \d+ weights, this design \(tiny, BN at blocks\) needs \d+, and they differ: e0\/block0\/bn_out\/gamma \(4\) is not among its weights$/,
    );
    const blocks = await sourceRun(tiny(), ['best'], { bnPlacement: 'blocks' });
    await expect(plan({ config: { initFrom: { runId: blocks }, bnPlacement: 'blocks' } })).resolves.toBeDefined();
  });
});
