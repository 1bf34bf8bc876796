/**
 * The `small-salt` preset: `small` with a salt-present head on its bottom stack, built by buildUNet's
 * `saltHead` option (so an experiment file varying the preset's options keeps the head), and `small`
 * and the default preset left exactly as they were.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRESET, DEFAULT_SALT_LOSS_WEIGHT, PRESETS, buildUNet, getPreset, saltHeadOf, summarize, validateArchitecture, withSaltHead } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { canonicalJson, sha256Hex } from '../../shared/experiments';

describe('the small-salt preset', () => {
  it('is small plus one salt head reading the bottom stack, with the default loss weight', () => {
    const small = getPreset('small') as Architecture;
    const salted = getPreset('small-salt') as Architecture;
    expect(validateArchitecture(salted)).toEqual([]);
    expect(saltHeadOf(salted)).toMatchObject({ id: 'salt', kind: 'saltHead', lossWeight: DEFAULT_SALT_LOSS_WEIGHT });
    expect(salted.edges).toContainEqual({ from: 'bottom', to: 'salt' });
    // Everything but the name, the description and the head is small's.
    const { name: _n, description: _d, ...rest } = withSaltHead(small);
    const { name, description: _d2, ...same } = salted;
    expect(name).toBe('small-salt');
    expect(same).toEqual(rest);
    // Its summary: small's conv layers (the head has none) and 3 more layers (pool, dense, sigmoid), 8 + 1 more weights.
    const a = summarize(small);
    const b = summarize(salted);
    if (!a.ok || !b.ok) throw new Error('a preset does not summarize');
    expect(b.summary.convLayers).toBe(a.summary.convLayers);
    expect(b.summary.layers).toBe(a.summary.layers + 3);
    expect(b.summary.params).toBe(a.summary.params + 64 + 1);
  });

  it('comes from its buildUNet options, and leaves small and the default preset without a head', () => {
    const p = PRESETS['small-salt'];
    expect(p && buildUNet(p.options)).toEqual(p?.build());
    expect(saltHeadOf(getPreset('small') as Architecture)).toBeNull();
    expect(saltHeadOf(getPreset(DEFAULT_PRESET) as Architecture)).toBeNull();
    // small's canonical JSON as it was before the preset existed (test/arch/upSamplerConvs.test.ts's hash).
    expect(sha256Hex(canonicalJson(getPreset('small')))).toBe('705acbce0b659c926679b60a9e8ac63b0591c29a68f0e05bf3b98887d7aab32f');
  });
});
