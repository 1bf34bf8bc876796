import { describe, expect, it } from 'vitest';
import { analyzeInit } from '../../shared/analysis/initAnalysis';
import type { InitAnalysis, InitAnalysisOptions } from '../../shared/analysis/initAnalysis';
import { sumBounds } from '../../shared/analysis/summands';
import { convWeightVariance } from '../../shared/analysis/variance';
import { getPreset, withBnPlacement, withInitializer } from '../../shared/arch';
import type { Architecture, BnPlacement, Initializer } from '../../shared/arch/types';
import { ARCH_FORMAT, ARCH_VERSION } from '../../shared/arch/types';

function analysed(preset: string, init: Initializer, bn: BnPlacement, opts: InitAnalysisOptions = {}): InitAnalysis {
  const arch = withInitializer(withBnPlacement(getPreset(preset) as Architecture, bn), init);
  const r = analyzeInit(arch, opts);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.analysis;
}

/** input (1 channel) -> 3x3 conv to 4 channels -> one resnet stack -> head. */
function chain(blocks: number, bnAfterBlock: boolean): Architecture {
  return {
    format: ARCH_FORMAT,
    version: ARCH_VERSION,
    name: 'chain',
    init: 'glorot_uniform',
    nodes: [
      { id: 'input', kind: 'input', channels: 1, height: 16, width: 16 },
      { id: 'stem', kind: 'conv', kernel: 3, filters: 4, stride: 1 },
      { id: 'res', kind: 'resnet', blocks, kernel: 3, ...(bnAfterBlock ? { bnAfterBlock } : {}) },
      { id: 'head', kind: 'head' },
    ],
    edges: [
      { from: 'input', to: 'stem' },
      { from: 'stem', to: 'res' },
      { from: 'res', to: 'head' },
    ],
  };
}

describe("the note's numbers", () => {
  it('initial conv 3 -> 16 (Figures 2 and 4) and 3 -> 12 (Figure 3) under glorot: 0.56 and 0.63', () => {
    for (const init of ['glorot_uniform', 'glorot_normal'] as const) {
      expect(analysed('fig2', init, 'samplers').summands[0]?.stdAtOrigin).toBeCloseTo(0.56, 2);
      expect(analysed('fig4', init, 'samplers').summands[0]?.stdAtOrigin).toBeCloseTo(0.56, 2);
      expect(analysed('fig3', init, 'samplers').summands[0]?.stdAtOrigin).toBeCloseTo(0.63, 2);
    }
    // sqrt(6/19) and sqrt(2/5), exactly.
    expect(analysed('fig2', 'glorot_normal', 'head').summands[0]?.stdAtOrigin).toBeCloseTo(Math.sqrt(6 / 19), 12);
    expect(analysed('fig3', 'glorot_normal', 'head').summands[0]?.stdAtOrigin).toBeCloseTo(Math.sqrt(2 / 5), 12);
  });

  it("He: the note's 2/n_next gives 0.61 and 0.71; Keras's 2/fan_in, which the model uses, gives sqrt(2)", () => {
    expect(analysed('fig2', 'he_normal', 'samplers', { convention: 'note' }).summands[0]?.stdAtOrigin).toBeCloseTo(0.61, 2);
    expect(analysed('fig3', 'he_uniform', 'samplers', { convention: 'note' }).summands[0]?.stdAtOrigin).toBeCloseTo(0.71, 2);
    expect(analysed('fig2', 'he_normal', 'samplers').summands[0]?.stdAtOrigin).toBeCloseTo(Math.SQRT2, 12);
    const stem = analysed('fig2', 'he_normal', 'samplers').convs.find((c) => c.name === 'stem/conv');
    expect(stem?.variance.keras).toBeCloseTo(2 / 27, 15);
    expect(stem?.variance.note).toBeCloseTo(2 / 144, 15);
  });

  it('a resnet block contributes 0.71 under glorot and 1 under he, in both conventions', () => {
    for (const convention of ['keras', 'note'] as const) {
      for (const bn of ['head', 'samplers', 'blocks'] as const) {
        const g = analysed('fig2', 'glorot_uniform', bn, { convention }).summands.slice(1);
        const h = analysed('fig3', 'he_normal', bn, { convention }).summands.slice(1);
        expect(g.length).toBe(7 * 18);
        expect(h.length).toBe(7 * 28);
        for (const s of g) expect(s.stdAtOrigin).toBeCloseTo(0.71, 2);
        for (const s of h) expect(s.stdAtOrigin).toBeCloseTo(1, 2);
      }
    }
  });

  it("the note's sampler factors: glorot about -20% down and +15% up; he unchanged down and doubled up", () => {
    const down = (init: Initializer, convention: 'keras' | 'note') => Math.sqrt(convWeightVariance(init, 3, 16, 32, false, convention) * 9 * 16);
    const up = (init: Initializer, convention: 'keras' | 'note') => Math.sqrt(convWeightVariance(init, 3, 32, 16, true, convention) * 9 * 32);
    expect(down('glorot_uniform', 'keras')).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(up('glorot_uniform', 'keras')).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(down('he_normal', 'note')).toBeCloseTo(1, 12);
    expect(up('he_normal', 'note')).toBeCloseTo(2, 12);
    // Keras reads a transposed kernel's fans swapped, so its He agrees with the note's on the upsampler.
    expect(up('he_normal', 'keras')).toBeCloseTo(2, 12);
    expect(down('he_normal', 'keras')).toBeCloseTo(Math.SQRT2, 12);
  });
});

describe('BN on the main path', () => {
  it('divides every summand by the std of the sum, with the note\'s bounds as ranges (hand-computed)', () => {
    const r = analyzeInit(chain(1, true));
    if (!r.ok) throw new Error('invalid');
    const [s0, s1] = r.analysis.summands;
    // Stem: n = 9, n_next = 36: variance 2*9/45 = 0.4. Block: 1/2. Sum: sqrt(0.9).
    expect(s0?.stdAtOrigin).toBeCloseTo(Math.sqrt(0.4), 12);
    expect(s1?.stdAtOrigin).toBeCloseTo(Math.SQRT1_2, 12);
    expect(s0?.std).toBeCloseTo(Math.sqrt(0.4 / 0.9), 12);
    expect(s1?.std).toBeCloseTo(Math.sqrt(0.5 / 0.9), 12);
    const sum = Math.sqrt(0.4) + Math.SQRT1_2;
    expect(s0?.stdRange?.[0]).toBeCloseTo(Math.sqrt(0.4) / sum, 12);
    expect(s0?.stdRange?.[1]).toBeCloseTo(Math.sqrt(0.4 / 0.9), 12);
  });

  it('after n blocks with a BN after each, the first summand has shrunk at least 1.22^n times', () => {
    const r = analyzeInit(chain(12, true));
    if (!r.ok) throw new Error('invalid');
    const first = r.analysis.summands[1];
    if (!first) throw new Error('no s1');
    // Each BN divides by at least sqrt(1 + 0.5) = 1.22 (the sum has std 1, the new block 0.71).
    const shrink = first.stdAtOrigin / (first.stdRange?.[1] ?? Infinity);
    expect(shrink).toBeGreaterThan(Math.sqrt(1.5) ** 10);
    // Without the BNs nothing shrinks.
    const plain = analyzeInit(chain(12, false));
    if (!plain.ok) throw new Error('invalid');
    expect(plain.analysis.summands[1]?.std).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('every stage carries the bounds sqrt(sum s^2) <= std(sum) <= sum s, reset to 1 by each BN', () => {
    const a = analysed('small', 'glorot_uniform', 'samplers');
    for (const st of a.stages) expect(st.sumBounds[0]).toBeLessThanOrEqual(st.sumBounds[1] + 1e-12);
    const down = a.stages.find((st) => st.nodeId === 'down0');
    expect(down?.sumBounds[0]).toBeCloseTo(1, 12);
    expect(down?.sumBounds[1]).toBeCloseTo(1, 12);
    // Without a BN the bounds are those of the summands themselves.
    const plain = analyzeInit(chain(3, false));
    if (!plain.ok) throw new Error('invalid');
    const res = plain.analysis.stages.find((st) => st.nodeId === 'res');
    expect(res?.sumBounds[0]).toBeCloseTo(sumBounds(res?.summands.map((t) => t.std) ?? [])[0], 12);
    expect(res?.sumBounds[1]).toBeCloseTo(sumBounds(res?.summands.map((t) => t.std) ?? [])[1], 12);
    expect(sumBounds([3, 4])).toEqual([5, 7]);
    expect(a.stages.at(-1)?.kind).toBe('head-input');
  });
});
