/**
 * The training setup form's recipe settings (issue 21): the Lovász weight, warm start, the test set,
 * the time budget and inference, with the schema's defaults and messages on their own fields; and
 * the recipe in words as run details and the form's collapsed sections show it.
 */
import { describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { DEFAULT_PRESET, getPreset } from '../../shared/arch/presets';
import { defaultRunConfig, OPEN_ENDED_EPOCHS } from '../../shared/runs/request';
import { useDesignerStore } from '../../src-renderer/stores/designerStore';
import { checkSetupForm, defaultDesignChoice, emptySetupForm, initFromChoices, sectionSummaries, type SetupForm } from '../../src-renderer/workflows/trainingSetup';
import { augmentText, inferenceText, initFromText, lossText, scheduleText } from '../../src-renderer/workflows/runSettings';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';
const C = '20250609-153012-123-cccccc';
/** A has both checkpoints, B only a last one (no epoch scored yet), C none (queued). */
const runs = [
  summary({ id: A, name: 'bce first', archName: 'small', best: { epoch: 4, score: 0.7123, metric: 'valScore' }, lastCheckpoint: { epoch: 6, step: 70 } }),
  summary({ id: B, name: 'unscored', lastCheckpoint: { epoch: 0, step: 10 } }),
  summary({ id: C, name: 'queued', status: 'queued' }),
];

function ok(f: SetupForm) {
  const c = checkSetupForm(f, initFromChoices(runs));
  if (!c.ok) throw new Error(JSON.stringify(c.errors));
  return c;
}

function errorsOf(f: SetupForm) {
  const c = checkSetupForm(f, initFromChoices(runs));
  if (c.ok) throw new Error('the form was accepted');
  return c.errors;
}

describe('the setup form\'s recipe settings', () => {
  it('starts from the schema\'s defaults: a fresh form queues exactly the default configuration', () => {
    const f = emptySetupForm();
    expect([f.loss, f.lovaszWeight, f.testFraction, f.testIds, f.initFromRun, f.tta, f.snapshots, f.threshold, f.minArea, f.maxMinutes]).toEqual(['bce-lovasz', '1', '0', '', '', true, '3', '', '', '']);
    expect([f.shift, f.scale, f.brightness, f.contrast]).toEqual(['0', '0', '0', '0']);
    const c = ok(f);
    expect(c.config).toEqual(defaultRunConfig());
    expect(c.runs[0]?.request).not.toHaveProperty('testIds');
    expect(c.runs[0]?.request.config).not.toHaveProperty('initFrom');
    // The design too is `strata train`'s without --arch.
    expect(f.design).toEqual({ kind: 'preset', name: DEFAULT_PRESET });
    expect(c.runs[0]?.request.design).toEqual({ kind: 'preset', name: DEFAULT_PRESET });
  });

  it('starts the form and the designer on DEFAULT_PRESET, the CLI\'s design, not the tests\' tiny one', () => {
    expect(DEFAULT_PRESET).not.toBe('tiny');
    const listed = [{ name: 'tiny' }, { name: DEFAULT_PRESET }, { name: 'fig2' }];
    expect(defaultDesignChoice(listed)).toEqual({ kind: 'preset', name: DEFAULT_PRESET });
    // A lab that does not list it (an older one): the first preset it lists.
    expect(defaultDesignChoice([{ name: 'fig2' }, { name: 'tiny' }])).toEqual({ kind: 'preset', name: 'fig2' });
    setActivePinia(createPinia());
    const d = useDesignerStore();
    expect(d.origin).toEqual({ kind: 'preset', name: DEFAULT_PRESET });
    expect(d.arch.name).toBe(DEFAULT_PRESET);
    expect(d.arch.nodes.map((n) => n.id)).toEqual(getPreset(DEFAULT_PRESET)?.nodes.map((n) => n.id));
  });

  it('sends every new setting: Lovász weight, warm start, test set, time budget and fixed post-processing', () => {
    const c = ok({
      ...emptySetupForm(),
      lovaszWeight: '0.5',
      initFromRun: A,
      initFromCheckpoint: 'last',
      testFraction: '0.1',
      testIds: '# held out\ndemo-0002\ndemo-0007\n',
      epochs: '',
      maxMinutes: '2.5',
      tta: false,
      snapshots: '5',
      threshold: '0.45',
      minArea: '20',
    });
    const r = c.runs[0]?.request;
    expect(r?.testIds).toEqual(['demo-0002', 'demo-0007']);
    expect(r?.config).toMatchObject({
      loss: { name: 'bce-lovasz', lovaszWeight: 0.5 },
      initFrom: { runId: A, checkpoint: 'last' },
      testFraction: 0.1,
      maxMinutes: 2.5,
      // No epochs with a budget: the run trains for the whole budget.
      epochs: OPEN_ENDED_EPOCHS,
      inference: { tta: false, snapshots: 5, threshold: 0.45, minArea: 20 },
    });
  });

  it('leaves threshold and minimum area out when empty, so the run tunes them on validation', () => {
    const inference = ok({ ...emptySetupForm(), threshold: ' ', minArea: '' }).config.inference;
    expect(inference).toEqual({ tta: true, snapshots: 3 });
    expect(ok({ ...emptySetupForm(), minArea: '0' }).config.inference).toEqual({ tta: true, snapshots: 3, minArea: 0 });
  });

  it('shows each new field\'s schema message next to that field', () => {
    const e = errorsOf({ ...emptySetupForm(), lovaszWeight: '-1', testFraction: '1', snapshots: '11', threshold: '1.5', minArea: '2.5', maxMinutes: '0', testIds: 'demo-0001\ndemo-0001' });
    expect(e).toEqual({
      lovaszWeight: 'Lovász weight must be at least 0',
      testFraction: 'Test fraction must be in [0, 1)',
      snapshots: 'Snapshots must be at most 10',
      threshold: 'Threshold must be in [0, 1]',
      minArea: 'Min area must be a whole number',
      maxMinutes: 'Max minutes must be above 0',
      testIds: 'Test id demo-0001 is listed twice',
    });
    expect(errorsOf({ ...emptySetupForm(), snapshots: '' }).snapshots).toBe('Snapshots must be a number');
    expect(errorsOf({ ...emptySetupForm(), lovaszWeight: '101' }).lovaszWeight).toBe('Lovász weight must be at most 100');
  });

  it('puts the step-schedule-over-a-budget refusal on the schedule field, not above the form', () => {
    const e = errorsOf({ ...emptySetupForm(), schedule: 'step', epochs: '', maxMinutes: '5' });
    expect(e.schedule).toMatch(/^A step schedule with a time budget needs epochs/);
    expect(e).not.toHaveProperty('form');
    expect(ok({ ...emptySetupForm(), schedule: 'step', epochs: '6', maxMinutes: '5' }).config.schedule).toEqual({ kind: 'step', every: 2, factor: 0.1 });
  });

  it('sends the Lovász weight only with bce-lovasz, so a hidden bad weight does not block another loss', () => {
    const c = ok({ ...emptySetupForm(), loss: 'bce', lovaszWeight: 'x' });
    expect(c.runs[0]?.request.config?.loss).toEqual({ name: 'bce', lovaszWeight: 1 });
  });

  it('offers only runs with a checkpoint to start from, and checks the pick against them', () => {
    const choices = initFromChoices(runs);
    expect(choices).toEqual([
      { id: A, label: 'bce first · small · best 0.712 (epoch 5)', best: true, last: true },
      { id: B, label: 'unscored · tiny', best: false, last: true },
    ]);
    expect(errorsOf({ ...emptySetupForm(), initFromRun: C })).toEqual({ initFromRun: `Run ${C} is not listed with a checkpoint: pick another, or start fresh` });
    expect(errorsOf({ ...emptySetupForm(), initFromRun: B, initFromCheckpoint: 'best' })).toEqual({ initFromCheckpoint: 'That run has no best checkpoint yet' });
    expect(ok({ ...emptySetupForm(), initFromRun: B, initFromCheckpoint: 'last' }).config.initFrom).toEqual({ runId: B, checkpoint: 'last' });
  });

  it('sweeps the Lovász weight and the augmentation, refusing sweeps that would queue identical runs', () => {
    const w = ok({ ...emptySetupForm(), sweepField: 'lovaszWeight', sweepValues: '0.5, 1, 2' });
    expect(w.runs.map((r) => r.request.config?.loss)).toEqual([0.5, 1, 2].map((lovaszWeight) => ({ name: 'bce-lovasz', lovaszWeight })));
    expect(w.runs.map((r) => r.label)).toEqual(['Lovász weight 0.5 · seed 1', 'Lovász weight 1 · seed 1', 'Lovász weight 2 · seed 1']);
    const s = ok({ ...emptySetupForm(), sweepField: 'shift', sweepValues: '0, 0.2' });
    expect(s.runs.map((r) => r.request.config?.augment?.shift)).toEqual([0, 0.2]);
    expect(errorsOf({ ...emptySetupForm(), sweepField: 'contrast', sweepValues: '0.1, 2' }).sweepValues).toBe('contrast 2: contrast must be in [0, 1]');
    expect(errorsOf({ ...emptySetupForm(), loss: 'bce', sweepField: 'lovaszWeight', sweepValues: '0.5, 1' }).sweepValues).toBe(
      'The Lovász weight is a setting of the bce-lovasz loss: pick that loss to sweep it',
    );
    expect(errorsOf({ ...emptySetupForm(), initFromRun: A, sweepField: 'init' }).sweepValues).toBe("A run that starts from another run's weights uses no initializer: start fresh to sweep it");
  });
});

describe('the recipe in words', () => {
  it('words the default recipe as the collapsed sections and the run details show it', () => {
    expect(sectionSummaries(emptySetupForm())).toEqual({
      augment: 'h-flip',
      inference: 'flip TTA · up to 3 snapshots · threshold and min area tuned on validation',
    });
    const d = defaultRunConfig();
    expect(augmentText(d.augment)).toBe(sectionSummaries(emptySetupForm()).augment);
    expect(lossText(d.loss)).toBe('bce-lovasz: BCE + 1 × Lovász');
  });

  it('says when a section holds a bad value, and words fixed, partial and switched-off settings', () => {
    expect(sectionSummaries({ ...emptySetupForm(), shift: '0.7', snapshots: '0' })).toEqual({ augment: null, inference: null });
    expect(augmentText({ hflip: false, vflip: true, shift: 0.125, scale: 0, brightness: 0, contrast: 0 })).toBe('v-flip · shift ±12.5% of the side');
    expect(augmentText({ hflip: false, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 })).toBe('none');
    expect(augmentText({ hflip: true, vflip: false, shift: 0.1, scale: 0.1, brightness: 0.05, contrast: 0.1 })).toBe('h-flip · shift ±10% of the side · scale ±10% · brightness ±5% of the range · contrast ±10%');
    expect(inferenceText({ tta: false, snapshots: 1, threshold: 0.4, minArea: 20 })).toBe('no TTA · single checkpoint · threshold 0.4 (fixed) · min area 20 px (fixed)');
    expect(inferenceText({ tta: true, snapshots: 2, minArea: 0 })).toBe('flip TTA · up to 2 snapshots · threshold tuned on validation · min area 0 px (fixed)');
    expect(lossText({ name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 })).toBe('per-image-iou (eps 0.62)');
    expect(lossText({ name: 'bce', lovaszWeight: 1 })).toBe('bce');
  });

  it('words each schedule, a cosine over a time budget as following the budget', () => {
    const d = defaultRunConfig();
    expect(scheduleText(d)).toBe('cosine to 0');
    expect(scheduleText({ ...d, maxMinutes: 45 })).toBe('cosine to 0 over the time budget');
    expect(scheduleText({ schedule: { kind: 'cosine', minLr: 0.0001, warmupEpochs: 2 } })).toBe('cosine to 0.0001 after 2 warm-up epochs');
    expect(scheduleText({ schedule: { kind: 'step', every: 3, factor: 0.1 } })).toBe('step ×0.1 every 3 epochs');
    expect(scheduleText({ schedule: { kind: 'plateau', patience: 3, factor: 0.5, minLr: 0, minDelta: 0.001 } })).toBe('plateau ×0.5 after 3 epochs without gain, down to 0');
    expect(scheduleText({ schedule: { kind: 'constant' } })).toBe('constant');
  });

  it('names the run a warm start took its weights from, or the initializer of a fresh one', () => {
    const names = new Map([[A, 'bce first']]);
    const nameOf = (id: string) => names.get(id) ?? null;
    expect(initFromText({ init: 'he_normal' }, nameOf)).toBe('fresh, he_normal');
    expect(initFromText({ init: 'he_normal', initFrom: { runId: A, checkpoint: 'best' } }, nameOf)).toBe('the best checkpoint of bce first');
    expect(initFromText({ init: 'he_normal', initFrom: { runId: B, checkpoint: 'last' } }, nameOf)).toBe(`the last checkpoint of run ${B}`);
  });
});
