import { describe, expect, it } from 'vitest';
import { getPreset, inputsByPort, reachableFrom, reaching, soleInput, summarize, topologicalOrder, validateArchitecture } from '../../shared/arch';
import { chainEdges, design, miniUNet } from './fixtures';

describe('graph helpers', () => {
  it('groups a merge inputs by port', () => {
    const arch = miniUNet();
    expect(inputsByPort(arch, 'mg')).toEqual({ in: [{ from: 'upx', to: 'mg' }], skip: [{ from: 'res', to: 'mg', port: 'skip' }] });
    expect(soleInput(arch, 'mg', 'skip')).toBe('res');
    expect(soleInput(arch, 'in')).toBeUndefined();
  });

  it('orders a U-Net so every node follows its inputs', () => {
    const arch = getPreset('fig2')!;
    const { order, cycles } = topologicalOrder(arch);
    expect(cycles).toEqual([]);
    expect(order).toHaveLength(arch.nodes.length);
    const pos = new Map(order.map((id, i) => [id, i]));
    for (const e of arch.edges) expect(pos.get(e.from)!).toBeLessThan(pos.get(e.to)!);
  });

  it('names every cycle, including self-loops, and leaves nodes behind cycles unordered', () => {
    const arch = design(
      [
        { id: 'i', kind: 'input', channels: 1, height: 4, width: 4 },
        { id: 'a', kind: 'bn' },
        { id: 'b', kind: 'bn' },
        { id: 'c', kind: 'bn' },
        { id: 's', kind: 'bn' },
        { id: 'h', kind: 'head' },
      ],
      [...chainEdges('i', 'a', 'b', 'c', 'h'), { from: 'c', to: 'a' }, { from: 's', to: 's' }],
    );
    const { order, cycles } = topologicalOrder(arch);
    expect(order).toEqual(['i']);
    expect(cycles).toEqual([['a', 'b', 'c'], ['s']]);
  });

  it('handles a 20000-node chain without overflowing the stack', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `n${i}`);
    const arch = design(ids.map((id) => ({ id, kind: 'bn' })), [...chainEdges(...ids), { from: 'n19999', to: 'n0' }]);
    const { cycles } = topologicalOrder(arch);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(20_000);
  });

  it('validates and summarizes a 20000-node chain in linear time', () => {
    const ids = ['i', ...Array.from({ length: 20_000 }, (_, i) => `n${i}`), 'h'];
    const arch = design(
      [
        { id: 'i', kind: 'input', channels: 1, height: 8, width: 8 },
        ...ids.slice(1, -1).map((id) => ({ id, kind: 'bn' as const })),
        { id: 'h', kind: 'head' },
      ],
      chainEdges(...ids),
    );
    expect(validateArchitecture(arch)).toEqual([]);
    const r = summarize(arch);
    expect(r.ok && r.summary.layers).toBe(1 + 20_000 + 3);
  });

  it('reachability both ways', () => {
    const arch = miniUNet();
    expect([...reachableFrom(arch, ['dn'])].sort()).toEqual(['dn', 'mg', 'out', 'upx']);
    expect([...reaching(arch, ['upx'])].sort()).toEqual(['dn', 'in', 'res', 'stem', 'upx']);
  });
});
