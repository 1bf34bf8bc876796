/**
 * `weightSpecs` (shared/arch/weights.ts) lists a design's weights without tfjs, for the warm start's
 * plan-time check; these tests hold it to the model the trainer really builds: the same names, shapes,
 * order and trainable flags, for every node kind, BN placement and sampler option. A node kind with
 * weights of its own belongs in the list of designs below.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUNet, getPreset, PRESETS, summarize, withBnPlacement, withSaltHead } from '../../shared/arch';
import type { Architecture, ArchNode, BnPlacement } from '../../shared/arch/types';
import { firstWeightMismatch, weightSpecs } from '../../shared/arch/weights';
import { selectBackend } from '../../src-main/training/backend';
import { UNetModel } from '../../src-main/training/model';

function mini(o: Partial<Parameters<typeof buildUNet>[0]> = {}): Architecture {
  return buildUNet({ name: 'mini', channels: 2, inputChannels: 1, size: 9, blocksPerLevel: [1, 2, 1, 1, 1, 1, 1], init: 'glorot_normal', ...o });
}

/** `mini` with a standalone BN node between the stem and e0, and an up sampler whose convs are 1x1. */
function withBnNodeAndConvKernel(): Architecture {
  const a = mini({ samplerConvs: 1 });
  const bn: ArchNode = { id: 'stem_bn', kind: 'bn' };
  const nodes = a.nodes.map((n) => (n.kind === 'up' && n.id === 'up1' ? { ...n, convKernel: 1 } : n));
  const edges = a.edges.flatMap((e) => (e.from === 'stem' && e.to === 'e0' ? [{ from: 'stem', to: 'stem_bn' }, { from: 'stem_bn', to: 'e0' }] : [e]));
  return { ...a, nodes: [...nodes, bn], edges };
}

async function modelWeights(arch: Architecture) {
  const model = new UNetModel(arch, 1);
  try {
    return (await model.getWeights()).map((w) => ({ name: w.name, shape: w.shape, trainable: model.params.trainable.has(w.name) }));
  } finally {
    model.dispose();
  }
}

describe('weightSpecs', () => {
  beforeAll(async () => {
    await selectBackend({ force: 'cpu' });
  });
  afterAll(() => tf.disposeVariables());

  const designs: [string, () => Architecture][] = [
    ['tiny', () => getPreset('tiny') as Architecture],
    ['mini, add merges', () => mini()],
    ['mini, concat merges, 5x5 transposed convs', () => mini({ merge: 'concat', upKernel: 5 })],
    ['mini, BN on the strided convs', () => mini({ samplerBn: 'strided' })],
    ['mini, samplers without BN', () => mini({ samplerBn: 'none', samplerConvs: 0 })],
    ['mini, a BN node and 1x1 sampler convs', withBnNodeAndConvKernel],
    ['mini with a salt head', () => withSaltHead(mini())],
    ['mini with a salt head of 3 hidden units', () => withSaltHead(mini({ merge: 'concat' }), { hidden: 3 })],
  ];
  const placements: BnPlacement[] = ['samplers', 'blocks', 'head'];

  for (const [what, build] of designs) {
    it(`names every weight of the model, with its shape, in its order: ${what}`, async () => {
      for (const p of placements) {
        const arch = withBnPlacement(build(), p);
        expect(weightSpecs(arch), `${what}, BN at ${p}`).toEqual(await modelWeights(arch));
      }
    });
  }

  it('adds up to the summary\'s parameter count for every preset, the note\'s deep figures included', () => {
    for (const name of Object.keys(PRESETS)) {
      const arch = getPreset(name) as Architecture;
      const s = summarize(arch);
      if (!s.ok) throw new Error(`${name} does not summarize`);
      const total = weightSpecs(arch).reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
      expect(total, name).toBe(s.summary.params);
    }
  });
});

describe('firstWeightMismatch', () => {
  const w = (name: string, ...shape: number[]) => ({ name, shape, trainable: true });

  it('is null for the same weights and names the first difference in the needed order', () => {
    const a = [w('stem/conv/kernel', 3, 3, 1, 4), w('stem/conv/bias', 4)];
    expect(firstWeightMismatch(a, a)).toBeNull();
    expect(firstWeightMismatch(a, [w('stem/conv/kernel', 3, 3, 1, 8), w('stem/conv/bias', 8)])).toBe('stem/conv/kernel is 3x3x1x4 there, 3x3x1x8 here');
    expect(firstWeightMismatch(a, [...a, w('head/conv/bias', 1)])).toBe('head/conv/bias (1) is not among its weights');
    expect(firstWeightMismatch([...a, w('e0/block1/bn1/gamma', 4)], a)).toBe('e0/block1/bn1/gamma (4) has no place in this design');
  });

  it('tells the small and tiny presets apart, and BN placements of one design', () => {
    const small = getPreset('small') as Architecture;
    const tiny = getPreset('tiny') as Architecture;
    expect(firstWeightMismatch(weightSpecs(small), weightSpecs(tiny))).toBe('stem/conv/kernel is 3x3x1x8 there, 3x3x1x4 here');
    expect(firstWeightMismatch(weightSpecs(withBnPlacement(small, 'samplers')), weightSpecs(withBnPlacement(small, 'blocks')))).toBe(
      'e0/block0/bn_out/gamma (8) is not among its weights',
    );
  });
});
