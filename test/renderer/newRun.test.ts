import { describe, expect, it } from 'vitest';
import { checkNewRunForm, emptyNewRunForm } from '../../src-renderer/workflows/newRun';

describe('new run form', () => {
  it('turns the default form into a startRun request on the demo set', () => {
    expect(checkNewRunForm(emptyNewRunForm())).toEqual({
      ok: true,
      request: { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 64, config: { epochs: 1, batch: 8 } },
    });
  });

  it('sends no demo count for a folder, and a trimmed name when one is given', () => {
    const c = checkNewRunForm({ ...emptyNewRunForm('small'), datasetId: 'train-1a2b', demoCount: 'ignored', name: '  first  ', epochs: ' 12 ' });
    expect(c).toEqual({ ok: true, request: { design: { kind: 'preset', name: 'small' }, datasetId: 'train-1a2b', name: 'first', config: { epochs: 12, batch: 8 } } });
  });

  it('names every wrong field, with the limits and messages of the startRun schema', () => {
    const c = checkNewRunForm({ preset: '', datasetId: 'demo', epochs: '0', batch: '2.5', demoCount: '4', name: 'x'.repeat(201) });
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.errors).toEqual({
      preset: 'Pick a design preset',
      epochs: 'Epochs must be at least 1',
      batch: 'Batch size must be a whole number',
      demoCount: 'Demo samples must be at least 8',
      name: 'A name is at most 200 characters',
    });
  });
});
