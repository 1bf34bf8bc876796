/** The training setup form: validation through the lab's schema, repeats over seeds, and sweeps. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRESET } from '../../shared/arch/presets';
import type { BackendRequest } from '../../shared/runs/request';
import { checkSetupForm, emptySetupForm, estimateRequest, fieldOfIssuePath } from '../../src-renderer/workflows/trainingSetup';

describe('the training setup form', () => {
  it('builds one run with every setting', () => {
    const f = { ...emptySetupForm(), epochs: '3', batch: '8', optimizer: 'adam' as const, lr: '0.001', schedule: 'plateau' as const, loss: 'per-image-iou' as const, eps: '0.62' };
    const c = checkSetupForm(f);
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    expect(c.runs).toHaveLength(1);
    expect(c.runs[0]?.request.config).toMatchObject({
      epochs: 3,
      batch: 8,
      optimizer: { name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 },
      // Plateau: patience 3, factor 0.5 (the CLI's defaults, now the only ones).
      schedule: { kind: 'plateau', patience: 3, factor: 0.5 },
      loss: { name: 'per-image-iou', eps: 0.62 },
    });
    expect(estimateRequest(c)).toMatchObject({ design: { kind: 'preset', name: DEFAULT_PRESET }, datasetId: 'demo', steps: 2 });
  });

  it('refuses bad values on their own fields with the schema messages', () => {
    const c = checkSetupForm({ ...emptySetupForm(), lr: '-1', valFraction: '1.5', batch: 'x' });
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.errors.lr).toBe('Learning rate must be above 0');
    expect(c.errors.valFraction).toBe('Validation fraction must be below 1');
    expect(c.errors.batch).toMatch(/^Batch size/);
  });

  it('sweeps the four initializers over two seeds: eight runs, each named by what it varies', () => {
    const c = checkSetupForm({ ...emptySetupForm(), name: 'inits', seed: '5', repeats: '2', sweepField: 'init' });
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    expect(c.runs.map((r) => [r.request.config?.init, r.request.config?.seed])).toEqual([
      ['glorot_normal', 5], ['glorot_normal', 6], ['glorot_uniform', 5], ['glorot_uniform', 6],
      ['he_normal', 5], ['he_normal', 6], ['he_uniform', 5], ['he_uniform', 6],
    ]);
    expect(c.runs[3]?.request.name).toBe('inits · initializer glorot_uniform · seed 6');
  });

  it('refuses a sweep value the schema refuses, naming it', () => {
    const c = checkSetupForm({ ...emptySetupForm(), sweepField: 'lr', sweepValues: '0.1, 0, 0.001' });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.errors.sweepValues).toBe('learning rate 0: learning rate must be above 0');
    const single = checkSetupForm({ ...emptySetupForm(), sweepField: 'lr', sweepValues: '0.1' });
    expect(!single.ok && single.errors.sweepValues).toMatch(/at least two/);
  });

  it('takes the lab defaults for what is left empty: the optimizer\'s own learning rate, a step every third of the run', () => {
    const c = checkSetupForm({ ...emptySetupForm(), epochs: '9', optimizer: 'adam' as const, schedule: 'step' as const });
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    expect(c.runs[0]?.request.config).toMatchObject({ optimizer: { name: 'adam', lr: 0.001 }, schedule: { kind: 'step', every: 3, factor: 0.1 } });
    const fresh = checkSetupForm(emptySetupForm());
    expect(fresh.ok && fresh.runs[0]?.request.config?.optimizer).toEqual({ name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 });
    const sgd = checkSetupForm({ ...emptySetupForm(), optimizer: 'sgd' as const });
    expect(sgd.ok && sgd.runs[0]?.request.config?.optimizer).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.9 });
  });

  it('shows each schema message next to its own field, the name limit being the API\'s 200', () => {
    const c = checkSetupForm({ ...emptySetupForm(), schedule: 'plateau' as const, plateauFactor: '1', stepFactor: '0.5', name: 'x'.repeat(201), demoCount: '4' });
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.errors.plateauFactor).toBe('Plateau factor must be below 1');
    expect(c.errors.stepFactor).toBeUndefined();
    expect(c.errors.name).toBe('A name is at most 200 characters');
    expect(c.errors.demoCount).toBe('Demo samples must be at least 8');
    expect(checkSetupForm({ ...emptySetupForm(), name: 'x'.repeat(200) }).ok).toBe(true);
    // The seed tags grow a name past the limit: refused here, before the lab would.
    const tagged = checkSetupForm({ ...emptySetupForm(), name: 'x'.repeat(195), repeats: '2' });
    expect(!tagged.ok && tagged.errors.name).toBe('A name is at most 200 characters');
  });

  it('sends a fixed validation id list, one per line, and refuses one that names an id twice', () => {
    const c = checkSetupForm({ ...emptySetupForm(), valIds: '# my set\ndemo-0001\n\n demo-0004 \n' });
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    expect(c.runs[0]?.request.valIds).toEqual(['demo-0001', 'demo-0004']);
    expect(estimateRequest(c)?.valIds).toEqual(['demo-0001', 'demo-0004']);
    const dup = checkSetupForm({ ...emptySetupForm(), valIds: 'demo-0001\ndemo-0001' });
    expect(!dup.ok && dup.errors.valIds).toBe('Validation id demo-0001 is listed twice');
    const none = checkSetupForm(emptySetupForm());
    expect(none.ok && none.runs[0]?.request).not.toHaveProperty('valIds');
  });

  it('shows a message whose path no field maps about the form as a whole, not under the name', () => {
    const f = { ...emptySetupForm(), backend: 'tpu' as BackendRequest };
    expect(fieldOfIssuePath(f, ['config', 'backend'])).toBeUndefined();
    const c = checkSetupForm(f);
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.errors).toEqual({ form: 'Backend must be one of auto, tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu' });
  });

  it('starts from the note\'s per-image IoU eps and a small demo set, and sweeps both optimizers by default', () => {
    const f = emptySetupForm();
    expect([f.eps, f.demoCount]).toEqual(['0.62', '64']);
    const c = checkSetupForm({ ...f, loss: 'per-image-iou' as const, sweepField: 'optimizer' });
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    expect(c.runs.map((r) => [r.request.config?.optimizer?.name, r.request.config?.loss, r.request.demoCount])).toEqual([
      ['sgd', { name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 }, 64],
      ['adam', { name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 }, 64],
    ]);
    const bad = checkSetupForm({ ...f, sweepField: 'optimizer', sweepValues: 'sgd, rmsprop' });
    expect(!bad.ok && bad.errors.sweepValues).toBe('unknown optimizer "rmsprop"');
  });

  it('refuses seeds that repeats would carry past the largest seed, on the seed field', () => {
    const c = checkSetupForm({ ...emptySetupForm(), seed: String(2 ** 31 - 1), repeats: '2' });
    expect(!c.ok && c.errors).toEqual({ seed: `Seed + repeats must stay at most ${2 ** 31 - 1}` });
  });
});
