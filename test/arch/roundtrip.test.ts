import { describe, expect, it } from 'vitest';
import { PRESETS, parseArchitecture, parseArchitectureText, serializeArchitecture } from '../../shared/arch';

describe('JSON round trip', () => {
  for (const [name, preset] of Object.entries(PRESETS)) {
    it(`${name}: parse(serialize(a)) equals a, and serialize is a fixed point`, () => {
      const arch = preset.build();
      const text = serializeArchitecture(arch);
      const back = parseArchitectureText(text);
      expect(back.ok).toBe(true);
      if (!back.ok) return;
      expect(back.arch).toStrictEqual(arch);
      expect(serializeArchitecture(back.arch)).toBe(text);
    });
  }

  it('writes a stable key order with 2-space indentation, whatever the input order', () => {
    const arch = PRESETS.tiny!.build();
    const shuffled = JSON.parse(JSON.stringify(arch), (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    ) as unknown;
    const parsed = parseArchitecture(shuffled);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const text = serializeArchitecture(parsed.arch);
    expect(text).toBe(serializeArchitecture(arch));
    expect(text.startsWith('{\n  "format": "strata-arch",\n  "version": 1,\n  "name": "tiny",')).toBe(true);
    expect(text).toContain('{\n      "id": "input",\n      "kind": "input",');
  });

  it('keeps optional fields and drops undefined ones', () => {
    const arch = PRESETS.small!.build();
    const up = arch.nodes.find((n) => n.kind === 'up');
    if (up?.kind !== 'up') throw new Error('no up');
    up.convKernel = 5;
    up.label = 'Up to 26';
    up.filters = undefined;
    const back = parseArchitectureText(serializeArchitecture(arch));
    if (!back.ok) throw new Error('parse failed');
    const upBack = back.arch.nodes.find((n) => n.id === up.id);
    expect(upBack).toMatchObject({ convKernel: 5, label: 'Up to 26' });
    expect(upBack && 'filters' in upBack).toBe(false);
  });
});
