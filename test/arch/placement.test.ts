import { describe, expect, it } from 'vitest';
import { bnPlacementOf, getPreset, withBnPlacement, withInitializer } from '../../shared/arch';
import type { Architecture } from '../../shared/arch';

const small = (): Architecture => getPreset('small')!;

describe('BN placement', () => {
  it('the presets use the samplers placement', () => {
    expect(bnPlacementOf(small())).toBe('samplers');
  });

  it('head: no sampler BN, no BN after blocks', () => {
    const a = withBnPlacement(small(), 'head');
    for (const n of a.nodes) {
      if (n.kind === 'down' || n.kind === 'up') expect(n.bn).toBe('none');
      if (n.kind === 'resnet') expect(n.bnAfterBlock).toBeUndefined();
    }
    expect(bnPlacementOf(a)).toBe('head');
  });

  it('blocks: sampler BN and BN after every block; back to samplers removes them', () => {
    const a = withBnPlacement(withBnPlacement(small(), 'head'), 'blocks');
    const stacks = a.nodes.filter((n) => n.kind === 'resnet');
    expect(stacks.length).toBe(7);
    for (const n of stacks) expect(n.kind === 'resnet' && n.bnAfterBlock).toBe(true);
    for (const n of a.nodes) if (n.kind === 'down' || n.kind === 'up') expect(n.bn).toBe('after');
    expect(bnPlacementOf(a)).toBe('blocks');
    const b = withBnPlacement(a, 'samplers');
    expect(bnPlacementOf(b)).toBe('samplers');
    expect(b).toStrictEqual(small());
  });

  it('keeps a strided sampler BN where it is', () => {
    const a = small();
    const down = a.nodes.find((n) => n.kind === 'down');
    if (down?.kind !== 'down') throw new Error('no down');
    down.bn = 'strided';
    const b = withBnPlacement(a, 'samplers');
    expect(b.nodes.find((n) => n.id === down.id)).toMatchObject({ bn: 'strided' });
    expect(bnPlacementOf(b)).toBe('samplers');
  });

  it('mixed designs are custom', () => {
    const a = small();
    const down = a.nodes.find((n) => n.kind === 'down');
    if (down?.kind !== 'down') throw new Error('no down');
    down.bn = 'none';
    expect(bnPlacementOf(a)).toBe('custom');
    const b = withBnPlacement(small(), 'head');
    const stack = b.nodes.find((n) => n.kind === 'resnet');
    if (stack?.kind !== 'resnet') throw new Error('no stack');
    stack.bnAfterBlock = true;
    expect(bnPlacementOf(b)).toBe('custom');
  });

  it('is pure: the argument is untouched and shares no node objects', () => {
    const a = small();
    const before = JSON.stringify(a);
    const b = withBnPlacement(a, 'blocks');
    expect(JSON.stringify(a)).toBe(before);
    b.nodes.forEach((n, i) => expect(n).not.toBe(a.nodes[i]));
    expect(b.nodes[0]?.position).not.toBe(a.nodes[0]?.position);
  });
});

describe('initializer', () => {
  it('sets the default and clears per-node overrides, purely', () => {
    const a = small();
    const stem = a.nodes.find((n) => n.id === 'stem');
    if (stem?.kind !== 'conv') throw new Error('no stem');
    stem.init = 'he_normal';
    const b = withInitializer(a, 'he_uniform');
    expect(b.init).toBe('he_uniform');
    expect(b.nodes.some((n) => 'init' in n)).toBe(false);
    expect(stem.init).toBe('he_normal');
    expect(a.init).toBe('glorot_uniform');
  });
});
