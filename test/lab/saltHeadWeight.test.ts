/**
 * A run's salt head weight (`config.saltHeadWeight`, issue 21 item 4): the run request's limits,
 * planRun putting it into the design the run stores (so the trainer, a resume and the experiment
 * reports read one weight) or refusing it for a design without a head, and the setup form's field:
 * empty sends nothing, a value is sent, a bad one gets the schema's message on that field.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getPreset, saltHeadOf, withSaltHead } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { parseRunConfig, runRequestSchema } from '../../shared/runs/request';
import { makeDemoDataset } from '../../src-main/data/demo';
import { planRun } from '../../src-main/lab/plan';
import { RunStore } from '../../src-main/runs/store';
import { checkSetupForm, configOf, emptySetupForm } from '../../src-renderer/workflows/trainingSetup';
import { scratchDir } from './helpers';

const source = { kind: 'demo', count: 16, seed: 1 } as const;
const load = () => Promise.resolve(makeDemoDataset({ count: 16, seed: 1 }));
const store = RunStore.open(path.join(scratchDir('salt-weight-store'), 'runs'));
afterAll(() => store.close());
const tiny = () => getPreset('tiny') as Architecture;
const plan = (config: unknown, arch: Architecture) => planRun(runRequestSchema.parse({ config }), { arch, source, load, runs: store });

describe('a run request\'s salt head weight', () => {
  it('is optional, above 0 and at most 10, as the design\'s loss weight', () => {
    const none = parseRunConfig({});
    expect(none.ok && 'saltHeadWeight' in none.config).toBe(false);
    expect(parseRunConfig({ saltHeadWeight: 10 })).toMatchObject({ ok: true, config: { saltHeadWeight: 10 } });
    expect(parseRunConfig({ saltHeadWeight: 0 })).toEqual({ ok: false, errors: ['saltHeadWeight: salt head weight must be above 0'] });
    expect(parseRunConfig({ saltHeadWeight: 10.5 })).toEqual({ ok: false, errors: ['saltHeadWeight: salt head weight must be at most 10'] });
    expect(parseRunConfig({ saltHeadWeight: '1' })).toEqual({ ok: false, errors: ['saltHeadWeight: salt head weight must be a number'] });
  });

  it('replaces the design\'s weight in the design the run stores; left out, the design is stored as given', async () => {
    const salted = withSaltHead(tiny(), { lossWeight: 0.1, hidden: 4 });
    const p = await plan({ saltHeadWeight: 2.5 }, salted);
    expect(saltHeadOf(p.init.arch)).toEqual({ ...saltHeadOf(salted), lossWeight: 2.5 });
    expect(p.init.config.saltHeadWeight).toBe(2.5);
    // Only the head's weight differs.
    expect({ ...p.init.arch, nodes: p.init.arch.nodes.filter((n) => n.kind !== 'saltHead') }).toEqual({ ...salted, nodes: salted.nodes.filter((n) => n.kind !== 'saltHead') });
    expect((await plan({}, salted)).init.arch).toEqual(salted);
    expect((await plan({}, tiny())).init.arch).toEqual(tiny());
  });

  it('is refused for a design without a salt head, naming the design', async () => {
    await expect(plan({ saltHeadWeight: 0.5 }, tiny())).rejects.toThrow(
      'salt head weight: design "tiny" has no salt head ("Salt present" node) for it to weigh: use a design with one, e.g. the small-salt preset, or leave it out',
    );
  });
});

describe('the setup form\'s salt head weight', () => {
  it('sends nothing when empty, the number when typed, and shows the schema\'s message on its field', () => {
    expect(configOf(emptySetupForm())).not.toHaveProperty('saltHeadWeight');
    const typed = checkSetupForm({ ...emptySetupForm(), saltHeadWeight: '0.3' });
    expect(typed.ok && typed.runs[0]?.request.config?.saltHeadWeight).toBe(0.3);
    const bad = checkSetupForm({ ...emptySetupForm(), saltHeadWeight: '0' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.saltHeadWeight).toBe('Salt head weight must be above 0');
  });
});
