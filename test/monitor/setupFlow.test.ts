/** The training setup's workflow: the design check, the warm-up and queueing as one union, changed only by its reducer. */
import { describe, expect, it } from 'vitest';
import type { DesignCheck, EpochEstimate } from '../../shared/api/types';
import { getPreset } from '../../shared/arch/presets';
import { currentCheck, designFigures, INITIAL_SETUP, setupReducer, type SetupAction, type SetupState } from '../../src-renderer/workflows/setupFlow';

const tiny = getPreset('tiny');
if (!tiny) throw new Error('no tiny preset');
const valid: DesignCheck = { valid: true, errors: [], summary: null, arch: tiny };
const invalid: DesignCheck = { valid: false, errors: [{ code: 'cycle', message: 'the graph has a cycle' } as DesignCheck['errors'][number]], summary: null, arch: null };
const estimate = { secondsPerEpoch: 12 } as EpochEstimate;
const run = (actions: SetupAction[], from: SetupState = INITIAL_SETUP) => actions.reduce(setupReducer, from);
const tinyChoice = { kind: 'preset', name: 'tiny' } as const;

describe('setup workflow: the design check', () => {
  it('keeps the last answer while the next check is on its way, and drops stale answers', () => {
    const asked = run([{ type: 'check', ticket: 1, choice: tinyChoice }]);
    expect(asked.design).toEqual({ state: 'checking', ticket: 1, choice: tinyChoice, previous: null });
    const checked = run([{ type: 'checked', ticket: 1, check: valid }], asked);
    expect(checked.design).toMatchObject({ state: 'checked', check: valid });
    const again = run([{ type: 'check', ticket: 2, choice: { kind: 'saved', id: 'mine' } }], checked);
    expect(currentCheck(again.design)).toBe(valid);
    // The first check's late answer is not about the design chosen now.
    expect(run([{ type: 'checked', ticket: 1, check: invalid }], again)).toBe(again);
    const failed = run([{ type: 'checkFailed', ticket: 2, message: 'no design mine' }], again);
    expect(failed.design).toEqual({ state: 'failed', choice: { kind: 'saved', id: 'mine' }, message: 'no design mine', previous: valid });
  });

  it('gives the checked design’s memory at the form’s batch; none for an invalid design or batch', () => {
    expect(designFigures(INITIAL_SETUP.design, 16)).toBeNull();
    const checked = run([{ type: 'check', ticket: 1, choice: tinyChoice }, { type: 'checked', ticket: 1, check: valid }]);
    const at16 = designFigures(checked.design, 16);
    const at32 = designFigures(checked.design, 32);
    expect(at16?.summary?.batch).toBe(16);
    expect(at32?.summary?.trainingMemoryBytes ?? 0).toBeGreaterThan(at16?.summary?.trainingMemoryBytes ?? Infinity);
    expect(designFigures(checked.design, 0)).toEqual({ check: valid, summary: null });
    const bad = run([{ type: 'check', ticket: 2, choice: tinyChoice }, { type: 'checked', ticket: 2, check: invalid }], checked);
    expect(designFigures(bad.design, 16)).toEqual({ check: invalid, summary: null });
  });
});

describe('setup workflow: measuring and queueing', () => {
  it('measures one warm-up at a time; a change forgets a finished estimate but not one under way', () => {
    const measuring = run([{ type: 'measure', ticket: 1 }]);
    expect(measuring.phase).toBe('measuring');
    expect(run([{ type: 'measure', ticket: 2 }], measuring)).toBe(measuring);
    expect(run([{ type: 'changed' }], measuring)).toBe(measuring);
    const measured = run([{ type: 'measured', ticket: 1, estimate }], measuring);
    expect(measured).toMatchObject({ phase: 'idle', estimate, estimateError: null });
    expect(run([{ type: 'changed' }], measured)).toMatchObject({ phase: 'idle', estimate: null });
    const failed = run([{ type: 'measure', ticket: 3 }, { type: 'measureFailed', ticket: 3, message: 'no backend' }], measured);
    expect(failed).toMatchObject({ phase: 'idle', estimate: null, estimateError: 'no backend' });
  });

  it('queues once at a time; a refusal is kept until the next queueing, success clears it', () => {
    const queueing = run([{ type: 'queue', count: 2 }]);
    expect(queueing).toMatchObject({ phase: 'queueing', count: 2 });
    expect(run([{ type: 'queue', count: 5 }], queueing)).toBe(queueing);
    const refused = run([{ type: 'refused', message: 'Run 2 (seed 2): no dataset x (1 of 2 were queued)' }], queueing);
    expect(refused).toMatchObject({ phase: 'idle', refusal: 'Run 2 (seed 2): no dataset x (1 of 2 were queued)' });
    // The refusal stays through a warm-up.
    expect(run([{ type: 'measure', ticket: 1 }, { type: 'measured', ticket: 1, estimate }], refused)).toMatchObject({ refusal: 'Run 2 (seed 2): no dataset x (1 of 2 were queued)' });
    expect(run([{ type: 'queue', count: 1 }, { type: 'queued' }], refused)).toMatchObject({ phase: 'idle', refusal: null });
  });

  it('queueing abandons a warm-up under way: its late answer is ignored', () => {
    const s = run([{ type: 'measure', ticket: 1 }, { type: 'queue', count: 1 }]);
    expect(s.phase).toBe('queueing');
    expect(run([{ type: 'measured', ticket: 1, estimate }], s)).toBe(s);
    expect(run([{ type: 'queued' }, { type: 'measured', ticket: 1, estimate }], s)).toMatchObject({ phase: 'idle', estimate: null });
  });

  it('checks the design beside every phase', () => {
    const s = run([{ type: 'measure', ticket: 1 }, { type: 'check', ticket: 2, choice: tinyChoice }, { type: 'checked', ticket: 2, check: valid }]);
    expect(s).toMatchObject({ phase: 'measuring', design: { state: 'checked', check: valid } });
  });
});
