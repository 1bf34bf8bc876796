/**
 * buildUNet's `upSamplerConvs`: stride-1 convs in the upsamplers alone (claim 4's "3x3/2 transposed
 * conv followed by two 3x3 convs" with 1-conv downsamplers). Every preset builds what it built before
 * the option existed (hashes of their canonical JSON taken before the change), and experiment files
 * accept the option, refusing a bad count by name.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, UNET_LEVELS, buildUNet, summarize, type UNetOptions } from '../../shared/arch';
import type { ArchNode } from '../../shared/arch/types';
import { canonicalJson, planExperiment, sha256Hex } from '../../shared/experiments';

/** SHA-256 of each preset's canonical JSON, recorded before `upSamplerConvs` was added. */
const BEFORE: Record<string, string> = {
  fig2: 'b9b5beccdc46d753f0a3dd0a0fc393f15f1468a3aeb2924dfd0942ce1213773a',
  fig3: '10c32394d28da4095f2e6006c383c9ec520326ff1613385fc232d3a27e700bf7',
  fig4: '8ffa20adfa09226d4c4821595d85209f0f8bd542d2c22c3ac5759344c621a04b',
  small: '705acbce0b659c926679b60a9e8ac63b0591c29a68f0e05bf3b98887d7aab32f',
  tiny: 'f246b601bb15512dfe1d0e2a6d09a146775ae35864cafe7efd63c15ba3f11a3e',
  lean: '8b1f0a98a64a4c043b8ded125fab40ef76d8b987a5a4998d71aad43685e5471f',
  'small-concat': '9b3c640b86e249fbffd4f6bec2aa0ac8d3aea60ed44cd97d4cc76a042847ef72',
};

const samplers = (nodes: readonly ArchNode[], kind: 'down' | 'up') => nodes.flatMap((n) => (n.kind === kind ? [n.convs] : []));
const base: UNetOptions = { name: 'x', channels: 8, inputChannels: 1, size: 101, blocksPerLevel: UNET_LEVELS.map(() => 1) };

describe('upsampler-only convs', () => {
  it('leaves every preset as it was', () => {
    // Presets added since (small-salt) have no hash from before: the ones that existed are compared.
    expect(Object.fromEntries(Object.keys(BEFORE).map((k) => [k, sha256Hex(canonicalJson(PRESETS[k]?.build()))]))).toEqual(BEFORE);
  });

  it('defaults to samplerConvs, and sets the upsamplers alone when given', () => {
    for (const samplerConvs of [undefined, 0, 1, 2]) {
      const o = samplerConvs === undefined ? base : { ...base, samplerConvs };
      expect(buildUNet({ ...o, upSamplerConvs: samplerConvs ?? 2 })).toEqual(buildUNet(o));
    }
    const arch = buildUNet({ ...base, samplerConvs: 0, upSamplerConvs: 2 });
    expect(samplers(arch.nodes, 'down')).toEqual([0, 0, 0]);
    expect(samplers(arch.nodes, 'up')).toEqual([2, 2, 2]);
    // small has 34 conv layers (stem 1 + 7 blocks x 2 + 6 samplers x 3 + head 1); 1-conv downsamplers drop 2 each: 28.
    const r = summarize(arch);
    expect(r.ok && r.summary.convLayers).toBe(28);
    const other = buildUNet({ ...base, samplerConvs: 2, upSamplerConvs: 0 });
    expect([samplers(other.nodes, 'down'), samplers(other.nodes, 'up')]).toEqual([[2, 2, 2], [0, 0, 0]]);
  });

  it('is a design option of an experiment file, checked like samplerConvs', () => {
    const file = (design: Record<string, unknown>) => ({
      format: 'strata-experiment',
      version: 1,
      name: 'up',
      description: 'test',
      base: { design: 'small' },
      factors: [{ name: 'up', levels: [{ label: 'one', design: { samplerConvs: 0 } }, { label: 'two-up', design }] }],
      seeds: [1],
      data: { path: 'demo', demoCount: 16 },
      budget: { epochs: 1 },
    });
    const ok = planExperiment(file({ samplerConvs: 0, upSamplerConvs: 2 }));
    if (!ok.ok) throw new Error(JSON.stringify(ok.problems));
    const two = ok.plan.groups[1];
    expect(two?.designOptions).toMatchObject({ samplerConvs: 0, upSamplerConvs: 2 });
    expect([samplers(two?.arch.nodes ?? [], 'down'), samplers(two?.arch.nodes ?? [], 'up')]).toEqual([[0, 0, 0], [2, 2, 2]]);
    // A group that does not give it keeps the fingerprint it had before the option existed: it is not in its design options.
    expect(ok.plan.groups[0]?.designOptions).not.toHaveProperty('upSamplerConvs');
    const bad = planExperiment(file({ upSamplerConvs: 17 }));
    expect(bad.ok ? [] : bad.problems).toEqual([{ path: 'factors[0].levels[1].design.upSamplerConvs', message: 'upsampler convs must be at most 16' }]);
  });
});
