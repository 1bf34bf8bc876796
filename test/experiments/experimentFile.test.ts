/**
 * The experiment file (shared/experiments): its check lists every problem with its path, its
 * expansion gives one group per combination of levels and one run per group and seed, and each
 * group's fingerprint changes with what the group trains and with nothing else.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildUNet, DEFAULT_PRESET, PRESETS } from '../../shared/arch';
import { canonicalJson, deepMerge, planExperiment, sha256Hex } from '../../shared/experiments';
import { plan, problems } from '../helpers/experimentPlan';

/** An experiment file as the tests edit it: any field, with the base and factors typed enough to reach into. */
interface Level {
  label: string;
  config?: Record<string, unknown>;
  design?: unknown;
  [k: string]: unknown;
}
interface ExperimentJson {
  base: { design: unknown; config: Record<string, unknown> };
  factors: { name: string; levels: Level[]; [k: string]: unknown }[];
  [k: string]: unknown;
}

/** A valid two-factor experiment on the demo set; `edit` changes a copy. */
function file(edit: (f: ExperimentJson) => void = () => {}): ExperimentJson {
  const f: ExperimentJson = {
    format: 'strata-experiment',
    version: 1,
    name: 'init-lr',
    description: 'tiny preset, demo set of 16, 1 epoch',
    claim: 'glorot beats he',
    base: { design: 'tiny', config: { batch: 8, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.8 } } },
    factors: [
      { name: 'init', levels: [{ label: 'he_normal', config: { init: 'he_normal' } }, { label: 'glorot_normal', config: { init: 'glorot_normal' } }] },
      { name: 'opt', levels: [{ label: 'sgd' }, { label: 'adam', config: { optimizer: { name: 'adam' } } }] },
    ],
    seeds: [1, 2],
    data: { path: 'demo', demoCount: 16 },
    budget: { epochs: 1 },
  };
  edit(f);
  return f;
}

describe('sha256Hex and canonicalJson', () => {
  it('match node:crypto on texts around the padding boundaries and beyond ASCII', () => {
    for (const text of ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'a'.repeat(119), 'x'.repeat(1000), 'seed ü — 盐 🧂']) {
      expect(sha256Hex(text), `length ${text.length}`).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
    // FIPS 180-4's own example.
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('writes keys sorted at every depth, drops undefined members and refuses what JSON cannot carry', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"e":2,"f":1}]},"b":1}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });
});

describe('deepMerge', () => {
  it('merges objects key by key, replaces arrays, and replaces an optimizer or schedule whose name or kind changes', () => {
    expect(deepMerge({ a: { b: 1, c: 2 }, l: [1, 2, 3] }, { a: { c: 3 }, l: [9] })).toEqual({ a: { b: 1, c: 3 }, l: [9] });
    expect(deepMerge({ optimizer: { name: 'sgd', momentum: 0.8 } }, { optimizer: { name: 'adam' } })).toEqual({ optimizer: { name: 'adam' } });
    expect(deepMerge({ optimizer: { name: 'sgd', momentum: 0.8 } }, { optimizer: { name: 'sgd', lr: 0.1 } })).toEqual({ optimizer: { name: 'sgd', momentum: 0.8, lr: 0.1 } });
    expect(deepMerge({ schedule: { kind: 'step', every: 2 } }, { schedule: { kind: 'cosine' } })).toEqual({ schedule: { kind: 'cosine' } });
  });
});

describe('planExperiment', () => {
  it('expands the full factorial, seed by seed, into tagged run requests', () => {
    const p = plan(file());
    expect(p.groups.map((g) => g.key)).toEqual(['he_normal+sgd', 'he_normal+adam', 'glorot_normal+sgd', 'glorot_normal+adam']);
    expect(p.groups[1]?.levels).toEqual([
      { factor: 'init', label: 'he_normal' },
      { factor: 'opt', label: 'adam' },
    ]);
    expect(p.runs.map((r) => `${r.group}/${r.seed}`)).toEqual([
      'he_normal+sgd/1', 'he_normal+adam/1', 'glorot_normal+sgd/1', 'glorot_normal+adam/1',
      'he_normal+sgd/2', 'he_normal+adam/2', 'glorot_normal+sgd/2', 'glorot_normal+adam/2',
    ]);
    const r = p.runs[5];
    expect(r?.request.config).toMatchObject({ init: 'he_normal', seed: 2, epochs: 1, batch: 8, optimizer: { name: 'adam', lr: 0.001 } });
    // SGD's momentum stays with SGD: the adam level replaced the optimizer.
    expect(r?.request.config.optimizer).not.toHaveProperty('momentum');
    expect(p.runs[0]?.request.config.optimizer).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.8 });
    expect(r?.request).toMatchObject({ name: 'init-lr v1 he_normal+adam seed 2', demoCount: 16 });
    expect(r?.request.experiment).toEqual({ name: 'init-lr', version: 1, group: 'he_normal+adam', seed: 2, fingerprint: p.groups[1]?.fingerprint });
    expect(r?.arch).toBe(p.groups[1]?.arch);
    expect(r?.arch.name).toBe('init-lr he_normal+adam');
  });

  it('builds a level\'s design from the base preset\'s options with the level\'s merged on', () => {
    const p = plan(
      file((f) => {
        f['factors'] = [{ name: 'width', levels: [{ label: 'w4' }, { label: 'w8', design: { channels: 8, blocksPerLevel: 2, upKernel: 5 } }] }];
      }),
    );
    const tiny = PRESETS['tiny']?.options;
    expect(p.groups[0]?.designOptions).toMatchObject({ channels: tiny?.channels, samplerConvs: 0, blocksPerLevel: tiny?.blocksPerLevel });
    expect(p.groups[1]?.designOptions).toMatchObject({ channels: 8, samplerConvs: 0, upKernel: 5, blocksPerLevel: [2, 2, 2, 2, 2, 2, 2] });
    const resnet = p.groups[1]?.arch.nodes.find((n) => n.id === 'bottom');
    expect(resnet).toMatchObject({ kind: 'resnet', blocks: 2 });
    expect(p.groups[1]?.arch.nodes.find((n) => n.id === 'up0')).toMatchObject({ kind: 'up', kernel: 5, convs: 0 });
    expect(p.groups[1]?.arch.nodes.find((n) => n.id === 'stem')).toMatchObject({ filters: 8 });
  });

  it('fingerprints each group by what it trains: a change to one level changes only its groups; key order, seeds and the backend change nothing', () => {
    const a = plan(file());
    const reordered = plan(
      file((f) => {
        f['base'] = { config: { optimizer: { momentum: 0.8, lr: 0.01, name: 'sgd' }, batch: 8 }, design: { preset: 'tiny' } };
        f['seeds'] = [7];
        f.base.config['backend'] = 'cpu';
      }),
    );
    expect(reordered.groups.map((g) => g.fingerprint)).toEqual(a.groups.map((g) => g.fingerprint));
    const changed = plan(
      file((f) => {
        f.factors[1]!.levels[1]!.config = { optimizer: { name: 'adam', lr: 0.002 } };
      }),
    );
    const same = changed.groups.map((g, i) => g.fingerprint === a.groups[i]?.fingerprint);
    expect(same).toEqual([true, false, true, false]);
    const budget = plan(file((f) => (f['budget'] = { epochs: 2 })));
    expect(budget.groups.every((g, i) => g.fingerprint !== a.groups[i]?.fingerprint)).toBe(true);
    expect(new Set(a.groups.map((g) => g.fingerprint)).size).toBe(4);
    for (const g of a.groups) expect(g.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a bad file with every problem and its path', () => {
    const bad = file((f) => {
      f['name'] = 'bad one';
      f['colour'] = 'blue';
      f['seeds'] = [];
      f['base'] = { design: { preset: 'tiny', chanels: 4 }, config: { batch: 0, seed: 3 } };
      f['factors'] = [
        {
          name: 'init',
          extra: 1,
          levels: [
            { label: 'he', config: { init: 'he_whatever' } },
            { label: 'he', config: { optimzer: { name: 'adam' } } },
            { label: 'deep', design: { blocksPerLevel: [1, 2] } },
            { label: 'x', design: { init: 'he_normal', samplerBn: 'none' }, config: { loss: { name: 'bce', eps: 0.5 } } },
            { label: 'small', design: { size: 3 } },
          ],
        },
        { name: 'lr', levels: [{ label: 'a', confg: {} }] },
      ];
      f['data'] = { path: 'demo', subset: 8 };
      f['budget'] = {};
    });
    expect(problems(bad).sort()).toEqual(
      [
        "colour: unknown field 'colour' (an experiment file has format, version, name, description, claim, base, factors, seeds, data, budget)",
        'name: a name is 1 to 64 letters, digits, _ or -, starting with a letter or digit',
        'seeds: an experiment needs at least one seed (a verdict needs 3)',
        'budget: a budget gives epochs, maxMinutes or both',
        'data.subset: subset applies to a folder; use demoCount for the demo set',
        "factors[0].extra: unknown key 'extra'",
        "factors[0].levels[1].label: label 'he' is also the label of level 0 of factor 'init'; each level of a factor needs its own",
        "factors[1].levels[0].confg: unknown key 'confg'",
        `base.config.seed: the seed is set by the experiment's "seeds" (each group trains once per seed)`,
        'base.config.batch: batch size must be at least 1',
        "base.design.chanels: unknown key 'chanels'",
        'factors[0].levels[0].config.init: initializer must be one of glorot_normal, glorot_uniform, he_normal, he_uniform',
        "factors[0].levels[1].config.optimzer: unknown key 'optimzer'",
        'factors[0].levels[2].design.blocksPerLevel: blocksPerLevel lists 7 counts (e0, e1, e2, bottom, d2, d1, d0) or is one count for all',
        'factors[0].levels[3].config.loss.eps: eps applies to the batch-iou and per-image-iou losses only (the IoU smoothing); the bce loss has no eps',
        "factors[0].levels[3].design.init: a run's initializer is its config.init, which training applies to every conv over the design's: set config.init instead",
        `factors[0].levels[3].design.samplerBn: where the BNs go is the run's config.bnPlacement, which training applies over the design's samplers: for no BN at the samplers set config.bnPlacement to "head"`,
        'factors[0].levels[4].design: the design is invalid: down2: cannot apply stride 2 to 1x1x16: the resolution would drop below 1 pixel',
      ].sort(),
    );
  });

  it('names what only a combination of levels gets wrong at its group, and what a level repeats of the base only at the base', () => {
    const p = problems(
      file((f) => {
        f.base.config = { batch: 8, epochs: 3 };
        f['factors'] = [
          { name: 'loss', levels: [{ label: 'bce', config: { loss: { name: 'bce' } } }, { label: 'pi', config: { loss: { name: 'per-image-iou' } } }] },
          { name: 'eps', levels: [{ label: 'none' }, { label: 'e62', config: { loss: { eps: 0.62 } } }] },
        ];
      }),
    );
    // e62 is fine with per-image-iou and wrong only with bce: the group is at fault, not either level.
    expect(p).toEqual([
      'base.config.epochs: epochs are the experiment\'s budget: set "budget.epochs"',
      'groups.bce+e62.config.loss.eps: eps applies to the batch-iou and per-image-iou losses only (the IoU smoothing); the bce loss has no eps',
    ]);
    // A level wrong in every group it is in is named as the level, once.
    const level = problems(
      file((f) => {
        f.factors[1]!.levels[1]!.config = { optimizer: { name: 'adam', lr: -1 } };
      }),
    );
    expect(level).toEqual(['factors[1].levels[1].config.optimizer.lr: learning rate must be above 0']);
  });

  it('checks the validation ids it is given, a validation fraction beside them, and names an unknown preset', () => {
    expect(
      problems(
        file((f) => {
          f['data'] = { path: 'tgs', valIds: 'val.txt' };
          f.base.config['valFraction'] = 0.3;
          f.factors[0]!.levels[0]!.design = 'figure9';
        }),
        { valIds: ['a', 'a'] },
      ),
    ).toEqual([
      'data.valIds: validation id a is listed twice',
      'base.config.valFraction: a validation fraction does not apply with data.valIds, whose ids are the whole validation set; give one of the two',
      "factors[0].levels[0].design.preset: unknown preset 'figure9' (the presets: fig2, fig3, fig4, small, keel, tiny, lean, small-concat, small-salt)",
    ]);
    const ok = plan(file((f) => (f['data'] = { path: 'tgs', subset: 100, valIds: 'val.txt' })));
    expect(ok.runs[0]?.request).toMatchObject({ subset: 100 });
    const withIds = planExperiment(file((f) => (f['data'] = { path: 'tgs', subset: 100, valIds: 'val.txt' })), { valIds: ['0a1b', '0c2d'] });
    expect(withIds.ok && withIds.plan.runs[0]?.request.valIds).toEqual(['0a1b', '0c2d']);
    // The ids are part of what the groups train.
    expect(withIds.ok && withIds.plan.groups[0]?.fingerprint).not.toBe(ok.groups[0]?.fingerprint);
  });

  it('refuses zero seeds, a missing budget and a file that is no object', () => {
    expect(problems(file((f) => (f['seeds'] = [])))).toEqual(['seeds: an experiment needs at least one seed (a verdict needs 3)']);
    expect(problems(file((f) => delete f['budget'])).join('\n')).toBe('budget: budget is required');
    expect(problems([1, 2])).toEqual([': an experiment file is a JSON object']);
  });
});

describe('presets', () => {
  it('expose the builder options they are built from, with their output unchanged', () => {
    for (const [name, p] of Object.entries(PRESETS)) expect(buildUNet(p.options), name).toEqual(p.build());
    expect(DEFAULT_PRESET).toBe('keel');
  });
});
