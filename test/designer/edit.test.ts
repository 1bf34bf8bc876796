/** Designer edits: each change applied purely and validated, refusals with reasons, undo and redo. */
import { describe, expect, it } from 'vitest';
import {
  addNodeChange,
  applyArchChange,
  applyToHistory,
  copySelection,
  HISTORY_LIMIT,
  pasteChange,
  redo,
  startHistory,
  undo,
  type ArchChange,
  type EditHistory,
} from '../../shared/arch/edit';
import { getPreset, summarize } from '../../shared/arch';
import type { Architecture } from '../../shared/arch';
import { miniUNet, node } from '../arch/fixtures';

function frozen(arch: Architecture): string {
  return JSON.stringify(arch);
}

describe('applyArchChange', () => {
  it('adds a resnet stack from the palette with a fresh id, and leaves the input design alone', () => {
    const arch = miniUNet();
    const before = frozen(arch);
    const change = addNodeChange(arch, 'resnet', { x: 10, y: 20 });
    const r = applyArchChange(arch, change);
    expect(r.refused).toBeNull();
    expect(frozen(arch)).toBe(before);
    const added = node(r.arch, 'stack1', 'resnet');
    expect(added).toMatchObject({ blocks: 2, kernel: 3, position: { x: 10, y: 20 } });
    // Unconnected, it is reported by the validator, not refused.
    expect(r.errors.map((e) => e.nodeId)).toContain('stack1');
    expect(r.errors.some((e) => e.message.includes('nothing is connected to its "in" port'))).toBe(true);
  });

  it('inserting a connected stack changes the counts: 2 more blocks = 4 more conv layers', () => {
    const arch = miniUNet();
    const base = summarize(arch);
    let h = startHistory(arch);
    h = step(h, addNodeChange(arch, 'resnet', { x: 0, y: 0 }));
    h = step(h, { type: 'connect', edge: { from: 'res', to: 'stack1' } });
    // Connecting into dn's "in" replaces the edge res -> dn.
    h = step(h, { type: 'connect', edge: { from: 'stack1', to: 'dn' } });
    expect(h.present.edges.filter((e) => e.to === 'dn')).toEqual([{ from: 'stack1', to: 'dn' }]);
    const after = summarize(h.present);
    expect(base.ok && after.ok).toBe(true);
    if (base.ok && after.ok) expect(after.summary.convLayers - base.summary.convLayers).toBe(4);
  });

  it('refuses invalid parameter values with the reason, and keeps the design', () => {
    const arch = miniUNet();
    const r = applyArchChange(arch, { type: 'update', id: 'res', patch: { blocks: 0 } });
    expect(r.arch).toBe(arch);
    expect(r.refused?.message).toBe('node "res" (blocks): must be at least 1, got 0');
    const frac = applyArchChange(arch, { type: 'update', id: 'stem', patch: { kernel: 2.5 } });
    expect(frac.refused?.message).toContain('must be a whole number, got 2.5');
    const mode = applyArchChange(arch, { type: 'update', id: 'mg', patch: { mode: 'mul' } });
    expect(mode.refused?.message).toContain('must be one of "add", "concat"');
    const kind = applyArchChange(arch, { type: 'update', id: 'mg', patch: { kind: 'head' } });
    expect(kind.refused?.message).toContain('"kind" cannot be changed');
  });

  it('updates a value, and a null clears an optional one', () => {
    const arch = miniUNet();
    const set = applyArchChange(arch, { type: 'update', id: 'dn', patch: { filters: 6 } });
    expect(node(set.arch, 'dn', 'down').filters).toBe(6);
    // 6 channels halve to 3 in the upsampler, which no longer add to the 2-channel skip.
    expect(set.errors.map((e) => e.message)).toContain('skip res->mg: 8x8x2 vs 8x8x3');
    const cleared = applyArchChange(set.arch, { type: 'update', id: 'dn', patch: { filters: null } });
    expect('filters' in node(cleared.arch, 'dn', 'down')).toBe(false);
    expect(cleared.errors).toEqual([]);
  });

  it('reports a mismatched skip on its edge, and the fix clears it', () => {
    // A skip from the stem (8x8x2) is fine; from the downsampler (4x4x4) it is not.
    const arch = miniUNet();
    const bad = applyArchChange(arch, { type: 'connect', edge: { from: 'dn', to: 'mg', port: 'skip' } });
    expect(bad.arch.edges.filter((e) => e.port === 'skip')).toEqual([{ from: 'dn', to: 'mg', port: 'skip' }]);
    const err = bad.errors.find((e) => e.code === 'resolution-mismatch');
    expect(err?.message).toBe('skip dn->mg: 4x4x4 vs 8x8x2');
    expect(err?.edge).toEqual({ from: 'dn', to: 'mg', port: 'skip' });
    const fixed = applyArchChange(bad.arch, { type: 'connect', edge: { from: 'stem', to: 'mg', port: 'skip' } });
    expect(fixed.errors).toEqual([]);
  });

  it('refuses connections that break a rule whatever the shapes', () => {
    const arch = miniUNet();
    expect(applyArchChange(arch, { type: 'connect', edge: { from: 'res', to: 'res' } }).refused?.message).toContain('to itself');
    expect(applyArchChange(arch, { type: 'connect', edge: { from: 'out', to: 'res' } }).refused?.message).toContain('nothing can follow it');
    expect(applyArchChange(arch, { type: 'connect', edge: { from: 'res', to: 'in' } }).refused?.message).toContain('takes no incoming edges');
    expect(applyArchChange(arch, { type: 'connect', edge: { from: 'res', to: 'dn', port: 'skip' } }).refused?.message).toBe(
      'only merges have a "skip" port, and "dn" is a down',
    );
    expect(applyArchChange(arch, { type: 'connect', edge: { from: 'ghost', to: 'dn' } }).refused?.message).toContain('no such node');
  });

  it('removes nodes with their edges, and single edges', () => {
    const arch = miniUNet();
    const r = applyArchChange(arch, { type: 'remove', nodeIds: ['res'] });
    expect(r.arch.nodes.some((n) => n.id === 'res')).toBe(false);
    expect(r.arch.edges.some((e) => e.from === 'res' || e.to === 'res')).toBe(false);
    const e = applyArchChange(arch, { type: 'remove', nodeIds: [], edges: [{ from: 'res', to: 'mg', port: 'skip' }] });
    expect(e.arch.edges).toHaveLength(arch.edges.length - 1);
    expect(e.errors.map((x) => x.message)).toContain('merge "mg": nothing is connected to its "skip" port');
  });

  it('renames a node, and edges and matches follow; refuses a taken or unsafe id', () => {
    const arch = miniUNet();
    const r = applyArchChange(arch, { type: 'rename', id: 'dn', newId: 'down0' });
    expect(r.refused).toBeNull();
    expect(node(r.arch, 'upx', 'up').match).toBe('down0');
    expect(r.arch.edges.filter((e) => e.from === 'down0' || e.to === 'down0')).toHaveLength(2);
    expect(r.errors).toEqual([]);
    expect(applyArchChange(arch, { type: 'rename', id: 'dn', newId: 'res' }).refused?.message).toContain('already used');
    expect(applyArchChange(arch, { type: 'rename', id: 'dn', newId: 'a/b' }).refused?.message).toContain('only letters');
  });

  it('moves nodes and sets design fields', () => {
    const arch = miniUNet();
    const moved = applyArchChange(arch, { type: 'position', moves: [{ id: 'res', position: { x: 5, y: 7 } }] });
    expect(node(moved.arch, 'res', 'resnet').position).toEqual({ x: 5, y: 7 });
    expect(applyArchChange(arch, { type: 'position', moves: [{ id: 'res', position: { x: Number.NaN, y: 0 } }] }).refused).not.toBeNull();
    const meta = applyArchChange(arch, { type: 'meta', name: '  renamed ', init: 'he_normal' });
    expect(meta.arch).toMatchObject({ name: 'renamed', init: 'he_normal' });
    expect(applyArchChange(arch, { type: 'meta', name: '   ' }).refused?.message).toBe('a design needs a name');
  });

  it('copies a selection and pastes it with fresh ids, inner edges and matches renamed', () => {
    const arch = miniUNet();
    const clip = copySelection(arch, ['dn', 'upx']);
    expect(clip.edges).toEqual([{ from: 'dn', to: 'upx' }]);
    const { change, ids } = pasteChange(arch, clip, { x: 40, y: 40 });
    expect(ids).toEqual(['dn1', 'upx1']);
    const r = applyArchChange(arch, change);
    expect(r.refused).toBeNull();
    expect(node(r.arch, 'upx1', 'up').match).toBe('dn1');
    expect(r.arch.edges).toContainEqual({ from: 'dn1', to: 'upx1' });
    expect(node(r.arch, 'dn1', 'down').position).toEqual({ x: 40, y: 40 });
  });
});

function step(h: EditHistory, change: ArchChange): EditHistory {
  const r = applyToHistory(h, change);
  expect(r.refused).toBeNull();
  return r.history;
}

describe('undo and redo', () => {
  it('cover every kind of edit, in order, and a new edit clears redo', () => {
    const arch = miniUNet();
    const changes: ArchChange[] = [
      addNodeChange(arch, 'bn', { x: 1, y: 1 }),
      { type: 'update', id: 'res', patch: { blocks: 5 } },
      { type: 'position', moves: [{ id: 'res', position: { x: 9, y: 9 } }] },
      { type: 'connect', edge: { from: 'stem', to: 'mg', port: 'skip' } },
      { type: 'rename', id: 'stem', newId: 'first' },
      { type: 'meta', name: 'other' },
      { type: 'remove', nodeIds: ['bn1'] },
    ];
    const states: Architecture[] = [arch];
    let h = startHistory(arch);
    for (const c of changes) {
      h = step(h, c);
      states.push(h.present);
    }
    for (let i = states.length - 2; i >= 0; i--) {
      h = undo(h);
      expect(h.present).toBe(states[i]);
    }
    expect(undo(h)).toBe(h);
    for (let i = 1; i < states.length; i++) {
      h = redo(h);
      expect(h.present).toBe(states[i]);
    }
    expect(redo(h)).toBe(h);
    h = undo(undo(h));
    h = step(h, { type: 'update', id: 'res', patch: { kernel: 5 } });
    expect(h.future).toEqual([]);
    expect(redo(h)).toBe(h);
  });

  it('a refused edit or one that changes nothing adds no step', () => {
    const h = startHistory(miniUNet());
    const refused = applyToHistory(h, { type: 'update', id: 'res', patch: { blocks: -1 } });
    expect(refused.history).toBe(h);
    expect(refused.refused).not.toBeNull();
    const noop = applyToHistory(h, { type: 'remove', nodeIds: ['nothing'] });
    expect(noop.history).toBe(h);
  });

  it(`keeps at most ${HISTORY_LIMIT} steps`, () => {
    let h = startHistory(miniUNet());
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) h = step(h, { type: 'position', moves: [{ id: 'res', position: { x: i, y: 0 } }] });
    expect(h.past).toHaveLength(HISTORY_LIMIT);
  });

  it('edits the Figure 4 preset (428 layers), validating every step', () => {
    const arch = getPreset('fig4');
    expect(arch).toBeDefined();
    if (!arch) return;
    let h = startHistory(arch);
    for (let i = 0; i < 20; i++) h = step(h, { type: 'update', id: 'bottom', patch: { blocks: 190 + i } });
    expect(node(h.present, 'bottom', 'resnet').blocks).toBe(209);
    expect(h.past).toHaveLength(20);
  });
});
