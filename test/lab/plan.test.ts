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
import { planRun, seenByWeights, type PlanSources } from '../../src-main/lab/plan';
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

  describe('and the images its weights have seen', () => {
    /** A source run on this data with a test set: 8 training, 4 validation and 4 test ids of the 16. */
    async function withTestSet(): Promise<{ id: string; train: string[]; val: string[]; test: string[] }> {
      const id = await sourceRun(tiny(), ['best'], { valFraction: 0.25, testFraction: 0.25 });
      return { id, ...store.get(id).split };
    }
    const fix = "a test set must be images the weights never saw: use the source run's test ids (--test-ids) or start fresh";
    const sorted = (ids: (string | undefined)[]) => ids.map(String).sort();

    it("takes the source's own split or its test ids as the test set, with no warning", async () => {
      const from = await withTestSet();
      // The same seed and fractions split the same way.
      const same = await plan({ config: { valFraction: 0.25, testFraction: 0.25, initFrom: { runId: from.id } } });
      expect(same.init.split).toEqual({ train: from.train, val: from.val, test: from.test });
      expect(same.warnings).toEqual([]);
      const byIds = await plan({ testIds: from.test, config: { initFrom: { runId: from.id } } });
      expect(byIds.init.split.test).toEqual(from.test);
      expect(byIds.warnings).toEqual([]);
      // Fewer test images than the source kept apart are as good.
      expect((await plan({ testIds: from.test.slice(0, 2), valIds: from.val, config: { initFrom: { runId: from.id } } })).warnings).toEqual([]);
      // Without a test set there is nothing to check (and the default split's validation is what it is).
      expect((await plan({ config: { valFraction: 0.25, initFrom: { runId: from.id } } })).init.split.test).toEqual([]);
    });

    it('refuses test ids the source trained or validated on, naming the run, the counts and a few ids', async () => {
      const from = await withTestSet();
      const testIds = [from.train[0], from.train[1], from.val[0], from.test[0]].map(String);
      const [t0, t1] = sorted([from.train[0], from.train[1]]);
      await expect(plan({ testIds, config: { initFrom: { runId: from.id } } })).rejects.toThrow(
        `run ${from.id} trained on 2 and validated on 1 of this run's test images (e.g. ${t0}, ${t1}, ${from.val[0]}); ${fix}`,
      );
      await expect(plan({ testIds: [String(from.val[1])], config: { initFrom: { runId: from.id } } })).rejects.toThrow(
        `run ${from.id} validated on 1 of this run's test images (e.g. ${from.val[1]}); ${fix}`,
      );
      // Seed 3 draws another test set of the same fractions: demo-0004, 0005, 0006 and 0014, two of them among the source's training ids.
      expect(from.test).toEqual(['demo-0002', 'demo-0004', 'demo-0005', 'demo-0015']);
      await expect(plan({ config: { seed: 3, valFraction: 0.25, testFraction: 0.25, initFrom: { runId: from.id } } })).rejects.toThrow(
        `run ${from.id} trained on 2 of this run's test images (e.g. demo-0006, demo-0014); ${fix}`,
      );
      // More than three are cut short.
      await expect(plan({ testIds: from.train.slice(0, 5), config: { initFrom: { runId: from.id } } })).rejects.toThrow(
        `run ${from.id} trained on 5 of this run's test images (e.g. ${from.train.slice(0, 3).join(', ')}, ...); ${fix}`,
      );
    });

    it('says so when the source kept no test images apart', async () => {
      const from = await sourceRun(tiny(), ['best'], { valFraction: 0.25 });
      await expect(plan({ config: { testFraction: 0.25, initFrom: { runId: from } } })).rejects.toThrow(
        new RegExp(`of this run's test images \\(e\\.g\\. .*\\); a test set must be images the weights never saw: run ${from} held no test images apart, so start fresh or start from a run that did$`),
      );
    });

    it('warns, and creates the run, when the source trained on validation images of this run', async () => {
      const from = await withTestSet();
      const valIds = [String(from.train[3]), String(from.val[0]), String(from.train[1])];
      const p = await plan({ testIds: from.test, valIds, config: { initFrom: { runId: from.id } } });
      const [a, b] = sorted([from.train[1], from.train[3]]);
      expect(p.warnings).toEqual([
        `run ${from.id} trained on 2 of this run's validation images (e.g. ${a}, ${b}): its checkpoint, threshold and minimum area are chosen partly on images the weights were fitted to, so its validation score is optimistic; its test score is not affected`,
      ]);
      expect(p.init.split.val).toEqual(sorted(valIds));
    });

    it('counts the runs the source started from in turn', async () => {
      // A started fresh with no test set; B, from A's weights, was made before the check (directly in the store) with A's training ids as its test set.
      const a = await sourceRun(tiny(), ['best'], { valFraction: 0.25 });
      const aSplit = store.get(a).split;
      const bTest = aSplit.train.slice(0, 3);
      const planned = (await plan({ testIds: bTest, config: { valFraction: 0.25 } })).init;
      const b = store.createRun({ ...planned, config: { ...planned.config, initFrom: { runId: a, checkpoint: 'best' } } }).id;
      const tensors = weightSpecs(tiny()).map((w) => ({ name: w.name, shape: w.shape, data: new Float32Array(w.shape.reduce((x, y) => x * y, 1)) }));
      store.saveCheckpoint(b, 'best', { epoch: 0, step: 1, tensors });
      // B's own test ids: B never saw them, but A trained on all three.
      await expect(plan({ testIds: bTest, config: { initFrom: { runId: b } } })).rejects.toThrow(
        `run ${b} (with the run its weights came from, ${a}) trained on 3 of this run's test images (e.g. ${sorted(bTest).join(', ')}); ${fix}`,
      );
    });

    it('compares ids only where they name the same images: the same data, or the same folder', async () => {
      const from = await withTestSet();
      const rec = store.get(from.id);
      const split = { train: [], val: [String(from.train[0])], test: [String(from.train[1])] };
      // Another demo set: its demo-0003 is another image.
      const other = { ...rec.dataset, fingerprint: 'another-demo-set' };
      expect(seenByWeights(from.id, other, split, store)).toMatchObject({ test: { trained: [], validated: [] }, val: [], runs: [] });
      expect(seenByWeights(from.id, rec.dataset, split, store)).toMatchObject({ test: { trained: [from.train[1]], validated: [] }, val: [from.train[0]], runs: [from.id] });
      // A run on the first 8 files of a folder and one on the whole folder: the ids are the same files.
      const folder = (subset?: number) => ({ ...rec.dataset, fingerprint: `folder-${subset ?? 'all'}`, source: { kind: 'folder' as const, path: '/data/tgs', ...(subset ? { subset } : {}) } });
      const sub = store.createRun({ ...rec, dataset: folder(8), split: rec.split }).id;
      expect(seenByWeights(sub, folder(), split, store).test.trained).toEqual([from.train[1]]);
      expect(seenByWeights(sub, { ...folder(), source: { kind: 'folder', path: '/data/other' } }, split, store).runs).toEqual([]);
    });
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
