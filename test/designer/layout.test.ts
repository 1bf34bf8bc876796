/** The U layout: encoder down the left, decoder up the right, skips straight across. */
import { describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import { applyArchChange } from '../../shared/arch/edit';
import { LAYOUT_STEP_X, LAYOUT_STEP_Y, layoutChange, uLayout } from '../../shared/arch/layout';
import { miniUNet } from '../arch/fixtures';

describe('uLayout', () => {
  it('draws the Figure 2 U-Net as a U', () => {
    const arch = getPreset('fig2');
    if (!arch) throw new Error('no fig2');
    const at = uLayout(arch);
    const p = (id: string) => at.get(id) ?? { x: Number.NaN, y: Number.NaN };
    const X = LAYOUT_STEP_X;
    const Y = LAYOUT_STEP_Y;
    // Along the top: input, stem, e0; then the encoder descends in e0's column, a level = 2 rows.
    expect([p('input'), p('stem'), p('e0')]).toEqual([{ x: 0, y: 0 }, { x: X, y: 0 }, { x: 2 * X, y: 0 }]);
    expect(p('down0')).toEqual({ x: 2 * X, y: Y });
    expect(p('e1')).toEqual({ x: 2 * X, y: 2 * Y });
    expect(p('bottom')).toEqual({ x: 2 * X, y: 6 * Y });
    // The decoder climbs on the right: up2 beside down2, merge2 and d2 on e2's row.
    expect(p('up2')).toEqual({ x: 3 * X, y: 5 * Y });
    expect(p('merge2')).toEqual({ x: 3 * X, y: 4 * Y });
    expect(p('d2')).toEqual({ x: 4 * X, y: 4 * Y });
    expect(p('head')).toEqual({ x: 7 * X, y: 0 });
    // Skips straight across, left to right.
    for (const d of [0, 1, 2]) {
      expect(p(`merge${d}`).y).toBe(p(`e${d}`).y);
      expect(p(`merge${d}`).x).toBeGreaterThan(p(`e${d}`).x);
    }
    // Every edge goes right or straight up or down; no two nodes share a place.
    for (const e of arch.edges) expect(p(e.to).x).toBeGreaterThanOrEqual(p(e.from).x);
    expect(new Set([...at.values()].map((q) => `${q.x},${q.y}`)).size).toBe(arch.nodes.length);
  });

  it('puts nodes the input does not reach in a row under the U, without overlaps', () => {
    const arch = miniUNet();
    arch.nodes.push({ id: 'loose1', kind: 'bn' }, { id: 'loose2', kind: 'bn' });
    const at = uLayout(arch);
    const a = at.get('loose1');
    const b = at.get('loose2');
    const deepest = Math.max(...arch.nodes.filter((n) => !n.id.startsWith('loose')).map((n) => at.get(n.id)?.y ?? 0));
    expect(a?.y).toBeGreaterThan(deepest);
    expect(a?.y).toBe(b?.y);
    expect(a?.x).not.toBe(b?.x);
  });

  it('is one designer edit', () => {
    const arch = miniUNet();
    const r = applyArchChange(arch, layoutChange(arch));
    expect(r.refused).toBeNull();
    expect(r.arch.nodes.every((n) => n.position !== undefined)).toBe(true);
    expect(r.errors).toEqual([]);
  });
});
