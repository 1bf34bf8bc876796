/**
 * Planning an experiment file, the review's cases: a level (or the base) that gives only part of an
 * optimizer, loss or schedule merges onto the setting in force or the default's kind; a `__proto__`
 * key is refused where it is; group keys too long for a run name are cut in the run's name only;
 * `data.testIds` reaches the run requests and the fingerprints (a file without it keeps its
 * fingerprints), may not overlap the validation ids, and excludes a test fraction.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex, type ExperimentPlan } from '../../shared/experiments';
import { MAX_RUN_NAME, PER_IMAGE_IOU_EPS } from '../../shared/runs/request';
import { plan, problems } from '../helpers/experimentPlan';

type Json = Record<string, unknown>;

/** A one-factor experiment on the demo set whose base sets no optimizer, loss or schedule; `edit` changes it. */
function file(edit: (f: Json & { base: { design: unknown; config: Json }; factors: { name: string; levels: Json[] }[] }) => void = () => {}): Json {
  const f = {
    format: 'strata-experiment',
    version: 1,
    name: 'partial',
    description: 'tiny preset, demo set of 16, 1 epoch',
    base: { design: 'tiny', config: { batch: 8 } as Json },
    factors: [{ name: 'opt', levels: [{ label: 'default' }, { label: 'lr0.01', config: { optimizer: { lr: 0.01 } } }] as Json[] }],
    seeds: [1],
    data: { path: 'demo', demoCount: 16 } as Json,
    budget: { epochs: 1 },
  };
  edit(f);
  return f;
}

const config = (p: ExperimentPlan, key: string) => p.groups.find((g) => g.key === key)?.config;

describe('a level that gives part of a tagged setting', () => {
  it('takes the default optimizer, loss and schedule kind when neither it nor the base names one', () => {
    const p = plan(
      file((f) => {
        f.factors = [
          {
            name: 'part',
            levels: [
              { label: 'lr0.01', config: { optimizer: { lr: 0.01 } } },
              { label: 'warm', config: { schedule: { warmupEpochs: 1 } } },
              { label: 'lovasz2', config: { loss: { lovaszWeight: 2 } } },
            ],
          },
        ];
      }),
    );
    // The defaults: Adam, cosine, bce-lovasz; each level's part lands on its default kind, the rest defaulted.
    expect(config(p, 'lr0.01')?.optimizer).toEqual({ name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999 });
    expect(config(p, 'warm')?.schedule).toEqual({ kind: 'cosine', minLr: 0, warmupEpochs: 1 });
    expect(config(p, 'lovasz2')?.loss).toEqual({ name: 'bce-lovasz', lovaszWeight: 2 });
    // The kind is part of what the file asks for, and so of the group's configuration and fingerprint.
    expect(p.groups[0]?.configInput['optimizer']).toEqual({ name: 'adam', lr: 0.01 });
  });

  it("merges onto the base's kind: an eps level on a per-image IoU base, an lr level on an SGD base", () => {
    const p = plan(
      file((f) => {
        f.base.config = { batch: 8, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.8 }, loss: { name: 'per-image-iou' } };
        f.factors = [{ name: 'eps', levels: [{ label: 'default' }, { label: 'eps1e-3', config: { loss: { eps: 0.001 }, optimizer: { lr: 0.01 } } }] }];
      }),
    );
    expect(config(p, 'eps1e-3')?.loss).toEqual({ name: 'per-image-iou', eps: 0.001, lovaszWeight: 1 });
    expect(config(p, 'eps1e-3')?.optimizer).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.8 });
    expect(config(p, 'default')?.loss.eps ?? PER_IMAGE_IOU_EPS).toBe(PER_IMAGE_IOU_EPS);
  });

  it('lets the base give part of a setting too, and names a part that does not fit the default kind', () => {
    const p = plan(
      file((f) => {
        f.base.config = { batch: 8, optimizer: { lr: 0.003 } };
        f.factors = [{ name: 'x', levels: [{ label: 'a' }] }];
      }),
    );
    expect(config(p, 'a')?.optimizer).toMatchObject({ name: 'adam', lr: 0.003 });
    // eps on the default bce-lovasz loss: the loss's own words, at the level, not "optimizer must be sgd or adam".
    expect(
      problems(
        file((f) => {
          f.factors = [{ name: 'eps', levels: [{ label: 'a' }, { label: 'eps', config: { loss: { eps: 0.62 } } }] }];
        }),
      ),
    ).toEqual(['factors[0].levels[1].config.loss.eps: eps applies to the batch-iou and per-image-iou losses only (the IoU smoothing); the bce-lovasz loss has no eps']);
    // A part of another kind's settings: the schema names the key it does not know for that kind.
    expect(
      problems(
        file((f) => {
          f.factors = [{ name: 'm', levels: [{ label: 'a' }, { label: 'mom', config: { optimizer: { momentum: 0.5 } } }] }];
        }),
      ),
    ).toEqual(["factors[0].levels[1].config.optimizer.momentum: unknown key 'momentum'"]);
  });
});

describe('the file itself', () => {
  it("refuses a '__proto__' key wherever it is, with its path", () => {
    const raw = JSON.parse(
      JSON.stringify(file()).replace('"label":"lr0.01","config":{', '"label":"lr0.01","config":{"__proto__":{"batch":2},').replace('"budget":{', '"budget":{"__proto__":{},'),
    ) as unknown;
    expect(problems(raw)).toEqual([
      "factors[0].levels[1].config.__proto__: a key named '__proto__' is not a setting of an experiment file (it would be dropped without a word); remove it",
      "budget.__proto__: a key named '__proto__' is not a setting of an experiment file (it would be dropped without a word); remove it",
    ]);
  });

  it('cuts a group key too long for a run name in the run names only, keeping the seed', () => {
    const long = (c: string) => c.repeat(64);
    const p = plan(
      file((f) => {
        f.seeds = [1, 12];
        f.factors = ['a', 'b', 'c', 'd'].map((c) => ({ name: `f${c}`, levels: [{ label: long(c) }] }));
      }),
    );
    const key = ['a', 'b', 'c', 'd'].map(long).join('+');
    expect(p.groups.map((g) => g.key)).toEqual([key]);
    expect(p.runs.map((r) => r.request.experiment?.group)).toEqual([key, key]);
    const names = p.runs.map((r) => r.request.name ?? '');
    for (const n of names) expect(n.length).toBeLessThanOrEqual(MAX_RUN_NAME);
    expect(names[0]).toBe(`partial v1 ${key.slice(0, MAX_RUN_NAME - 'partial v1 '.length - ' seed 1'.length - 1)}… seed 1`);
    expect(names[0]?.length).toBe(MAX_RUN_NAME);
    expect(names[1]?.endsWith('… seed 12')).toBe(true);
    expect(names[1]?.length).toBe(MAX_RUN_NAME);
  });
});

describe('data.testIds', () => {
  const withTest = file((f) => {
    f.data = { path: 'demo', demoCount: 16, testIds: 'test.txt' };
  });

  it('gives every run its test ids and is part of the fingerprints; a file without it keeps the fingerprint it had', () => {
    const testIds = ['demo-0001', 'demo-0007'];
    const p = plan(withTest, { testIds });
    expect(p.runs.map((r) => r.request.testIds)).toEqual([testIds, testIds]);
    const without = plan(file());
    expect(without.runs.every((r) => r.request.testIds === undefined)).toBe(true);
    expect(p.groups.map((g) => g.fingerprint)).not.toEqual(without.groups.map((g) => g.fingerprint));
    // Before test ids could be given the data part was {demo, subset, demoCount, valIds}: the same hash.
    const g = without.groups[1];
    if (!g) throw new Error('no second group');
    const { name: _n, description: _d, ...design } = g.designOptions;
    const old = sha256Hex(canonicalJson({ design, config: g.configInput, data: { demo: true, demoCount: 16 } }));
    expect(g.fingerprint).toBe(old);
  });

  it('refuses test ids that are also validation ids, and a test fraction beside them', () => {
    const both = file((f) => {
      f.data = { path: 'demo', demoCount: 16, valIds: 'val.txt', testIds: 'test.txt' };
      f.base.config = { batch: 8, testFraction: 0.1 };
    });
    expect(problems(both, { valIds: ['demo-0001', 'demo-0002'], testIds: ['demo-0002', 'demo-0009'] })).toEqual([
      'data.testIds: 1 id is both a validation and a test id (demo-0002); a test image must never be seen by a choice made on validation',
      'base.config.testFraction: a test fraction does not apply with data.testIds, whose ids are the whole test set; give one of the two',
    ]);
    expect(problems(withTest, { testIds: ['demo-0001', 'demo-0001'] })[0]).toMatch(/^data\.testIds: /);
  });
});
