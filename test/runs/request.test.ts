/** The one run request schema: defaults, kinds, limits and messages (shared/runs/request.ts). */
import { describe, expect, it } from 'vitest';
import { estimateEpochSchema, startRunSchema } from '../../shared/api/schemas';
import { BACKEND_REQUESTS, LOSS_NAMES } from '../../shared/runs/types';
import {
  defaultOptimizer,
  defaultRunConfig,
  defaultSchedule,
  MAX_RUN_NAME,
  OPTIMIZER_NAMES,
  parseIdList,
  parseRunConfig,
  runRequestSchema,
  SCHEDULE_KINDS,
} from '../../shared/runs/request';

describe('the run request schema', () => {
  it('reads its kinds off the schema', () => {
    expect(SCHEDULE_KINDS).toEqual(['constant', 'step', 'cosine', 'plateau']);
    expect(OPTIMIZER_NAMES).toEqual(['sgd', 'adam']);
    expect(LOSS_NAMES).toContain('batch-iou');
    expect(BACKEND_REQUESTS[0]).toBe('auto');
  });

  it('fills every setting left out with its default: the measured recipe', () => {
    expect(defaultRunConfig()).toEqual({
      epochs: 10,
      batch: 16,
      optimizer: { name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 },
      schedule: { kind: 'cosine', minLr: 0, warmupEpochs: 0 },
      loss: { name: 'bce-lovasz', lovaszWeight: 1 },
      init: 'glorot_normal',
      bnPlacement: 'samplers',
      seed: 1,
      valFraction: 0.2,
      augment: { hflip: true, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 },
      backend: 'auto',
      testFraction: 0,
      inference: { tta: true, snapshots: 3 },
    });
    expect(runRequestSchema.parse({}).config).toEqual(defaultRunConfig());
    // An augment block given in part keeps the defaults of the settings it leaves out.
    const partial = parseRunConfig({ augment: { vflip: true, scale: 0.2 } });
    expect(partial.ok && partial.config.augment).toEqual({ hflip: true, vflip: true, shift: 0, scale: 0.2, brightness: 0, contrast: 0 });
  });

  it('bounds each augmentation setting on its own, and knows no jitter any more', () => {
    const r = runRequestSchema.safeParse({ config: { augment: { shift: 0.6, scale: -0.1, brightness: 2, contrast: 1.5 } } });
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['config.augment.shift', 'shift must be in [0, 0.5]'],
      ['config.augment.scale', 'scale must be in [0, 0.5]'],
      ['config.augment.brightness', 'brightness must be in [0, 1]'],
      ['config.augment.contrast', 'contrast must be in [0, 1]'],
    ]);
    const edges = parseRunConfig({ augment: { shift: 0.5, scale: 0.5, brightness: 1, contrast: 1 } });
    expect(edges.ok && edges.config.augment).toMatchObject({ shift: 0.5, scale: 0.5, brightness: 1, contrast: 1 });
    const old = runRequestSchema.safeParse({ config: { augment: { jitter: 0.1 } } });
    expect(old.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['config.augment', 'Unrecognized key: "jitter"']]);
  });

  it('has one set of defaults where the CLI and the lab used to differ', () => {
    expect(defaultOptimizer('adam')).toEqual({ name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 });
    expect(defaultOptimizer('sgd')).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.9 });
    // Step: x0.1 every third of the run, rounded up.
    expect(defaultSchedule('step', 10)).toEqual({ kind: 'step', every: 4, factor: 0.1 });
    expect(defaultSchedule('step', 1)).toEqual({ kind: 'step', every: 1, factor: 0.1 });
    expect(defaultSchedule('plateau', 10)).toEqual({ kind: 'plateau', patience: 3, factor: 0.5, minLr: 0, minDelta: 0.001 });
    expect(defaultSchedule('cosine', 10)).toEqual({ kind: 'cosine', minLr: 0, warmupEpochs: 0 });
    const c = parseRunConfig({ epochs: 9, optimizer: { name: 'adam' }, schedule: { kind: 'step' } });
    expect(c.ok && c.config.optimizer).toEqual({ name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 });
    expect(c.ok && c.config.schedule).toEqual({ kind: 'step', every: 3, factor: 0.1 });
    // A given `every` is kept.
    const given = parseRunConfig({ epochs: 9, schedule: { kind: 'step', every: 2 } });
    expect(given.ok && given.config.schedule).toEqual({ kind: 'step', every: 2, factor: 0.1 });
  });

  it('names the field and its limit in each message, by path', () => {
    const r = startRunSchema.safeParse({
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      name: 'x'.repeat(MAX_RUN_NAME + 1),
      config: { batch: 0, optimizer: { name: 'adam', lr: -1 }, schedule: { kind: 'plateau', factor: 1 }, valFraction: 1 },
    });
    expect(r.success).toBe(false);
    const issues = r.error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['name', 'a name is at most 200 characters'],
        ['config.batch', 'batch size must be at least 1'],
        ['config.optimizer.lr', 'learning rate must be above 0'],
        ['config.schedule.factor', 'plateau factor must be below 1'],
        ['config.valFraction', 'validation fraction must be below 1'],
      ]),
    );
    expect(startRunSchema.safeParse({ design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', name: 'x'.repeat(MAX_RUN_NAME) }).success).toBe(true);
    const kinds = runRequestSchema.safeParse({ config: { optimizer: { name: 'rmsprop' }, schedule: { kind: 'linear' }, loss: { name: 'dice' } } });
    expect(kinds.error?.issues.map((i) => i.message)).toEqual(
      expect.arrayContaining(['optimizer must be sgd or adam', 'schedule must be one of constant, step, cosine, plateau', `loss must be one of ${LOSS_NAMES.join(', ')}`]),
    );
  });

  it('takes a Lovász weight for bce-lovasz only, naming the loss; the default weight 1 goes with any loss', () => {
    const w = parseRunConfig({ loss: { name: 'bce-lovasz', lovaszWeight: 0.5 } });
    expect(w.ok && w.config.loss).toEqual({ name: 'bce-lovasz', lovaszWeight: 0.5 });
    expect(parseRunConfig({ loss: { name: 'bce-lovasz', lovaszWeight: 0 } }).ok).toBe(true);
    for (const name of LOSS_NAMES.filter((n) => n !== 'bce-lovasz')) {
      const r = runRequestSchema.safeParse({ config: { loss: { name, lovaszWeight: 2 } } });
      expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
        ['config.loss.lovaszWeight', `the Lovász weight is a setting of the bce-lovasz loss (BCE + weight × Lovász), not of ${name}`],
      ]);
      expect(runRequestSchema.safeParse({ config: { loss: { name, lovaszWeight: 0 } } }).success).toBe(false);
      // Every parsed config carries the default weight: as it comes out, it goes back in.
      const parsed = parseRunConfig({ loss: { name } });
      expect(parsed.ok && parsed.config.loss.lovaszWeight).toBe(1);
      if (parsed.ok) expect(parseRunConfig(parsed.config).ok).toBe(true);
      expect(parseRunConfig({ loss: { name, lovaszWeight: 1 } }).ok).toBe(true);
    }
  });

  it('takes a fixed validation id list: each id once, at least one', () => {
    expect(runRequestSchema.parse({ valIds: ['a', 'b'] }).valIds).toEqual(['a', 'b']);
    const dup = runRequestSchema.safeParse({ valIds: ['a', 'b', 'a'] });
    expect(dup.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['valIds.2', 'validation id a is listed twice']]);
    expect(runRequestSchema.safeParse({ valIds: [] }).error?.issues[0]?.message).toBe('a validation id list names at least one id');
    expect(parseIdList('# header\n a \r\n\nb\n#c\n')).toEqual(['a', 'b']);
    // The estimate takes the same request, without a name.
    expect(estimateEpochSchema.parse({ design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', valIds: ['a'] }).valIds).toEqual(['a']);
  });
});
