/**
 * The designer's view of the salt-present head, as plain data: its palette entry, its card (no
 * output port, its weight in the detail, the misplaced-input problem on its edge and card) and its
 * property fields with the edit rules behind them.
 */
import { describe, expect, it } from 'vitest';
import { applyArchChange, addNodeChange } from '../../shared/arch/edit';
import { getPreset, inferShapes, validateArchitecture, withSaltHead } from '../../shared/arch';
import type { Architecture, SaltHeadNode } from '../../shared/arch/types';
import { fieldPatchValue, nodeFields, type FieldSpec } from '../../src-renderer/workflows/designerFields';
import { KIND_TITLES, PALETTE_KINDS, canvasModel } from '../../src-renderer/workflows/designerGraph';

function tiny(): Architecture {
  return getPreset('tiny') as Architecture;
}

function cards(arch: Architecture) {
  return canvasModel(arch, validateArchitecture(arch), inferShapes(arch).shapes);
}

function field(fields: FieldSpec[], key: string): FieldSpec {
  const f = fields.find((x) => x.key === key);
  if (!f) throw new Error(`no field ${key}`);
  return f;
}

describe('the salt head in the designer', () => {
  it('is offered last in the palette, as "Salt present"', () => {
    expect(PALETTE_KINDS.at(-1)).toBe('saltHead');
    expect(KIND_TITLES.saltHead).toBe('Salt present');
  });

  it('draws a card with one input port, no output, its loss weight and its 1x1x1 output', () => {
    const { cards: list, edges } = cards(withSaltHead(tiny(), { hidden: 8 }));
    const card = list.find((c) => c.id === 'salt');
    expect(card).toMatchObject({ kind: 'saltHead', ports: ['in'], hasOutput: false, outShape: '1x1x1', errors: [], detail: 'pool · dense 8 · dense 1 · loss x0.1' });
    expect(edges.find((e) => e.key === 'bottom->salt:in')).toMatchObject({ shape: '13x13x32', error: null });
  });

  it('marks an input above the bottom level on the edge and on the card', () => {
    const arch = applyArchChange(withSaltHead(tiny()), { type: 'connect', edge: { from: 'e1', to: 'salt' } }).arch;
    const { cards: list, edges } = cards(arch);
    const message = 'salt head "salt" must read the bottom level (13x13), but its input "e1" is 51x51';
    expect(edges.find((e) => e.key === 'e1->salt:in')?.error).toBe(message);
    expect(list.find((c) => c.id === 'salt')?.errors).toEqual([message]);
    // The connection replaced the old one: a port takes one edge.
    expect(edges.some((e) => e.key === 'bottom->salt:in')).toBe(false);
  });

  it('edits its loss weight as a real number and its hidden units as an optional whole number', () => {
    const arch = applyArchChange(tiny(), addNodeChange(tiny(), 'saltHead', { x: 0, y: 0 })).arch;
    const node = arch.nodes.at(-1) as SaltHeadNode;
    const fields = nodeFields(node, arch);
    expect(fields.map((f) => f.key)).toEqual(['lossWeight', 'hidden', 'init']);
    const weight = field(fields, 'lossWeight');
    expect(weight).toMatchObject({ type: 'number', value: 0.1, min: 0, max: 10 });
    expect(fieldPatchValue(weight, '0.25')).toEqual({ ok: true, value: 0.25 });
    expect(fieldPatchValue(weight, '')).toEqual({ ok: false, message: 'Loss weight: a value is required' });
    expect(fieldPatchValue(weight, 'lots')).toEqual({ ok: false, message: 'Loss weight: "lots" is not a number' });
    const hidden = field(fields, 'hidden');
    expect(hidden).toMatchObject({ type: 'int', value: null, optional: true });
    expect(fieldPatchValue(hidden, '')).toEqual({ ok: true, value: null });
    // The values go through the shared edit rules, which refuse a weight of 0 with the reason.
    const zero = fieldPatchValue(weight, '0');
    expect(zero.ok && applyArchChange(arch, { type: 'update', id: 'salt1', patch: { lossWeight: zero.value } }).refused?.message).toBe(
      'node "salt1" (lossWeight): must be above 0, got 0',
    );
    const ok = fieldPatchValue(weight, '0.25');
    const updated = ok.ok ? applyArchChange(arch, { type: 'update', id: 'salt1', patch: { lossWeight: ok.value } }) : null;
    expect(updated?.refused).toBeNull();
    expect(updated && cards(updated.arch).cards.find((c) => c.id === 'salt1')?.detail).toBe('pool · dense 1 · loss x0.25');
  });
});
